"""SSO: the device flow against the sandbox, the AWS CLI's token cache format, accounts."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.aws.credentials import sso
from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import CredentialState
from app.core.aws.profiles.names import sso_profile_name
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter, SsoProfileSpec
from app.core.errors import CancelledError, SsoLoginRequiredError
from app.core.secrets import MemoryStore

GANGWAY_IDENTITY = (
    "from app.core.aws.credentials.service import CredentialService; "
    "from app.core.secrets import MemoryStore; "
    "print(CredentialService(MemoryStore()).identity({profile!r}).arn)")


def fresh_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def approve_in(aws_env):
    def on_code(device: sso.DeviceAuthorization) -> None:
        assert device.user_code and device.verification_uri_complete.endswith(device.user_code)
        assert aws_env.sandbox.control.approve_device_code(user_code=device.user_code)
    return on_code


def test_login_writes_the_aws_cli_token_cache(aws_env) -> None:
    profiles = load_profiles()
    config = sso.config_for(profiles, "sso")
    assert config.session_name == "sandbox"
    service = CredentialService(MemoryStore())
    assert service.status("sso").state is CredentialState.NEEDS_SSO_LOGIN
    token = sso.login(config, on_code=approve_in(aws_env), open_browser=False)
    path = aws_env.home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"sandbox").hexdigest() + ".json")
    assert sso.token_path(config) == path
    doc = json.loads(path.read_text())
    assert set(doc) == {"startUrl", "region", "accessToken", "expiresAt", "clientId",
                        "clientSecret", "registrationExpiresAt", "refreshToken"}
    assert doc["startUrl"] == aws_env.sandbox.sso_start_url and doc["region"] == "us-east-1"
    for key in ("expiresAt", "registrationExpiresAt"):
        assert datetime.strptime(doc[key], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) > datetime.now(UTC)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert doc["accessToken"] == token.access_token and token.access_token not in repr(token)
    status = service.status("sso")
    assert status.state is CredentialState.VALID_UNTIL
    # botocore's own SSO provider reads our token and gets role credentials from the portal
    # (in a fresh process: botocore fixes ~/.aws/sso/cache at import, before the test HOME).
    arn = fresh_python(
        "import boto3; print(boto3.Session(profile_name='sso').client('sts')"
        ".get_caller_identity()['Arn'])")
    assert ":assumed-role/AWSReservedSSO_AdministratorAccess_" in arn
    # and so does Gangway's session for the profile
    assert fresh_python(GANGWAY_IDENTITY.format(profile="sso")) == arn


def test_login_through_the_browser(aws_env, monkeypatch, tmp_path: Path) -> None:
    # webbrowser honours $BROWSER; this "browser" opens the page the way a user's would.
    opener = tmp_path / "browser.py"
    opener.write_text("import sys, urllib.request\nurllib.request.urlopen(sys.argv[1]).read()\n")
    monkeypatch.setenv("BROWSER", f"{shlex.quote(sys.executable)} {shlex.quote(str(opener))} %s")
    legacy = sso.SsoConfig(aws_env.sandbox.sso_start_url, "us-east-1")
    sso.login(legacy)
    path = sso.token_path(legacy)
    assert path.name == hashlib.sha1(aws_env.sandbox.sso_start_url.encode()).hexdigest() + ".json"
    doc = json.loads(path.read_text())
    assert set(doc) == {"startUrl", "region", "accessToken", "expiresAt"}


def test_accounts_roles_and_profiles_from_them(aws_env) -> None:
    profiles = load_profiles()
    config = sso.config_for(profiles, "sso")
    with pytest.raises(SsoLoginRequiredError):
        sso.list_accounts(config)
    sso.login(config, on_code=approve_in(aws_env), open_browser=False)
    accounts = sso.list_accounts(config)
    assert {a.account_id for a in accounts} == {"123456789012", "210987654321"}
    specs = []
    for account in accounts:
        for role in sso.list_roles(config, account.account_id):
            specs.append(SsoProfileSpec(sso_profile_name(account.name, role), account.account_id,
                                        role, "us-east-1"))
    assert {s.name for s in specs} == {"sandbox-prod-AdministratorAccess",
                                      "sandbox-prod-ReadOnly", "sandbox-staging-PowerUser"}
    after = ProfileWriter().create_sso_profiles(profiles, "sandbox", specs)
    service = CredentialService(MemoryStore())
    assert service.status("sandbox-prod-ReadOnly", after).state is CredentialState.VALID_UNTIL
    arn = fresh_python(GANGWAY_IDENTITY.format(profile="sandbox-prod-ReadOnly"))
    assert "AWSReservedSSO_ReadOnly" in arn


def test_an_unapproved_login_can_be_cancelled(aws_env) -> None:
    config = sso.config_for(load_profiles(), "sso")
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        sso.login(config, on_code=lambda _d: cancel.set(), open_browser=False, cancel=cancel)
    assert not sso.token_path(config).exists()


def test_an_expired_token_needs_a_new_login(aws_env) -> None:
    config = sso.config_for(load_profiles(), "sso")
    path = sso.token_path(config)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"startUrl": config.start_url, "region": "us-east-1",
                                "accessToken": "old", "expiresAt": "2020-01-01T00:00:00Z"}))
    assert sso.cached_token(config) is None
    status = CredentialService(MemoryStore()).status("sso")
    assert status.state is CredentialState.NEEDS_SSO_LOGIN and status.expires is not None
    path.write_text("{broken")
    assert CredentialService(MemoryStore()).status("sso").state is CredentialState.NEEDS_SSO_LOGIN
