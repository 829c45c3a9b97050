"""Profile edits where the folders are not what they usually are (not there yet, read-only),
a JSON store whose file is valid JSON but not an object, and empty values among secrets to
redact."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from app.core import store
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import UnwritableDirError
from tests.core.test_store_faults import small_disk  # noqa: F401 - a fixture


def test_the_first_profile_creates_the_missing_folders_privately(tmp_path: Path) -> None:
    aws = tmp_path / "home" / ".aws"  # neither home nor .aws exists yet
    cfg, crd = aws / "config", aws / "credentials"
    profiles = ProfileWriter().create(load_profiles(cfg, crd), "first", {"region": "eu-west-1"},
                                      {"aws_access_key_id": "AKIAFIRST",
                                       "aws_secret_access_key": "first-secret"})
    assert profiles.names() == ["first"]
    assert cfg.read_text() == "[profile first]\nregion = eu-west-1\n"
    assert crd.read_text() == ("[first]\naws_access_key_id = AKIAFIRST\n"
                               "aws_secret_access_key = first-secret\n")
    assert stat.S_IMODE(aws.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in (cfg, crd)} == {0o600}
    assert sorted(p.name for p in aws.iterdir()) == ["config", "credentials"]  # no backups


@pytest.mark.linux_only
def test_an_edit_on_a_read_only_file_system_is_refused_before_either_write(
        small_disk: Path, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    cfg, crd = small_disk / "config", tmp_path / "credentials"
    cfg.write_text("[profile work]\nregion = eu-west-1\n")
    crd.write_text("[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    profiles = load_profiles(cfg, crd)
    with pytest.raises(UnwritableDirError) as err:
        ProfileWriter().update(profiles, "work", {"region": "us-east-1"},
                               {"aws_secret_access_key": "rotated"})
    assert err.value.message == f"Gangway cannot write in {small_disk}; nothing was changed."
    # The credentials file (on a writable disk, and written first) was not touched either.
    assert crd.read_text() == "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n"
    assert sorted(os.listdir(tmp_path)) == ["credentials", "disk"]


@pytest.mark.parametrize("body", ["[1, 2, 3]\n", '"just a string"\n', "null\n"])
def test_a_json_store_holding_no_object_is_kept_aside(tmp_path: Path, body: str) -> None:
    path = tmp_path / "tunnels.json"
    path.write_text(body)
    doc = store.JsonStore(path, schema_version=2)
    assert doc.load() == {}
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("tunnels.json.corrupt-")]
    assert aside.read_text() == body and not path.exists()
    doc.save({"tunnels": []})
    assert json.loads(path.read_text()) == {"schema_version": 2, "tunnels": []}


def test_empty_values_among_the_secrets_to_redact_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[a]\naws_secret_access_key = hidden\nregion = eu-west-1\n")
    backup = store.backup(path, redact=["", "hidden", ""])
    assert backup is not None
    assert backup.read_text() == ("[a]\naws_secret_access_key = " + store.REDACTED
                                  + "\nregion = eu-west-1\n")
