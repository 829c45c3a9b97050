"""Protect and unprotect when they must refuse, and the keys that are not plain key pairs
(a session token, other settings beside the keys, credential_process in the credentials
file). A real gnome-keyring on a private D-Bus; the files are the sandbox home's."""

from __future__ import annotations

import json

import pytest

from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import ProfileError
from app.core.secrets import open_secret_store

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]


@pytest.fixture
def writer(gnome_keyring) -> ProfileWriter:  # type: ignore[no-untyped-def]
    store = open_secret_store(require_real=True)
    assert store.real
    return ProfileWriter(store)


def test_a_profile_without_keys_in_the_credentials_file_is_refused(aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    before = aws_env.config_file.read_bytes(), aws_env.credentials_file.read_bytes()
    with pytest.raises(ProfileError) as err:
        writer.protect_keys(load_profiles(), "sso")
    assert err.value.message == (f"Profile 'sso' has no access keys in "
                                 f"{aws_env.credentials_file}.")
    assert err.value.hint == "Only keys in the credentials file can be protected."
    assert (aws_env.config_file.read_bytes(), aws_env.credentials_file.read_bytes()) == before
    assert writer.store is not None and writer.store.get("keys:sso") is None


def test_the_keys_of_a_role_profile_are_not_protected(aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    crd = aws_env.credentials_file
    crd.write_text(crd.read_text() + "\n[role]\naws_access_key_id = AKIAROLEKEYS0000001\n"
                   "aws_secret_access_key = role-secret\n")
    before = aws_env.config_file.read_bytes(), crd.read_bytes()
    with pytest.raises(ProfileError) as err:
        writer.protect_keys(load_profiles(), "role")
    assert err.value.message == ("Profile 'role' is a assume role profile; its keys are only "
                                 "used as a source.")
    assert err.value.hint == "Move the keys to a profile of their own and protect that one."
    assert (aws_env.config_file.read_bytes(), crd.read_bytes()) == before


def test_a_session_token_and_other_settings_survive_protect_and_unprotect(
        aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    crd = aws_env.credentials_file
    crd.write_text(crd.read_text() + "\n[temp]\nregion = eu-west-3\n"
                   "aws_access_key_id = ASIATEMPKEYS000001\naws_secret_access_key = temp-secret\n"
                   "aws_session_token = temp-token\n")
    profiles = writer.protect_keys(load_profiles(), "temp")
    assert profiles.require("temp").kind is ProfileKind.PROTECTED
    stored = json.loads(writer.store.get("keys:temp") or "{}")  # type: ignore[union-attr]
    assert stored == {"Version": "1", "AccessKeyId": "ASIATEMPKEYS000001",
                      "SecretAccessKey": "temp-secret", "SessionToken": "temp-token"}
    text = crd.read_text()
    assert "[temp]\nregion = eu-west-3\n" in text  # the section stays for its other setting
    assert "temp-secret" not in text and "temp-token" not in text
    profiles = writer.unprotect_keys(profiles, "temp")
    assert profiles.file_keys("temp") == ("ASIATEMPKEYS000001", "temp-secret", "temp-token")
    assert profiles.require("temp").kind is ProfileKind.STATIC
    assert writer.store.get("keys:temp") is None  # type: ignore[union-attr]


def test_unprotect_refuses_a_profile_that_is_not_protected(aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError) as err:
        writer.unprotect_keys(load_profiles(), "default")
    assert err.value.message == "Profile 'default' does not have protected keys."


def test_unprotect_without_keys_in_the_keyring_changes_nothing(aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    cfg = aws_env.config_file
    cfg.write_text(cfg.read_text() + "\n[profile lost]\n"
                   "credential_process = gangway credentials --profile lost\n")
    before = cfg.read_bytes(), aws_env.credentials_file.read_bytes()
    profiles = load_profiles()
    assert profiles.require("lost").kind is ProfileKind.PROTECTED
    with pytest.raises(ProfileError) as err:
        writer.unprotect_keys(profiles, "lost")
    assert (err.value.message, err.value.hint) == (
        "The keyring has no keys for profile 'lost'.",
        "Enter the keys again in the profile editor.")
    assert (cfg.read_bytes(), aws_env.credentials_file.read_bytes()) == before


def test_unprotect_removes_a_credential_process_line_from_the_credentials_file(
        aws_env, writer) -> None:  # type: ignore[no-untyped-def]
    # botocore reads credential_process from either file; so does Gangway's reader.
    crd = aws_env.credentials_file
    crd.write_text(crd.read_text() + "\n[side]\n"
                   "credential_process = gangway credentials --profile side\n")
    profiles = load_profiles()
    assert profiles.require("side").kind is ProfileKind.PROTECTED
    writer.store.set("keys:side", json.dumps(  # type: ignore[union-attr]
        {"Version": "1", "AccessKeyId": "AKIASIDEKEYS000001", "SecretAccessKey": "side-secret"}))
    profiles = writer.unprotect_keys(profiles, "side")
    assert profiles.require("side").kind is ProfileKind.STATIC
    assert profiles.require("side").get("credential_process") is None
    assert "credential_process" not in crd.read_text()
    assert "[profile side]" not in aws_env.config_file.read_text()
