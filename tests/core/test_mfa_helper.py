"""The credentials helper's side of an MFA prompt: what each answer of the window becomes, a
window that sends credentials it should not, and a dialog that cannot be shown.

The window's side is the real core handler (`mfa.handle_request` with a CredentialService)
behind a plain Unix socket speaking the IPC protocol, as in tests/e2e/test_proxy_mfa.py; the
two hostile answers come from a peer that is not Gangway, which is what they guard against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core import ipc
from app.core.aws.credentials import mfa
from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.source import CliCredentialSource
from app.core.aws.credentials.types import MfaRequest
from app.core.errors import (
    CancelledError,
    CredentialError,
    MfaCodeRejectedError,
    MfaRequiredError,
)
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from tests.fake_window import Answer, fake_window


def handler(prompt: Callable[[MfaRequest], str | None]) -> Answer:
    service = CredentialService(MemoryStore())
    return lambda message: mfa.handle_request(service, message, prompt)


def wrong_code(sandbox) -> str:  # type: ignore[no-untyped-def]
    return "000000" if sandbox.totp() != "000000" else "111111"


def test_the_helper_gets_the_code_from_the_window_and_keeps_the_credentials(aws_env) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def prompt(request: MfaRequest) -> str:
        asked.append(request.profile)
        return aws_env.sandbox.totp(request.serial)

    with fake_window(handler(prompt)):
        source = CliCredentialSource(Paths.default(), store=MemoryStore())
        creds = source.credentials("mfa")
        assert creds.session_token and creds.expiration is not None
        assert source.credentials("mfa") == creds  # kept: the window is not asked again
    assert asked == ["mfa"]
    assert source.service().cached("mfa") == creds


def test_codes_aws_rejects_in_the_window_fail_the_helper_as_rejected(aws_env) -> None:  # type: ignore[no-untyped-def]
    asked: list[int] = []

    def prompt(request: MfaRequest) -> str:
        asked.append(request.attempt)
        return wrong_code(aws_env.sandbox)

    with fake_window(handler(prompt)) as paths, pytest.raises(MfaCodeRejectedError) as err:
        mfa.ask_window(paths, "mfa")
    assert err.value.message == ("AWS rejected the MFA code for profile 'mfa'. "
                                 "Wait for the next code on your device and try again.")
    assert asked == [1, 2, 3, 4, 5]


def test_other_failures_in_the_window_are_credential_errors(aws_env) -> None:  # type: ignore[no-untyped-def]
    with fake_window(handler(lambda _r: None)) as paths:
        with pytest.raises(CredentialError) as err:
            mfa.ask_window(paths, "ghost")
        assert err.value.message.startswith("Profile 'ghost' was not found.")
        with pytest.raises(CancelledError, match=r"^MFA for profile 'mfa' was cancelled\.$"):
            mfa.ask_window(paths, "mfa")
        assert ipc.send(paths, {"cmd": "mfa"}) == {
            "v": 1, "ok": False, "error": "no profile named in the request", "reason": "error"}


@pytest.mark.parametrize(("credentials", "says"), [
    ({"Version": 1, "AccessKeyId": "ASIAHOSTILE", "SecretAccessKey": "s",
      "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"},
     "The Gangway window sent credentials with an implausible expiry (2099-01-01 00:00:00+00:00); "
     "they were not used."),
    ({"Version": 1, "SecretAccessKey": "s"},
     "The Gangway window sent credentials Gangway cannot read."),
])
def test_credentials_a_window_should_not_send_are_refused(aws_env, credentials: dict[str, Any],  # type: ignore[no-untyped-def]
                                                         says: str) -> None:
    with fake_window(lambda _m: {"ok": True, "credentials": credentials}) as paths, \
            pytest.raises(CredentialError) as err:
        mfa.ask_window(paths, "mfa")
    assert err.value.message == says


def test_a_dialog_that_cannot_open_is_not_a_cancel(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A desktop whose display Qt cannot use (here: nothing listens on :4242; in the field,
    # a missing libxcb-cursor0): the dialog child aborts, and the user must hear why.
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":4242")
    source = CliCredentialSource(Paths.default(), store=MemoryStore())  # no window runs
    with pytest.raises(MfaRequiredError) as err:
        source.credentials("role-mfa")
    assert err.value.message.startswith("The MFA dialog could not be shown (qt.qpa.")
    assert ":4242" in err.value.message
    assert err.value.hint == ("Open the Gangway window first, or check that this desktop "
                              "session can show Qt windows.")


def test_without_a_display_the_helper_says_so(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(MfaRequiredError) as err:
        mfa.dialog_prompt(MfaRequest("mfa", aws_env.sandbox.mfa_serial))
    assert err.value.message == ("Profile 'mfa' needs an MFA code and there is no display to "
                                 "ask on.")
