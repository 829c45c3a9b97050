"""Credentials when the profile is odd or AWS says no, against the sandbox: keys missing from
the keyring, a role that uses its own keys, a role AWS refuses, a bad duration, a profile with
no credentials, a foreign credential_process, the SSO token cache in every state, and the
advice shown for each state."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.aws.credentials import sso, status
from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.source import CliCredentialSource
from app.core.aws.credentials.types import CredentialState, CredentialStatus
from app.core.aws.profiles.reader import load_profiles
from app.core.errors import (
    CancelledError,
    CredentialError,
    GangwayError,
    MfaRequiredError,
    ProfileError,
    SsoLoginRequiredError,
)
from app.core.paths import Paths
from app.core.secrets import MemoryStore


def add_config(aws_env, text: str) -> None:  # type: ignore[no-untyped-def]
    cfg = aws_env.config_file
    cfg.write_text(cfg.read_text() + "\n" + text)


def add_credentials(aws_env, text: str) -> None:  # type: ignore[no-untyped-def]
    crd = aws_env.credentials_file
    crd.write_text(crd.read_text() + "\n" + text)


@pytest.fixture
def service(aws_env) -> CredentialService:  # type: ignore[no-untyped-def]
    return CredentialService(MemoryStore())


def test_protected_keys_missing_from_the_keyring(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile vault]\ncredential_process = gangway credentials --profile vault\n")
    with pytest.raises(CredentialError) as err:
        service.get("vault")
    assert (err.value.message, err.value.hint) == (
        "The keys of profile 'vault' are not in the keyring.",
        "Enter the keys again in the profile editor.")
    found = service.status("vault")
    assert (found.state, found.reason) == (CredentialState.BROKEN,
                                           "the keys are missing from the keyring")


def test_protected_keys_in_the_keyring_are_not_checked_until_asked(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile vault]\ncredential_process = gangway credentials --profile vault\n")
    service.store.set("keys:vault", json.dumps({"Version": 1, "AccessKeyId": "AKIAVAULT",
                                                "SecretAccessKey": "s"}))
    assert service.status("vault") == CredentialStatus(CredentialState.UNKNOWN,
                                                       reason=status.NOT_CHECKED)
    assert service.get("vault").access_key_id == "AKIAVAULT"  # long-term: no expiry, no AWS


def test_an_identity_is_asked_once_and_a_missing_code_is_no_rejection(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MfaRequiredError):
        service.identity("mfa")  # no prompt: the user was never asked, AWS refused nothing
    assert service.rejection("mfa") is None
    assert service.status("mfa").state is CredentialState.NEEDS_MFA
    creds = service.get("mfa", lambda request: aws_env.sandbox.totp(request.serial))
    first = service.identity("mfa")
    assert aws_env.sandbox.control.expire_credentials(access_key_id=creds.access_key_id) == 1
    assert service.identity("mfa") == first  # from memory: AWS is not asked again
    with pytest.raises(CredentialError):
        service.identity("mfa", refresh=True)  # asked again: the expired session says no


def test_a_role_that_uses_its_own_keys(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    alice = aws_env.sandbox.identities["default"]
    add_config(aws_env, f"[profile self]\nregion = us-east-1\n"
               f"role_arn = {aws_env.sandbox.operator_role_arn}\nsource_profile = self\n")
    add_credentials(aws_env, f"[self]\naws_access_key_id = {alice.access_key_id}\n"
                    f"aws_secret_access_key = {alice.secret_access_key}\n")
    creds = service.get("self")
    assert creds.session_token and creds.access_key_id != alice.access_key_id
    assert ":assumed-role/" in service.identity("self").arn


def test_a_role_whose_own_keys_lack_the_secret(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, f"[profile half]\nrole_arn = {aws_env.sandbox.operator_role_arn}\n"
               "source_profile = half\n")
    add_credentials(aws_env, "[half]\naws_access_key_id = AKIAHALFKEY0000001\n")
    with pytest.raises(CredentialError, match=r"^Profile 'half' has no access keys\.$"):
        service.get("half")


def test_a_role_aws_refuses_names_the_role(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile nope]\nregion = us-east-1\n"
               "role_arn = arn:aws:iam::123456789012:role/NoSuchRole\nsource_profile = default\n")
    with pytest.raises(GangwayError) as err:
        service.get("nope")
    assert err.value.message.startswith("Assuming the role of profile 'nope': ")
    assert "arn:aws:iam::123456789012:role/NoSuchRole" in err.value.message
    assert service.cached("nope") is None


def test_a_duration_that_is_not_a_number(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, f"[profile slow]\nrole_arn = {aws_env.sandbox.operator_role_arn}\n"
               "source_profile = default\nduration_seconds = an hour\n")
    with pytest.raises(ProfileError,
                       match=r"^Profile 'slow': duration_seconds 'an hour' is not a number\.$"):
        service.get("slow")


def test_a_profile_with_no_credentials_at_all(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile bare]\nregion = eu-west-1\n")
    with pytest.raises(CredentialError) as err:
        service.get("bare")
    assert (err.value.message, err.value.hint) == (
        "Profile 'bare' has no credentials.", "Add keys, a role or an SSO login to the profile.")


def test_an_sso_profile_without_a_login_says_how_to_log_in(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SsoLoginRequiredError) as err:
        service.get("sso")
    assert (err.value.message, err.value.hint) == (
        "Profile 'sso' needs an SSO login.",
        "Log in again: `gangway profiles login sso` (or SSO login in the Profiles pane).")


def test_a_foreign_credential_process_gets_the_region_asked_for(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    alice = aws_env.sandbox.identities["default"]
    doc = tmp_path / "creds.json"
    doc.write_text(json.dumps({"Version": 1, "AccessKeyId": alice.access_key_id,
                               "SecretAccessKey": alice.secret_access_key}))
    add_config(aws_env, f"[profile proc]\nregion = us-east-1\n"
               f"credential_process = {sys.executable} -c \"import sys; "
               f"sys.stdout.write(open(sys.argv[1]).read())\" {doc}\n")
    source = CliCredentialSource(Paths.default())
    assert source.credentials("proc").access_key_id == alice.access_key_id
    session = source.session("proc", "eu-west-1")
    assert session.region_name == "eu-west-1"
    arn = session.client("sts").get_caller_identity()["Arn"]
    assert arn.endswith(":user/alice")


def login(aws_env) -> sso.SsoConfig:  # type: ignore[no-untyped-def]
    config = sso.config_for(load_profiles(), "sso")
    control = aws_env.sandbox.control
    codes: list[str] = []
    polls: list[float] = []

    def sleep(seconds: float) -> None:  # the first poll was "pending": approve, poll again
        polls.append(seconds)
        assert control.approve_device_code(user_code=codes[0])

    sso.login(config, on_code=lambda d: codes.append(d.user_code), open_browser=False,
              sleep=sleep)
    assert polls == [1]  # exactly one AuthorizationPendingException, at the server's interval
    return config


SSO_CREDENTIALS = (
    "from datetime import UTC, datetime; "
    "from app.core.aws.credentials.service import CredentialService; "
    "from app.core.secrets import MemoryStore; "
    "c = CredentialService(MemoryStore()).get('sso'); "
    "print(c.access_key_id[:7], bool(c.session_token), "
    "int((c.expiration - datetime.now(UTC)).total_seconds() // 3600))")


def test_a_login_approved_after_the_first_poll_then_credentials(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    login(aws_env)
    assert service.status("sso").state is CredentialState.VALID_UNTIL
    # botocore's SSO provider, in a fresh process (it fixes ~/.aws/sso/cache at import):
    # the portal's role credentials, with their expiry (the sandbox gives one hour).
    done = subprocess.run([sys.executable, "-c", SSO_CREDENTIALS], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ASIASSO", "True", "0"]


def test_a_login_cancelled_while_waiting_for_approval(aws_env) -> None:  # type: ignore[no-untyped-def]
    config = sso.config_for(load_profiles(), "sso")
    cancel = threading.Event()
    polled = threading.Event()

    def on_code(_device: sso.DeviceAuthorization) -> None:
        # Cancel once the first poll is under way, as the dialog's Cancel button would.
        threading.Thread(target=lambda: (polled.wait(10), cancel.set()), daemon=True).start()
        polled.set()

    with pytest.raises(CancelledError, match=r"^The SSO login was cancelled\.$"):
        sso.login(config, on_code=on_code, open_browser=False, cancel=cancel)
    assert not sso.token_path(config).exists()


def test_a_cancellable_login_keeps_polling_until_approved(aws_env) -> None:  # type: ignore[no-untyped-def]
    config = sso.config_for(load_profiles(), "sso")
    control = aws_env.sandbox.control

    def on_code(device: sso.DeviceAuthorization) -> None:
        # Approved while the login waits between polls (a user finishing in the browser).
        threading.Timer(0.3, control.approve_device_code, kwargs={
            "user_code": device.user_code}).start()

    token = sso.login(config, on_code=on_code, open_browser=False, cancel=threading.Event())
    cached = sso.cached_token(config)
    assert cached is not None and cached.access_token == token.access_token


def test_a_profile_naming_an_undefined_sso_session(aws_env) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile lost]\nsso_session = nowhere\nsso_account_id = 123456789012\n"
               "sso_role_name = Admin\n")
    with pytest.raises(ProfileError, match=r"^Profile 'lost': sso-session 'nowhere' is not "
                       r"defined\.$"):
        sso.config_for(load_profiles(), "lost")


def test_listing_without_a_login_or_for_an_unknown_account(aws_env) -> None:  # type: ignore[no-untyped-def]
    config = sso.config_for(load_profiles(), "sso")
    with pytest.raises(SsoLoginRequiredError) as err:
        sso.list_roles(config, "123456789012")
    assert err.value.message == f"There is no valid SSO login for {config.start_url}."
    login(aws_env)
    with pytest.raises(GangwayError) as other:
        sso.list_roles(config, "999999999999")
    assert not isinstance(other.value, SsoLoginRequiredError)
    assert other.value.message.startswith("Listing SSO roles of 999999999999: ")
    aws_env.sandbox.control.expire_sso_tokens()
    with pytest.raises(SsoLoginRequiredError) as expired:
        sso.list_accounts(config)
    assert (expired.value.message, expired.value.hint) == ("The SSO login has expired.",
                                                           "Log in with SSO again.")


def write_token(config: sso.SsoConfig, **doc: str) -> None:
    path = sso.token_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"startUrl": config.start_url, "region": config.region,
                                "accessToken": "cached", **doc}))


LATER = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("doc", "state", "reason", "expires"), [
    ({"expiresAt": "next tuesday"}, CredentialState.NEEDS_SSO_LOGIN, "unreadable token", None),
    ({"expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "r",
      "registrationExpiresAt": LATER}, CredentialState.VALID, "", None),
    ({"expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "r",
      "registrationExpiresAt": "soon"}, CredentialState.NEEDS_SSO_LOGIN, "",
     datetime(2020, 1, 1, tzinfo=UTC)),
    ({"expiresAt": "2020-01-01T00:00:00Z", "refreshToken": "r",
      "registrationExpiresAt": "2020-01-02T00:00:00Z"}, CredentialState.NEEDS_SSO_LOGIN, "",
     datetime(2020, 1, 1, tzinfo=UTC)),
])
def test_the_token_cache_in_each_state(aws_env, service, doc: dict[str, str],  # type: ignore[no-untyped-def]
                                       state: CredentialState, reason: str,
                                       expires: datetime | None) -> None:
    config = sso.config_for(load_profiles(), "sso")
    write_token(config, **doc)
    assert service.status("sso") == CredentialStatus(state, expires, reason)
    assert sso.cached_token(config) is None  # none of these is a token to send


def test_a_legacy_sso_profile_without_a_region_is_broken(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\n"
               "sso_account_id = 123456789012\nsso_role_name = Admin\n")
    found = service.status("legacy")
    assert found == CredentialStatus(
        CredentialState.BROKEN, reason="Profile 'legacy' needs sso_start_url and sso_region.")
    assert status.advice(load_profiles().require("legacy"), found) == \
        "Fix it in the profile editor or in ~/.aws/config."


def test_a_legacy_sso_profile_keys_its_token_by_start_url(aws_env) -> None:  # type: ignore[no-untyped-def]
    add_config(aws_env, "[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\n"
               "sso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n")
    config = sso.config_for(load_profiles(), "legacy")
    assert config == sso.SsoConfig("https://corp.awsapps.com/start", "eu-west-1")
    # botocore's key for a legacy profile: sha1 of the start URL
    assert sso.cache_key(config) == "a51746d4aa793ae07b25e90c3a5db96fc7832bd7"


def test_an_unknown_profile_has_a_status_too(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    assert service.status("ghost") == CredentialStatus(CredentialState.BROKEN,
                                                       reason="profile not found")


ADVICE_CONFIG = """\
[profile sso-p]
sso_session = s
sso_account_id = 123456789012
sso_role_name = Admin

[sso-session s]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile role-p]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = keys

[profile proc]
credential_process = /opt/vault/print-keys

[profile bare]
region = eu-west-1
"""
ADVICE_CREDENTIALS = """\
[keys]
aws_access_key_id = AKIAKEYS
aws_secret_access_key = s

[temp]
aws_access_key_id = ASIATEMP
aws_secret_access_key = s
aws_session_token = t
"""


@pytest.mark.parametrize(("name", "state", "reason", "says"), [
    ("sso-p", CredentialState.NEEDS_SSO_LOGIN, "",
     "Log in again: `gangway profiles login sso-p` (or SSO login in Profiles)."),
    ("temp", CredentialState.EXPIRED, "",
     "These are temporary keys pasted into the file: paste fresh ones, or use an SSO or role "
     "profile instead."),
    ("keys", CredentialState.BROKEN, status.REJECTED,
     "AWS does not take these keys (deleted, deactivated or mistyped): create new access keys "
     "in IAM and enter them in the profile."),
    ("role-p", CredentialState.EXPIRED, "",
     "Obtained again when used (its source profile's credentials assume the role)."),
    ("proc", CredentialState.EXPIRED, "", "Check the profile's credential source."),
    ("bare", CredentialState.BROKEN, "", ""),
    ("bare", CredentialState.VALID, "", ""),
])
def test_advice_fits_the_kind_and_the_state(tmp_path: Path, name: str, state: CredentialState,
                                            reason: str, says: str) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text(ADVICE_CONFIG)
    crd.write_text(ADVICE_CREDENTIALS)
    profile = load_profiles(cfg, crd).require(name)
    assert status.advice(profile, CredentialStatus(state, reason=reason)) == says
