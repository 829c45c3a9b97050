"""The tolerant reader and the strict check at their edges: sections that are not profiles,
settings repeated, half-written SSO and role profiles, unreadable files, and exactly what
botocore's own parser refuses (compared with botocore on every case)."""

from __future__ import annotations

from pathlib import Path

import botocore.exceptions
import botocore.session
import pytest

from app.core.aws.profiles import strict
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles, plain_protected
from app.core.aws.profiles.writer import ProfileWriter


def write(tmp_path: Path, config: str, credentials: str = "") -> tuple[Path, Path]:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(config, encoding="utf-8")
    crd.write_text(credentials, encoding="utf-8")
    return cfg, crd


def botocore_profiles(cfg: Path, crd: Path) -> dict[str, dict[str, str]]:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(cfg))
    session.set_config_variable("credentials_file", str(crd))
    return dict(session.full_config["profiles"])


def test_sections_that_are_not_profiles_are_skipped_quietly(tmp_path: Path) -> None:
    cfg, crd = write(tmp_path, "[plugins]\nendpoint = awscli_plugin_endpoint\n\n"
                     "[services local]\ns3 =\n  endpoint_url = http://localhost\n\n"
                     "[sso-session]\nsso_region = eu-west-1\n\n"
                     "[sso-session a b]\nsso_region = eu-west-1\n\n"
                     '[profile "unclosed]\nregion = x\n\n'
                     '[sso-session "unclosed]\nsso_region = x\n\n'
                     "[profile real]\nregion = eu-west-1\n")
    profiles = load_profiles(cfg, crd)
    assert profiles.names() == ["real"] and dict(profiles.sso_sessions) == {}
    # Only the one that looks like a profile is worth a word.
    assert [p.message for p in profiles.problems] == [
        f'{cfg}:14: [profile "unclosed] is not read by the AWS tools (a name with spaces '
        'must be quoted)']
    assert set(botocore_profiles(cfg, crd)) == {"real"}  # botocore reads the same profiles


@pytest.mark.parametrize(("first", "second"), [("profile default", "default"),
                                               ("default", "profile default")])
def test_of_default_and_profile_default_the_later_one_counts_as_in_botocore(
        tmp_path: Path, first: str, second: str) -> None:
    cfg, crd = write(tmp_path, f"[{first}]\nregion = eu-north-1\n\n"
                     f"[{second}]\nregion = ap-south-1\n")
    assert botocore_profiles(cfg, crd)["default"]["region"] == "ap-south-1"
    profiles = load_profiles(cfg, crd)
    assert profiles.require("default").region == "ap-south-1"
    # ... and an edit goes to the section botocore reads.
    ProfileWriter().update(profiles, "default", {"region": "sa-east-1"})
    assert botocore_profiles(cfg, crd)["default"]["region"] == "sa-east-1"
    assert cfg.read_text() == (f"[{first}]\nregion = eu-north-1\n\n"
                               f"[{second}]\nregion = sa-east-1\n")


def test_a_setting_given_twice_is_a_problem_and_the_last_one_counts(tmp_path: Path) -> None:
    cfg, crd = write(tmp_path, "[profile twice]\nregion = us-east-1\nregion = us-west-2\n")
    profiles = load_profiles(cfg, crd)
    assert profiles.require("twice").region == "us-west-2"
    assert [str(p) for p in profiles.problems] == [
        f"{cfg}:3: 'region' is set twice in [profile twice]; the last one is used"]


@pytest.mark.parametrize(("body", "error"), [
    ("role_arn = arn:aws:iam::123456789012:role/r\n",
     "role_arn needs source_profile or credential_source"),
    ("role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
     "credential_source = Environment\n",
     "source_profile and credential_source cannot both be set"),
    ("sso_account_id = 123456789012\nsso_role_name = Admin\n",
     "SSO profile without sso_session or sso_start_url"),
    ("sso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n",
     "SSO profile is missing sso_account_id, sso_role_name"),
    ("sso_start_url = https://x.awsapps.com/start\nsso_account_id = 123456789012\n",
     "SSO profile is missing sso_role_name"),
])
def test_half_written_profiles_carry_their_error(tmp_path: Path, body: str, error: str) -> None:
    cfg, crd = write(tmp_path, "[profile base]\nregion = eu-west-1\n\n[profile p]\n" + body)
    profile = load_profiles(cfg, crd).require("p")
    assert profile.error == error


def test_a_role_may_use_its_own_keys_as_its_source(tmp_path: Path) -> None:
    cfg, crd = write(tmp_path, "[profile self]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
                     "source_profile = self\n",
                     "[self]\naws_access_key_id = AKIASELF\naws_secret_access_key = s\n")
    profile = load_profiles(cfg, crd).require("self")
    assert profile.kind is ProfileKind.ASSUME_ROLE
    assert (profile.error, profile.source_chain) == (None, ("self",))


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.mkdir()  # a directory where the file should be: open() fails with EISDIR
    crd = tmp_path / "credentials"
    crd.write_text("[keys]\naws_access_key_id = AKIAK\naws_secret_access_key = s\n")
    profiles = load_profiles(cfg, crd)
    assert profiles.names() == ["keys"]
    assert [str(p) for p in profiles.problems] == [f"{cfg}: cannot be read (Is a directory)"]


PROTECTED = "[profile vault]\ncredential_process = gangway credentials --profile vault\n"


@pytest.mark.parametrize(("config", "credentials", "plain"), [
    (PROTECTED, None, True),  # no credentials file at all
    (PROTECTED + "mfa_serial = arn:aws:iam::123456789012:mfa/me\n", "", False),
    (PROTECTED + "not a setting\n", "", False),  # a problem: the full path words it
    ("[profile other]\nregion = eu-west-1\n", "", False),  # not there
    (PROTECTED, b"[x]\nkey = caf\xe9\n", False),  # bad encoding in the other file
])
def test_plain_protected_answers_only_for_a_clean_protected_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str,
        credentials: str | bytes | None, plain: bool) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(config)
    if isinstance(credentials, bytes):
        crd.write_bytes(credentials)
    elif credentials is not None:
        crd.write_text(credentials)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(crd))
    assert plain_protected("vault") is plain


def botocore_refuses(path: Path, tmp_path: Path) -> bool:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(path))
    session.set_config_variable("credentials_file", str(tmp_path / "none"))
    try:
        session.full_config  # noqa: B018 - reading it parses the file
    except botocore.exceptions.ConfigParseError:
        return True
    return False


@pytest.mark.parametrize(("text", "says"), [
    ("[default]\nregion = a\n[default]\nregion = b\n",
     "{path}:3: section [default] appears twice."),
    ("[default]\nregion = a\nregion = b\n", "{path}:3: 'region' is set twice in [default]."),
    ("[default]\nnot a setting\n", "{path}:2: a line that is not 'key = value'."),
    ("region = a\n[default]\n", "{path}:1: a line before the first [section] header."),
    ("[default]\ns3 =\n  addressing_style = path\n  no equals\n",
     "{path}:4: 'no equals' under 's3' in [default] is not 'key = value'."),
    ("[ spaced ]\ns3 =\n  no equals\n",
     "{path}:3: 'no equals' under 's3' in [ spaced ] is not 'key = value'."),
])
def test_strict_refuses_what_botocore_refuses_with_the_line(tmp_path: Path, text: str,
                                                            says: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    assert botocore_refuses(path, tmp_path)
    refusal = strict.refusal(path)
    assert refusal is not None and refusal.message == says.format(path=path)
    assert refusal.hint == "The AWS CLI and SDKs refuse this file too; fix the line named above."
    with pytest.raises(type(refusal), match="refuse"):
        strict.require_readable(tmp_path / "missing", path)


def test_strict_accepts_nested_settings_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("[default]\ns3 =\n  addressing_style = path\n\n"
                    "  max_concurrent_requests = 4\nregion = eu-west-1\n")
    assert not botocore_refuses(path, tmp_path)
    assert strict.refusal(path) is None
    assert strict.refusal(tmp_path / "missing") is None
    strict.require_readable(tmp_path / "missing", path)  # raises nothing


def test_an_unknown_profile_kind_is_refused() -> None:
    from app.core.aws.profiles.kinds import values_for
    from app.core.errors import ProfileError

    with pytest.raises(ProfileError, match=r"^Unknown profile kind 'ldap'\.$"):
        values_for("ldap", {"region": "eu-west-1"})
