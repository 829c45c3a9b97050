"""First-run import of an existing AWS config file: copies only into an empty place."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.aws.profiles.importer import import_config
from app.core.errors import ProfileError


def test_never_replaces_a_config_that_has_profiles(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    target = tmp_path / "config"
    target.write_text("[profile mine]\nregion = eu-west-1\n")
    source = tmp_path / "other"
    source.write_text("[profile theirs]\nregion = us-east-1\n")
    with pytest.raises(ProfileError, match="already has profiles"):
        import_config(source, target)
    assert target.read_text() == "[profile mine]\nregion = eu-west-1\n"


def test_an_empty_config_is_backed_up_then_replaced(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    target = tmp_path / "config"
    target.write_text("# nothing here yet\n")
    source = tmp_path / "other"
    source.write_text("[profile theirs]\nregion = us-east-1\n")
    profiles = import_config(source, target)
    assert profiles.names() == ["theirs"]
    backups = list(tmp_path.glob("config.gangway-*.bak"))
    assert [b.read_text() for b in backups] == ["# nothing here yet\n"]


def test_a_file_without_profiles_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("just some notes\n")
    with pytest.raises(ProfileError, match="has no AWS profiles"):
        import_config(source, tmp_path / "config")
    assert not (tmp_path / "config").exists()
