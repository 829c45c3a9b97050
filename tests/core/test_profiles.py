"""Reading profiles: every kind, hostile names, and malformed files that still load."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest

from app.core.aws.profiles.model import ProfileKind, is_gangway_process
from app.core.aws.profiles.reader import load_profiles

CONFIG = """\
# my comment
[default]
region = eu-west-1

[profile "spaced name"]
region = us-east-2
mfa_serial = arn:aws:iam::123456789012:mfa/me

[profile ünïcødé]
credential_process = '/opt/gangway/bin/gangway' credentials --profile 'ünïcødé'

[profile role]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = spaced name
external_id = ext-1
duration_seconds = 1800
role_session_name = me

[profile chained]
role_arn = arn:aws:iam::123456789012:role/second
source_profile = role

[profile ec2role]
role_arn = arn:aws:iam::123456789012:role/ec2
credential_source = Ec2InstanceMetadata

[profile foreign]
credential_process = /usr/local/bin/aws-vault export --format=json x

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
sso_registration_scopes = sso:account:access

[profile sso-new]
sso_session = corp
sso_account_id = 210987654321
sso_role_name = ReadOnly

[profile sso-legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Admin

[profile settings-only]
region = ap-south-1
s3 =
    max_concurrent_requests = 20
"""

CREDENTIALS = """\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret

[spaced name]
aws_access_key_id = AKIASPACED
aws_secret_access_key = spaced-secret
"""


def write(tmp_path: Path, config: str | bytes, creds: str | bytes = "") -> tuple[Path, Path]:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    for path, body in ((cfg, config), (crd, creds)):
        if isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_bytes(body)
    return cfg, crd


def test_every_kind_is_recognised(tmp_path: Path) -> None:
    profiles = load_profiles(*write(tmp_path, CONFIG, CREDENTIALS))
    kinds = {p.name: p.kind for p in profiles}
    assert kinds == {
        "default": ProfileKind.STATIC,
        "spaced name": ProfileKind.STATIC_MFA,
        "ünïcødé": ProfileKind.PROTECTED,
        "role": ProfileKind.ASSUME_ROLE,
        "chained": ProfileKind.ASSUME_ROLE,
        "ec2role": ProfileKind.ASSUME_ROLE,
        "foreign": ProfileKind.PROCESS,
        "sso-new": ProfileKind.SSO,
        "sso-legacy": ProfileKind.SSO,
        "settings-only": ProfileKind.NONE,
    }
    assert profiles.problems == ()
    assert all(p.error is None for p in profiles), [(p.name, p.error) for p in profiles]
    chained = profiles.get("chained")
    assert chained is not None and chained.source_chain == ("role", "spaced name")
    role = profiles.get("role")
    assert role is not None and role.account_hint == "123456789012"
    assert role.get("external_id") == "ext-1" and role.get("duration_seconds") == "1800"
    assert profiles.sso_sessions["corp"].region == "eu-central-1"
    settings = profiles.get("settings-only")
    assert settings is not None and settings.get("s3") == "max_concurrent_requests = 20"


def test_secrets_are_not_in_fields_but_keys_are_readable(tmp_path: Path) -> None:
    profiles = load_profiles(*write(tmp_path, CONFIG, CREDENTIALS))
    default = profiles.get("default")
    assert default is not None
    assert default.fields["aws_secret_access_key"] == "***"
    assert "default-secret" not in repr(default) and "default-secret" not in repr(profiles)
    assert profiles.file_keys("default") == ("AKIADEFAULT", "default-secret", None)
    assert default.has_plaintext_keys


def test_names_match_what_botocore_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, crd = write(tmp_path, CONFIG, CREDENTIALS)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(crd))
    ours = set(load_profiles().names())
    theirs = set(botocore.session.Session().available_profiles)
    assert ours == theirs
    assert "spaced name" in theirs and "ünïcødé" in theirs


def test_aws_profile_is_the_active_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, crd = write(tmp_path, CONFIG, CREDENTIALS)
    monkeypatch.setenv("AWS_PROFILE", "role")
    assert load_profiles(cfg, crd).active == "role"
    monkeypatch.delenv("AWS_PROFILE")
    assert load_profiles(cfg, crd).active == "default"


def test_default_paths_come_from_the_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, crd = write(tmp_path, CONFIG, CREDENTIALS)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(crd))
    profiles = load_profiles()
    assert profiles.config_path == cfg and "sso-new" in profiles


def test_missing_files_are_no_profiles_and_no_problems(tmp_path: Path) -> None:
    profiles = load_profiles(tmp_path / "nope", tmp_path / "nope2")
    assert len(profiles) == 0 and profiles.problems == ()


def test_missing_and_circular_source_profiles_are_per_profile_errors(tmp_path: Path) -> None:
    config = """\
[profile lost]
role_arn = arn:aws:iam::1:role/x
source_profile = nowhere

[profile a]
role_arn = arn:aws:iam::1:role/a
source_profile = b

[profile b]
role_arn = arn:aws:iam::1:role/b
source_profile = a

[profile fine]
region = us-east-1

[profile both]
role_arn = arn:aws:iam::1:role/x
source_profile = fine
credential_source = Environment

[profile sso-broken]
sso_session = missing
sso_account_id = 1
sso_role_name = r
"""
    profiles = load_profiles(*write(tmp_path, config))
    errors = {p.name: p.error for p in profiles}
    assert errors["lost"] == "source_profile 'nowhere' does not exist"
    assert errors["a"] == "circular source_profile: a -> b -> a"
    assert errors["b"] == "circular source_profile: b -> a -> b"
    assert errors["fine"] is None
    assert errors["both"] is not None and "cannot both" in errors["both"]
    assert errors["sso-broken"] is not None and "sso-session missing" in errors["sso-broken"]


@pytest.mark.parametrize(("body", "line", "words"), [
    ("[default]\nregion = a\n[profile x]\nregion = b\n[default]\nregion = c\n", 5, "twice"),
    ("[default]\nregion = a\nthis line is broken\n[profile x]\nregion = b\n", 3, "key = value"),
    ("region = a\n[default]\nregion = b\n[profile x]\nregion = c\n", 1, "outside"),
    ("[default\nregion = a\n[profile x]\nregion = b\n", 1, "section header"),
    ("[default]\nregion = a\n[profile my x]\nregion = b\n[profile x]\nregion = c\n", 3, "quoted"),
])
def test_malformed_config_names_file_and_line_and_keeps_the_rest(
        tmp_path: Path, body: str, line: int, words: str) -> None:
    cfg, crd = write(tmp_path, body)
    before = cfg.read_bytes()
    profiles = load_profiles(cfg, crd)
    assert "x" in profiles  # what could be read was read
    assert len(profiles.problems) == 1
    problem = profiles.problems[0]
    assert problem.path == cfg and problem.line == line and words in problem.message
    assert str(cfg) in str(problem)
    assert cfg.read_bytes() == before


def test_bad_encoding_names_the_line_and_keeps_the_profiles(tmp_path: Path) -> None:
    body = "[default]\nregion = a\n[profile x]\nregion = b\xff\xfe\n[profile y]\nregion = c\n"
    cfg, crd = write(tmp_path, body.encode("latin-1"))
    profiles = load_profiles(cfg, crd)
    assert {"default", "x", "y"} <= set(profiles.names())
    assert [(p.path, p.line) for p in profiles.problems] == [(cfg, 4)]
    assert "UTF-8" in str(profiles.problems[0]) or "utf-8" in str(profiles.problems[0])


def test_problems_in_the_credentials_file_too(tmp_path: Path) -> None:
    cfg, crd = write(tmp_path, "[default]\nregion = a\n",
                     "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"
                     "[default]\naws_access_key_id = C\n")
    profiles = load_profiles(cfg, crd)
    assert profiles.file_keys("default") == ("A", "B", None)
    assert [(p.path, p.line) for p in profiles.problems] == [(crd, 4)]


def test_keys_without_secret_is_a_profile_error(tmp_path: Path) -> None:
    profiles = load_profiles(*write(tmp_path, "", "[half]\naws_access_key_id = AKIA\n"))
    half = profiles.get("half")
    assert half is not None and half.error is not None and "secret" in half.error


@pytest.mark.parametrize(("command", "expected"), [
    ("/usr/bin/gangway credentials --profile x", (True, "x")),
    ("'/opt/my apps/gangway' credentials --profile 'a b'", (True, "a b")),
    ("/venv/bin/python -m app credentials --profile z", (True, "z")),
    ("aws-vault export --profile x", (False, None)),
    ("gangway credentials 'unterminated", (False, None)),
])
def test_gangway_credential_process_is_recognised(command: str,
                                                  expected: tuple[bool, str | None]) -> None:
    assert is_gangway_process(command) == expected
