"""Writing profiles: comments and order survive, backups, 0600, refusal on change or bad files."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path

import botocore.session
import pytest
from botocore.compat import compat_shell_split

from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.names import config_section, credential_process_value, validate_name
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter, SsoProfileSpec
from app.core.errors import ConfigFileError, FileChangedError, KeyringUnavailableError, ProfileError
from app.core.secrets import MemoryStore
from tests.conftest import require_program

CONFIG = """\
# Top comment, kept.
[default]
region = eu-west-1
# inline block comment
cli_pager =

[profile work]
region = us-east-1
unknown_key = kept as is
; semicolon comment

[profile src]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = work
"""
CREDENTIALS = """\
# creds comment
[work]
aws_access_key_id = AKIAWORK
aws_secret_access_key = work-secret
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(CONFIG, encoding="utf-8")
    crd.write_text(CREDENTIALS, encoding="utf-8")
    return cfg, crd


def botocore_profiles(cfg: Path, crd: Path) -> dict[str, dict[str, str]]:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(cfg))
    session.set_config_variable("credentials_file", str(crd))
    return dict(session.full_config["profiles"])


def test_create_writes_both_files_and_keeps_everything_else(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    writer = ProfileWriter()
    after = writer.create(load_profiles(cfg, crd), "new one", {"region": "ap-south-1",
                                                               "mfa_serial": "arn:aws:iam::1:mfa/x"},
                          {"aws_access_key_id": "AKIANEW", "aws_secret_access_key": "new-secret"})
    text = cfg.read_text()
    assert text.startswith(CONFIG.rstrip("\n"))  # nothing before it moved or changed
    assert '[profile "new one"]' in text
    assert "new-secret" not in text and "new-secret" in crd.read_text()
    assert crd.read_text().startswith(CREDENTIALS.rstrip("\n"))
    new = after.get("new one")
    assert new is not None and new.kind is ProfileKind.STATIC_MFA and new.region == "ap-south-1"
    theirs = botocore_profiles(cfg, crd)
    assert theirs["new one"]["region"] == "ap-south-1"
    assert theirs["new one"]["aws_access_key_id"] == "AKIANEW"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    backups = sorted(p.name for p in cfg.parent.iterdir() if ".gangway-" in p.name)
    assert len(backups) == 2  # one per file written
    assert (cfg.parent / next(b for b in backups if b.startswith("config"))).read_text() == CONFIG


def test_update_sets_and_removes_keys_only(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    ProfileWriter().update(load_profiles(cfg, crd), "work",
                           {"region": "us-west-2", "unknown_key": None, "output": "json"})
    text = cfg.read_text()
    assert "unknown_key" not in text and "region = us-west-2" in text
    assert "; semicolon comment" in text and "# inline block comment" in text
    assert text.index("output = json") < text.index("; semicolon comment")
    assert botocore_profiles(cfg, crd)["work"]["output"] == "json"


def test_duplicate_rename_delete(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    writer = ProfileWriter()
    profiles = writer.duplicate(load_profiles(cfg, crd), "work", "work copy")
    copy = profiles.get("work copy")
    assert copy is not None and copy.kind is ProfileKind.STATIC
    assert profiles.file_keys("work copy") == ("AKIAWORK", "work-secret", None)
    profiles = writer.rename(profiles, "work", "wörk")
    assert "work" not in profiles and "wörk" in profiles
    src = profiles.get("src")
    assert src is not None and src.get("source_profile") == "wörk" and src.error is None
    assert set(botocore_profiles(cfg, crd)) >= {"wörk", "work copy", "src"}
    profiles = writer.delete(profiles, "work copy")
    assert "work copy" not in profiles
    assert "work copy" not in cfg.read_text() and "work copy" not in crd.read_text()
    assert "# Top comment, kept." in cfg.read_text() and "# creds comment" in crd.read_text()


def test_a_file_changed_since_reading_is_not_overwritten(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    profiles = load_profiles(cfg, crd)
    cfg.write_text(CONFIG + "\n[profile other]\nregion = x\n")
    changed = cfg.read_bytes()
    with pytest.raises(FileChangedError) as err:
        ProfileWriter().update(profiles, "work", {"region": "eu-north-1"})
    assert err.value.path == cfg and "Reload" in err.value.hint
    assert cfg.read_bytes() == changed
    # After a reload the same edit goes through.
    ProfileWriter().update(load_profiles(cfg, crd), "work", {"region": "eu-north-1"})
    assert "region = eu-north-1" in cfg.read_text() and "[profile other]" in cfg.read_text()


@pytest.mark.parametrize("body", [
    CONFIG + "\n[default]\nregion = again\n",
    CONFIG + "\nthis is not a setting\n",
])
def test_malformed_file_is_refused_and_left_byte_identical(tmp_path: Path, body: str) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(body)
    crd.write_text(CREDENTIALS)
    before = cfg.read_bytes(), crd.read_bytes()
    profiles = load_profiles(cfg, crd)
    assert profiles.problems and "work" in profiles
    with pytest.raises(ConfigFileError) as err:
        ProfileWriter().update(profiles, "work", {"region": "x"})
    assert err.value.path == cfg and err.value.line is not None
    assert (cfg.read_bytes(), crd.read_bytes()) == before
    assert not [p for p in tmp_path.iterdir() if ".gangway-" in p.name]


def test_bad_encoding_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_bytes(CONFIG.encode() + b"\n[profile latin]\nregion = caf\xe9\n")
    crd.write_text(CREDENTIALS)
    before = cfg.read_bytes()
    profiles = load_profiles(cfg, crd)
    assert "latin" in profiles and profiles.problems[0].line == 17
    with pytest.raises(ConfigFileError) as err:
        ProfileWriter().create(profiles, "fresh", {"region": "x"})
    assert err.value.line == 17
    assert cfg.read_bytes() == before


def test_credentials_only_edits_work_while_the_config_file_is_broken(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(CONFIG + "\nbroken line\n")
    crd.write_text(CREDENTIALS)
    before = cfg.read_bytes()
    ProfileWriter().update(load_profiles(cfg, crd), "work", {},
                           {"aws_secret_access_key": "rotated"})
    assert "rotated" in crd.read_text() and cfg.read_bytes() == before


@pytest.mark.parametrize("name", ["", " lead", "trail ", "a]b", "new\nline", "tab\there",
                                  "x" * 200, "both'\"quotes"])
def test_bad_names_are_refused(files: tuple[Path, Path], name: str) -> None:
    cfg, crd = files
    before = cfg.read_bytes()
    with pytest.raises(ProfileError):
        ProfileWriter().create(load_profiles(cfg, crd), name, {"region": "x"})
    assert cfg.read_bytes() == before


def test_existing_names_and_bad_values_are_refused(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    profiles = load_profiles(cfg, crd)
    before = cfg.read_bytes(), crd.read_bytes()
    with pytest.raises(ProfileError, match=r"^A profile named 'work' already exists\.$"):
        ProfileWriter().create(profiles, "work", {"region": "x"})
    with pytest.raises(ProfileError, match=r"^A profile named 'src' already exists\.$"):
        ProfileWriter().rename(profiles, "work", "src")
    with pytest.raises(ProfileError, match=r"^A setting value cannot contain a line break\.$"):
        ProfileWriter().update(profiles, "work", {"region": "a\nb"})
    with pytest.raises(ProfileError, match=r"^'bad=key' is not a valid setting name\.$"):
        ProfileWriter().update(profiles, "work", {"bad=key": "x"})
    with pytest.raises(ProfileError, match=r"^Profile 'ghost' was not found\. Check the name"):
        ProfileWriter().delete(profiles, "ghost")
    assert (cfg.read_bytes(), crd.read_bytes()) == before  # nothing was written


@pytest.mark.parametrize("name", ["plain", "with space", "ünï cødé", "it's", 'say "hi"'])
def test_section_headers_round_trip_through_botocore(tmp_path: Path, name: str) -> None:
    validate_name(name)
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    ProfileWriter().create(load_profiles(cfg, crd), name, {"region": "eu-west-3"},
                           {"aws_access_key_id": "AKIA", "aws_secret_access_key": "s"})
    assert botocore_profiles(cfg, crd)[name]["region"] == "eu-west-3"
    assert load_profiles(cfg, crd).names() == [name]
    assert config_section(name).startswith("profile ")


@pytest.mark.parametrize("name", ["plain", "with space", "ünï", "it's", 'say "hi"', "$(rm -rf ~)"])
def test_credential_process_splits_back_to_the_same_argv(name: str) -> None:
    command = ["/opt/My Apps/gangway"]
    value = credential_process_value(name, command)
    expected = [*command, "credentials", "--profile", name]
    assert compat_shell_split(value) == expected  # botocore's own parser
    assert shlex.split(value) == expected
    # and a real POSIX shell (the Go and JS SDKs run it with sh -c)
    out = subprocess.run(["sh", "-c", f"printf '%s\\n' {value}"], capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines() == expected


def test_protect_needs_a_real_keyring_and_changes_nothing(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    before = cfg.read_bytes(), crd.read_bytes()
    store = MemoryStore()
    with pytest.raises(KeyringUnavailableError):
        ProfileWriter(store).protect_keys(load_profiles(cfg, crd), "work")
    assert (cfg.read_bytes(), crd.read_bytes()) == before
    assert store.get("keys:work") is None


def test_sso_session_and_profiles_from_accounts(files: tuple[Path, Path]) -> None:
    cfg, crd = files
    writer = ProfileWriter()
    profiles = writer.save_sso_session(load_profiles(cfg, crd), "my corp",
                                       "https://corp.awsapps.com/start", "eu-west-1")
    profiles = writer.create_sso_profiles(profiles, "my corp", [
        SsoProfileSpec("prod-ReadOnly", "123456789012", "ReadOnly", "eu-west-1"),
        SsoProfileSpec("staging admin", "210987654321", "Admin"),
    ])
    prod = profiles.get("prod-ReadOnly")
    assert prod is not None and prod.kind is ProfileKind.SSO and prod.error is None
    assert profiles.sso_sessions["my corp"].start_url == "https://corp.awsapps.com/start"
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(cfg))
    assert session.full_config["sso_sessions"]["my corp"]["sso_region"] == "eu-west-1"
    assert session.full_config["profiles"]["staging admin"]["sso_session"] == "my corp"
    with pytest.raises(ProfileError):
        writer.create_sso_profiles(profiles, "my corp", [SsoProfileSpec("work", "1", "r")])


def test_editor_writes_are_read_by_the_aws_cli(aws_env) -> None:
    aws = require_program("/usr/bin/aws")  # the Debian AWS CLI v2 (.ci/run installs it)
    alice = aws_env.sandbox.identities["default"]
    writer = ProfileWriter()
    profiles = writer.create(load_profiles(), "édité par gangway", {"region": "us-east-1"},
                             {"aws_access_key_id": alice.access_key_id,
                              "aws_secret_access_key": alice.secret_access_key})
    profiles = writer.rename(profiles, "édité par gangway", "renamed profile")
    writer.update(profiles, "renamed profile", {"output": "text"})
    done = subprocess.run([aws, "sts", "get-caller-identity", "--profile", "renamed profile",
                           "--endpoint-url", aws_env.sandbox.gateway, "--query", "Arn"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(":user/alice")  # output = text, from our edit
