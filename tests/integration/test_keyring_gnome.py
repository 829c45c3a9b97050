"""Protected keys in a real gnome-keyring, read back by the AWS CLI, botocore and the helper.

Each test runs its own D-Bus session and gnome-keyring-daemon (unlocked with a test
password), under the sandbox HOME; `gangway` on PATH is this venv's console script.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import CACHE_PREFIX, KEYS_PREFIX
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import KeyringUnavailableError
from app.core.secret_service import SecretServiceStore
from app.core.secrets import (
    SECRET_SERVICE_BACKEND,
    KeyringStore,
    backend_info,
    open_secret_store,
    secret_service_get,
)
from tests.conftest import require_program

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]

AWS_CLI = "/usr/bin/aws"
VENV_BIN = Path(sys.executable).parent


def gangway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # stdin is an open pipe nobody writes to: a helper that read stdin would hang here.
    return subprocess.run([str(VENV_BIN / "gangway"), *args], capture_output=True, text=True,
                          stdin=subprocess.PIPE, timeout=60, env=env or dict(os.environ),
                          check=False)


def aws_cli(aws_env, *args: str) -> subprocess.CompletedProcess[str]:
    require_program(AWS_CLI)  # the Debian AWS CLI v2 (.ci/run installs it)
    # This CLI predates AWS_ENDPOINT_URL_<SERVICE>; the endpoint goes on the command line.
    return subprocess.run([AWS_CLI, *args, "--endpoint-url", aws_env.sandbox.gateway,
                           "--output", "json"], capture_output=True, text=True, timeout=60,
                          check=False)


def secret_of(aws_env, profile: str) -> str:
    return aws_env.sandbox.identities[profile].secret_access_key


def assert_no_plaintext(folder: Path, secret: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_the_direct_secret_service_read_agrees_with_keyring(gnome_keyring, monkeypatch) -> None:
    keyring.set_password("gangway", "cache:prød x", "välue 1")
    assert secret_service_get("gangway", "cache:prød x") == "välue 1"
    assert secret_service_get("gangway", "cache:other") is None
    assert secret_service_get("other-service", "cache:prød x") is None
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert secret_service_get("gangway", "cache:prød x") is None  # the user's choice wins
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    gnome_keyring.lock()
    assert secret_service_get("gangway", "cache:prød x") is None  # locked: keyring reports it


def test_the_real_keyring_is_used(gnome_keyring) -> None:
    info = backend_info()
    assert info.real and info.name == SECRET_SERVICE_BACKEND  # ours, not keyring's
    store = open_secret_store(require_real=True)
    assert isinstance(store, SecretServiceStore)
    store.set("probe", "välue")
    assert store.get("probe") == "välue"
    store.delete("probe")
    store.delete("probe")  # idempotent
    assert store.get("probe") is None


@pytest.mark.parametrize("name", ["default", "prod keys", "prød-ü"])
def test_protect_keys_round_trip_through_real_consumers(aws_env, gnome_keyring,
                                                        name: str) -> None:
    secret = secret_of(aws_env, "default")
    writer = ProfileWriter(KeyringStore())
    profiles = load_profiles()
    if name != "default":
        ident = aws_env.sandbox.identities["default"]
        profiles = writer.create(profiles, name, {"region": "us-east-1"},
                                 {"aws_access_key_id": ident.access_key_id,
                                  "aws_secret_access_key": ident.secret_access_key})
    profiles = writer.protect_keys(profiles, name)
    profile = profiles.get(name)
    assert profile is not None and profile.kind is ProfileKind.PROTECTED
    assert profiles.file_keys(name) is None
    if name == "default":
        assert secret not in aws_env.credentials_file.read_text()
    assert_no_plaintext(aws_env.home / ".gangway", secret)
    for path in (aws_env.config_file, aws_env.credentials_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The AWS CLI runs `gangway credentials` and signs with what it prints.
    who = aws_cli(aws_env, "sts", "get-caller-identity", "--profile", name)
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].endswith(":user/alice")
    # botocore's own credential-process provider accepts the output.
    code = (f"import botocore.session as s; c = s.Session(profile={name!r}).get_credentials(); "
            "print(c.method, c.access_key)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["custom-process",
                                  aws_env.sandbox.identities["default"].access_key_id]
    # The helper prints long-term keys as Version 1 JSON without token or expiry.
    helper = gangway("credentials", "--profile", name)
    assert helper.returncode == 0, helper.stderr
    doc = json.loads(helper.stdout)
    assert doc == {"Version": 1, "AccessKeyId": aws_env.sandbox.identities["default"].access_key_id,
                   "SecretAccessKey": secret}

    # Unprotect puts the keys back and empties the keyring.
    profiles = writer.unprotect_keys(load_profiles(), name)
    assert profiles.file_keys(name) is not None
    assert KeyringStore().get(KEYS_PREFIX + name) is None
    assert "credential_process" not in (profiles.get(name) or profile).fields
    import botocore.session

    back = botocore.session.Session(profile=name).get_credentials()
    assert back is not None and back.method == "shared-credentials-file"
    assert back.secret_key == secret


def test_cache_hit_prints_temporary_credentials_without_boto3(aws_env, gnome_keyring) -> None:
    store = KeyringStore()
    profiles = ProfileWriter(store).protect_keys(load_profiles(), "mfa")
    mfa = profiles.get("mfa")
    assert mfa is not None and mfa.kind is ProfileKind.PROTECTED and mfa.needs_mfa
    service = CredentialService(store)
    creds = service.get("mfa", lambda r: aws_env.sandbox.totp(r.serial))
    assert json.loads(store.get(CACHE_PREFIX + "mfa") or "{}")["SessionToken"] == creds.session_token
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    helper = gangway("credentials", "--profile", "mfa", env=env)
    assert helper.returncode == 0, helper.stderr
    doc = json.loads(helper.stdout)
    assert doc["SessionToken"] == creds.session_token and doc["Version"] == 1
    assert doc["Expiration"].endswith("Z") and doc["AccessKeyId"] == creds.access_key_id
    imported = {line.split("|")[-1].strip() for line in helper.stderr.splitlines()
                if line.startswith("import time:")}
    assert "app.core.secrets" in imported  # the measurement itself works
    for heavy in ("boto3", "botocore", "PySide6"):
        assert heavy not in imported, f"{heavy} was imported on a cache hit"
    # and the AWS CLI uses the cached session credentials (bob, with MFA) without a prompt
    who = aws_cli(aws_env, "sts", "get-caller-identity", "--profile", "mfa")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].endswith(":user/bob")


def test_mfa_needed_without_window_or_display_fails_with_one_line(aws_env, gnome_keyring) -> None:
    ProfileWriter(KeyringStore()).protect_keys(load_profiles(), "mfa")
    helper = gangway("credentials", "--profile", "mfa")
    assert helper.returncode != 0 and helper.stdout == ""
    lines = helper.stderr.strip().splitlines()
    assert len(lines) == 1 and "MFA" in lines[0] and "mfa" in lines[0]


def test_unknown_profile_fails_with_one_line(aws_env, gnome_keyring) -> None:
    helper = gangway("credentials", "--profile", "no such profile")
    assert helper.returncode != 0
    assert len(helper.stderr.strip().splitlines()) == 1 and "no such profile" in helper.stderr


def test_a_locked_keyring_is_a_plain_error(aws_env, gnome_keyring) -> None:
    store = KeyringStore()
    ProfileWriter(store).protect_keys(load_profiles(), "default")
    gnome_keyring.lock()
    with pytest.raises(KeyringUnavailableError) as err:
        store.get(KEYS_PREFIX + "default")
    assert "locked" in err.value.message
    helper = gangway("credentials", "--profile", "default")
    assert helper.returncode != 0
    lines = helper.stderr.strip().splitlines()
    assert len(lines) == 1 and "locked" in lines[0]
    status = CredentialService(store).status("default")
    assert status.state.name == "UNKNOWN" and "locked" in status.reason


def test_no_keyring_backend_means_no_protection_and_no_plaintext(aws_env, monkeypatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    try:
        assert not backend_info().real
        store = open_secret_store()
        assert not store.real
        with pytest.raises(KeyringUnavailableError):
            open_secret_store(require_real=True)
        before = aws_env.credentials_file.read_bytes(), aws_env.config_file.read_bytes()
        with pytest.raises(KeyringUnavailableError) as err:
            ProfileWriter(store).protect_keys(load_profiles(), "default")
        assert "keyring" in err.value.message.lower()
        assert (aws_env.credentials_file.read_bytes(), aws_env.config_file.read_bytes()) == before
        assert_no_plaintext(aws_env.home / ".gangway", secret_of(aws_env, "default"))
    finally:
        keyring.set_keyring(previous)
    helper = gangway("credentials", "--profile", "default")
    assert helper.returncode != 0
    lines = helper.stderr.strip().splitlines()
    assert len(lines) == 1 and "keyring" in lines[0].lower()


def test_sessions_for_protected_profiles_and_roles_on_them(aws_env, gnome_keyring) -> None:
    store = KeyringStore()
    ProfileWriter(store).protect_keys(load_profiles(), "default")
    service = CredentialService(store)
    # In-process sessions read the keyring directly (no helper subprocess, no prompt).
    assert service.identity("default").arn.endswith(":user/alice")
    assert ":assumed-role/gangway-operator/" in service.identity("role").arn
    assert service.status("default").state.name == "VALID"
    assert service.status("role").state.name == "VALID_UNTIL"
    KeyringStore().delete(KEYS_PREFIX + "default")
    status = service.status("default")
    assert status.state.name == "BROKEN" and "keyring" in status.reason


def test_concurrent_helpers_without_window_queue_on_the_profile_lock(aws_env,
                                                                     gnome_keyring) -> None:
    ProfileWriter(KeyringStore()).protect_keys(load_profiles(), "mfa")
    procs = [subprocess.Popen([str(VENV_BIN / "gangway"), "credentials", "--profile", "mfa"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    for stdout, stderr, code in results:  # each one fails cleanly; none hangs on the lock
        assert code != 0 and stdout == ""
        assert len(stderr.strip().splitlines()) == 1 and "MFA" in stderr
