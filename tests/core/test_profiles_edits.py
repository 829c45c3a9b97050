"""ProfileWriter edits at the edges: empty sections, profiles in one file only, no-op edits,
secrets moving with a rename, and a second file whose write fails half way (the first file
is put back). Real files in a tmp dir, read back with botocore where it matters."""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import ProfileError
from app.core.secrets import MemoryStore

CONFIG = """\
[profile bare]

[profile work]
region = us-east-1
"""
CREDENTIALS = """\
[work]
aws_access_key_id = AKIAWORK
aws_secret_access_key = work-secret

[keys-only]
aws_access_key_id = AKIAONLY
aws_secret_access_key = only-secret
"""
PROTECTED = """\
[profile vault]
region = eu-west-1
credential_process = gangway credentials --profile vault
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(CONFIG, encoding="utf-8")
    crd.write_text(CREDENTIALS, encoding="utf-8")
    return cfg, crd


def backups(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".gangway-" in p.name)


def botocore_profiles(cfg: Path, crd: Path) -> dict[str, dict[str, str]]:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(cfg))
    session.set_config_variable("credentials_file", str(crd))
    return dict(session.full_config["profiles"])


def test_duplicating_a_profile_with_an_empty_section_makes_the_copy(
        files: tuple[Path, Path]) -> None:
    cfg, crd = files
    profiles = ProfileWriter().duplicate(load_profiles(cfg, crd), "bare", "bare copy")
    assert "bare copy" in profiles
    assert cfg.read_text() == CONFIG + '\n[profile "bare copy"]\n'
    assert botocore_profiles(cfg, crd)["bare copy"] == {}


def test_an_update_that_changes_nothing_writes_nothing(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    profiles = ProfileWriter().update(load_profiles(cfg, crd), "work", {})
    profiles = ProfileWriter().update(profiles, "work", {"region": "us-east-1"})
    assert (cfg.read_text(), crd.read_text()) == (CONFIG, CREDENTIALS)
    assert backups(cfg.parent) == []
    assert profiles.require("work").region == "us-east-1"


def test_removing_a_key_a_profile_does_not_have_leaves_the_file_alone(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    crd.write_text(CREDENTIALS)
    profiles = ProfileWriter().update(load_profiles(cfg, crd), "keys-only", {"region": None})
    assert not cfg.exists()  # no section was made just to delete a key from it
    assert crd.read_text() == CREDENTIALS and backups(tmp_path) == []
    assert profiles.require("keys-only").kind is ProfileKind.STATIC


def test_creating_a_profile_with_no_settings_writes_its_header(
        files: tuple[Path, Path]) -> None:
    cfg, crd = files
    profiles = ProfileWriter().create(load_profiles(cfg, crd), "empty", {})
    assert cfg.read_text() == CONFIG + "\n[profile empty]\n"
    assert profiles.require("empty").kind is ProfileKind.NONE
    assert crd.read_text() == CREDENTIALS


def test_a_profile_only_in_the_credentials_file_is_duplicated_renamed_and_deleted(
        files: tuple[Path, Path]) -> None:
    cfg, crd = files
    writer = ProfileWriter()
    profiles = writer.duplicate(load_profiles(cfg, crd), "keys-only", "keys-copy")
    assert profiles.file_keys("keys-copy") == ("AKIAONLY", "only-secret", None)
    profiles = writer.rename(profiles, "keys-copy", "keys-renamed")
    assert "keys-copy" not in profiles
    assert profiles.file_keys("keys-renamed") == ("AKIAONLY", "only-secret", None)
    profiles = writer.delete(profiles, "keys-only")
    assert profiles.names() == ["bare", "work", "keys-renamed"]
    assert cfg.read_text() == CONFIG  # none of that touched the config file
    assert crd.read_text() == ("[work]\naws_access_key_id = AKIAWORK\n"
                               "aws_secret_access_key = work-secret\n\n"
                               "[keys-renamed]\naws_access_key_id = AKIAONLY\n"
                               "aws_secret_access_key = only-secret\n")
    assert botocore_profiles(cfg, crd)["keys-renamed"]["aws_secret_access_key"] == "only-secret"


def test_duplicating_onto_an_existing_name_is_refused(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    with pytest.raises(ProfileError, match=r"^A profile named 'bare' already exists\.$"):
        ProfileWriter().duplicate(load_profiles(cfg, crd), "work", "bare")
    assert (cfg.read_text(), crd.read_text()) == (CONFIG, CREDENTIALS)


def test_sso_profiles_need_an_existing_sso_session(files: tuple[Path, Path]) -> None:
    from app.core.aws.profiles.writer import SsoProfileSpec

    cfg, crd = files
    with pytest.raises(ProfileError, match=r"^There is no \[sso-session corp\] section\.$"):
        ProfileWriter().create_sso_profiles(load_profiles(cfg, crd), "corp",
                                            [SsoProfileSpec("p", "123456789012", "Admin")])
    assert cfg.read_text() == CONFIG


def test_renaming_a_protected_profile_moves_its_line_and_its_secrets(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(PROTECTED)
    store = MemoryStore()
    store.set("keys:vault", '{"Version": "1", "AccessKeyId": "AKIAV", "SecretAccessKey": "s"}')
    store.set("cache:vault", "cached-json")
    store.set("keys:other", "untouched")
    profiles = load_profiles(cfg, crd)
    assert profiles.require("vault").kind is ProfileKind.PROTECTED
    profiles = ProfileWriter(store).rename(profiles, "vault", "safe")
    text = cfg.read_text()
    assert text.startswith("[profile safe]\nregion = eu-west-1\ncredential_process = ")
    assert text.endswith(" credentials --profile safe\n") and "vault" not in text
    assert profiles.require("safe").kind is ProfileKind.PROTECTED
    assert store.get("keys:safe") == ('{"Version": "1", "AccessKeyId": "AKIAV", '
                                      '"SecretAccessKey": "s"}')
    assert store.get("cache:safe") == "cached-json"
    assert (store.get("keys:vault"), store.get("cache:vault")) == (None, None)
    assert store.get("keys:other") == "untouched"


def test_a_rename_moves_only_the_secrets_there_are(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(PROTECTED)
    store = MemoryStore()
    store.set("keys:vault", "the keys")  # no cached credentials yet
    ProfileWriter(store).rename(load_profiles(cfg, crd), "vault", "safe")
    assert (store.get("keys:safe"), store.get("cache:safe")) == ("the keys", None)
    assert store.get("keys:vault") is None


def test_deleting_a_profile_drops_its_secrets_from_the_store(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    store = MemoryStore()
    store.set("keys:work", "k")
    store.set("cache:work", "c")
    store.set("cache:bare", "other")
    ProfileWriter(store).delete(load_profiles(cfg, crd), "work")
    assert (store.get("keys:work"), store.get("cache:work")) == (None, None)
    assert store.get("cache:bare") == "other"


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past `limit` bytes fail with EFBIG (no signal) in this process, for the block:
    a file system that runs out of room half way through an edit of two files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


BIG_CONFIG = CONFIG + "# padding\n" * 1000  # 10 KB: past the limit below


@pytest.mark.linux_only
def test_a_failed_config_write_puts_the_credentials_file_back(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(BIG_CONFIG)
    crd.write_text(CREDENTIALS)
    profiles = load_profiles(cfg, crd)
    with file_size_limit(4096), pytest.raises(OSError, match="File too large"):
        ProfileWriter().create(profiles, "new", {"region": "eu-west-1"},
                               {"aws_access_key_id": "AKIANEW", "aws_secret_access_key": "n"})
    assert (cfg.read_text(), crd.read_text()) == (BIG_CONFIG, CREDENTIALS)
    assert backups(tmp_path) == []  # the credentials file's backup went with the undo
    assert [p.name for p in tmp_path.iterdir()] != [] and "new" not in load_profiles(cfg, crd)


@pytest.mark.linux_only
def test_a_failed_config_write_removes_a_credentials_file_it_created(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(BIG_CONFIG)
    profiles = load_profiles(cfg, crd)
    with file_size_limit(4096), pytest.raises(OSError, match="File too large"):
        ProfileWriter().create(profiles, "new", {"region": "eu-west-1"},
                               {"aws_access_key_id": "AKIANEW", "aws_secret_access_key": "n"})
    assert cfg.read_text() == BIG_CONFIG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]
