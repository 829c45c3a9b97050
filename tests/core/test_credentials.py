"""CredentialService against the sandbox: MFA, roles, caching, one prompt, typed failures."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import (
    CACHE_PREFIX,
    Credentials,
    CredentialState,
    Durations,
    MfaRequest,
    format_time,
)
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import (
    CancelledError,
    CredentialError,
    MfaCodeRejectedError,
    MfaRequiredError,
    NetworkError,
    ProfileError,
)
from app.core.secrets import MemoryStore
from tests.conftest import threads_waiting_in


class Prompter:
    """A prompt that answers with the sandbox's current TOTP (or scripted answers)."""

    def __init__(self, sandbox, answers: list[str | None] | None = None,
                 hold: threading.Event | None = None) -> None:
        self.sandbox = sandbox
        self.answers = list(answers or [])
        self.requests: list[MfaRequest] = []
        self.hold = hold
        self.lock = threading.Lock()

    def __call__(self, request: MfaRequest) -> str | None:
        with self.lock:
            self.requests.append(request)
        if self.hold is not None:
            self.hold.wait(10)
        if self.answers:
            return self.answers.pop(0)
        return self.sandbox.totp(request.serial)


def wrong_code(sandbox) -> str:
    right = sandbox.totp()
    return "000000" if right != "000000" else "111111"


@pytest.fixture
def service(aws_env) -> CredentialService:
    return CredentialService(MemoryStore())


def test_mfa_profile_gets_a_session_token_once_and_caches_it(aws_env, service) -> None:
    prompt = Prompter(aws_env.sandbox)
    assert service.status("mfa").state is CredentialState.NEEDS_MFA
    creds = service.get("mfa", prompt)
    assert creds.session_token and creds.expiration is not None
    assert timedelta(hours=11) < creds.expiration - datetime.now(UTC) <= timedelta(hours=12)
    assert [r.serial for r in prompt.requests] == [aws_env.sandbox.mfa_serial]
    assert service.get("mfa", prompt) == creds  # cache hit: no second prompt
    assert len(prompt.requests) == 1
    status = service.status("mfa")
    assert status.state is CredentialState.VALID_UNTIL and status.expires == creds.expiration
    assert service.expiry("mfa") == creds.expiration
    ident = service.identity("mfa")
    assert ident.arn.endswith(":user/bob") and ident.account == "123456789012"
    assert len(prompt.requests) == 1


def test_durations_are_configurable(aws_env) -> None:
    service = CredentialService(MemoryStore(), durations=Durations(session_token=3600))
    creds = service.get("mfa", Prompter(aws_env.sandbox))
    assert creds.expiration is not None
    assert timedelta(minutes=50) < creds.expiration - datetime.now(UTC) <= timedelta(hours=1)


def test_a_wrong_code_says_so_and_the_retry_works(aws_env, service) -> None:
    prompt = Prompter(aws_env.sandbox, [wrong_code(aws_env.sandbox)])
    creds = service.get("mfa", prompt)
    assert creds.session_token
    assert [r.attempt for r in prompt.requests] == [1, 2]
    assert prompt.requests[0].error == "" and "rejected" in prompt.requests[1].error


def test_only_wrong_codes_end_in_mfa_code_rejected(aws_env, service) -> None:
    prompt = Prompter(aws_env.sandbox, [wrong_code(aws_env.sandbox)] * 10)
    with pytest.raises(MfaCodeRejectedError) as err:
        service.get("mfa", prompt)
    assert "rejected" in str(err.value)
    assert service.cached("mfa") is None
    assert service.status("mfa").state is CredentialState.NEEDS_MFA


def test_a_malformed_code_is_asked_again_without_calling_aws(aws_env, service) -> None:
    prompt = Prompter(aws_env.sandbox, ["12ab56"])
    service.get("mfa", prompt)
    assert prompt.requests[1].error == "The code must be 6 digits."


def test_cancel_cancels_cleanly(aws_env, service) -> None:
    with pytest.raises(CancelledError):
        service.get("mfa", Prompter(aws_env.sandbox, [None]))
    assert service.cached("mfa") is None
    with pytest.raises(MfaRequiredError):
        service.get("mfa")  # no prompt at all


def test_many_consumers_cause_one_prompt(aws_env, service) -> None:
    release = threading.Event()
    prompt = Prompter(aws_env.sandbox, hold=release)
    results: list[Credentials] = []
    errors: list[BaseException] = []

    def consumer() -> None:
        try:
            results.append(service.get("mfa", prompt))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(6)]
    for t in threads:
        t.start()
    for _ in range(200):  # wait until the prompt is up
        if prompt.requests:
            break
        threading.Event().wait(0.02)
    release.set()
    for t in threads:
        t.join(20)
    assert not errors and len(results) == 6
    assert len(prompt.requests) == 1
    assert len({r.access_key_id for r in results}) == 1


def test_a_cancel_reaches_every_waiting_consumer(aws_env, service) -> None:
    release = threading.Event()
    prompt = Prompter(aws_env.sandbox, [None], hold=release)
    outcomes: list[str] = []

    def consumer() -> None:
        try:
            service.get("mfa", prompt)
            outcomes.append("ok")
        except CancelledError:
            outcomes.append("cancelled")

    threads = [threading.Thread(target=consumer) for _ in range(4)]
    for t in threads:
        t.start()
    # All four are in: one holds the prompt, three wait on its attempt.
    deadline = time.monotonic() + 20
    while threads_waiting_in("credentials/service.py", "get") < 4:
        assert time.monotonic() < deadline, "the consumers never all joined"
        time.sleep(0.01)
    assert len(prompt.requests) == 1
    release.set()
    for t in threads:
        t.join(20)
    assert len(prompt.requests) == 1
    # Consumers that joined while the prompt was up share its cancel.
    assert outcomes == ["cancelled"] * 4


def test_role_with_mfa_asks_once_and_assumes_the_role(aws_env, service) -> None:
    prompt = Prompter(aws_env.sandbox)
    session = service.session("role-mfa", prompt=prompt)
    from app.core.aws.client import client

    arn = client(session, "sts").get_caller_identity()["Arn"]
    assert ":assumed-role/gangway-admin/" in arn
    assert len(prompt.requests) == 1 and prompt.requests[0].role_arn == aws_env.sandbox.admin_role_arn
    assert service.status("role-mfa").state is CredentialState.VALID_UNTIL
    creds = service.cached("role-mfa")
    assert creds is not None and creds.expiration is not None
    assert creds.expiration - datetime.now(UTC) <= timedelta(hours=1)


def test_role_without_mfa_and_a_chain(aws_env, service) -> None:
    ProfileWriter().create(load_profiles(), "chain", {
        "role_arn": aws_env.sandbox.operator_role_arn, "source_profile": "role",
        "role_session_name": "chained-session", "external_id": "ext"})
    ident = service.identity("role")
    assert ":assumed-role/gangway-operator/" in ident.arn
    ident = service.identity("chain")
    assert ident.arn.endswith("/chained-session")


def test_static_keys_session_works_without_prompt(aws_env, service) -> None:
    assert service.status("default").state is CredentialState.UNKNOWN  # not shown to AWS yet
    assert service.identity("default").arn.endswith(":user/alice")
    assert service.status("default").state is CredentialState.VALID


def test_a_refused_check_lasts_until_the_keys_change(aws_env, service) -> None:
    with pytest.raises(CredentialError):
        service.identity("unknown")
    assert service.status("unknown").state is CredentialState.BROKEN
    alice = aws_env.sandbox.identities["default"]
    creds = aws_env.credentials_file
    text = creds.read_text().split("[unknown]")
    creds.write_text(text[0] + "[unknown]\naws_access_key_id = " + alice.access_key_id
                     + "\naws_secret_access_key = " + alice.secret_access_key + "\n")
    assert service.status("unknown").state is CredentialState.UNKNOWN  # new keys: unchecked
    assert service.identity("unknown").arn.endswith(":user/alice")


def test_keys_rejected_by_sts_are_a_credential_error(aws_env, service) -> None:
    with pytest.raises(CredentialError) as err:
        service.identity("unknown")
    assert "InvalidClientTokenId" in str(err.value)
    ProfileWriter().update(load_profiles(), "unknown", {"mfa_serial": aws_env.sandbox.mfa_serial})
    with pytest.raises(CredentialError) as err2:
        service.get("unknown", Prompter(aws_env.sandbox))
    assert not isinstance(err2.value, MfaCodeRejectedError)


def test_network_down_is_a_network_error(aws_env, service, monkeypatch) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError):
        service.get("mfa", Prompter(aws_env.sandbox))
    assert service.cached("mfa") is None


def test_expired_and_garbage_cache_entries_are_misses(aws_env, service) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    service.store.set(CACHE_PREFIX + "mfa", json.dumps({
        "Version": 1, "AccessKeyId": "ASIAOLD", "SecretAccessKey": "x", "SessionToken": "t",
        "Expiration": format_time(past)}))
    assert service.cached("mfa") is None
    status = service.status("mfa")
    assert status.state is CredentialState.EXPIRED and status.expires is not None
    service.store.set(CACHE_PREFIX + "mfa", "{not json")
    assert service.cached("mfa") is None and service.expiry("mfa") is None
    assert service.get("mfa", Prompter(aws_env.sandbox)).access_key_id != "ASIAOLD"


def test_broken_profiles_fail_with_their_reason(aws_env, service, tmp_path: Path) -> None:
    ProfileWriter().create(load_profiles(), "loop", {"role_arn": "arn:aws:iam::1:role/x",
                                                     "source_profile": "loop2"})
    ProfileWriter().create(load_profiles(), "loop2", {"role_arn": "arn:aws:iam::1:role/y",
                                                      "source_profile": "loop"})
    with pytest.raises(ProfileError) as err:
        service.get("loop")
    assert "circular" in str(err.value)
    status = service.status("loop")
    assert status.state is CredentialState.BROKEN and "circular" in status.reason
    with pytest.raises(ProfileError):
        service.get("does-not-exist")
    assert service.status("sso").state is CredentialState.NEEDS_SSO_LOGIN


def test_credentials_never_show_secrets_in_repr(aws_env, service) -> None:
    creds = service.get("mfa", Prompter(aws_env.sandbox))
    assert creds.secret_access_key not in repr(creds)
    assert creds.session_token is not None and creds.session_token not in repr(creds)


def test_sessions_survive_a_config_file_botocore_refuses(aws_env, service) -> None:
    before = aws_env.config_file.read_text()
    aws_env.config_file.write_text(before + "\n[profile mfa]\nregion = again\n")
    profiles = load_profiles()
    assert profiles.problems and profiles.problems[0].line is not None
    assert service.identity("default").arn.endswith(":user/alice")
    assert service.get("mfa", Prompter(aws_env.sandbox)).session_token
