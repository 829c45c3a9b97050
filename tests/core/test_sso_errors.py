"""The SSO device flow when it does not simply succeed, against the sandbox's OIDC and portal:
the server asks to slow down, the code expires, the user denies, the network is down, the
token expires while listing roles."""

from __future__ import annotations

import socket

import pytest

from app.core.aws.credentials import sso
from app.core.aws.profiles.reader import load_profiles
from app.core.errors import NetworkError, SsoLoginRequiredError


def _config():  # type: ignore[no-untyped-def]
    return sso.config_for(load_profiles(), "sso")


def _login(on_code, sleep=lambda _s: None):  # type: ignore[no-untyped-def]
    return sso.login(_config(), on_code=on_code, open_browser=False, sleep=sleep)


def test_slow_down_makes_the_poll_five_seconds_slower(aws_env) -> None:  # type: ignore[no-untyped-def]
    control = aws_env.sandbox.control
    codes: list[str] = []
    slept: list[float] = []

    def on_code(device) -> None:  # type: ignore[no-untyped-def]
        codes.append(device.user_code)
        assert control.sso_device(device.user_code, "slow_down", count=2)

    def sleep(seconds: float) -> None:  # the wait the login asks for, recorded, not slept
        slept.append(seconds)
        if len(slept) == 2:
            assert control.approve_device_code(user_code=codes[0])

    token = _login(on_code, sleep)
    assert token.access_token
    assert slept == [6, 11]  # interval 1, then +5 per SlowDownException (RFC 8628 3.5)


def test_expired_device_code(aws_env) -> None:  # type: ignore[no-untyped-def]
    control = aws_env.sandbox.control
    with pytest.raises(SsoLoginRequiredError) as info:
        _login(lambda device: control.sso_device(device.user_code, "expire"))
    assert (info.value.message, info.value.hint) == (
        "The SSO login code expired before it was approved.", "Start the login again.")
    assert sso.cached_token(_config()) is None


def test_denied_login(aws_env) -> None:  # type: ignore[no-untyped-def]
    control = aws_env.sandbox.control
    with pytest.raises(SsoLoginRequiredError) as info:
        _login(lambda device: control.sso_device(device.user_code, "deny"))
    assert info.value.message == "The SSO login was denied in the browser."
    assert sso.cached_token(_config()) is None


def test_network_down(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError) as info:
        _login(lambda device: None)
    assert info.value.message.startswith("Starting the SSO login: AWS could not be reached (")
    assert info.value.hint == "Check your network connection or VPN, then retry."


def test_token_expired_while_listing_roles(aws_env) -> None:  # type: ignore[no-untyped-def]
    control = aws_env.sandbox.control
    _login(lambda device: control.approve_device_code(user_code=device.user_code))
    [account, *_] = sso.list_accounts(_config())
    assert sso.list_roles(_config(), account.account_id)
    control.expire_sso_tokens()  # the portal no longer takes it; the cached copy looks valid
    with pytest.raises(SsoLoginRequiredError) as info:
        sso.list_roles(_config(), account.account_id)
    assert (info.value.message, info.value.hint) == ("The SSO login has expired.",
                                                     "Log in with SSO again.")
