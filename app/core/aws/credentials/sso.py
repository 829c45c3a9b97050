"""IAM Identity Center (SSO): device-authorization login, the shared token cache, accounts.

The token goes to `~/.aws/sso/cache/<sha1>.json` in the AWS CLI's own format (sha1 of the
sso-session name, or of the start URL for legacy profiles), so the AWS CLI, botocore and the
plugin share one login. Endpoints come from AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO,
which botocore reads itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.aws.profiles.model import Profile, ProfileSet
from app.core.errors import CancelledError, GangwayError, ProfileError, SsoLoginRequiredError
from app.core.store import atomic_write

if TYPE_CHECKING:
    from app.core.aws.credentials.types import CredentialStatus

DEFAULT_SCOPES = ("sso:account:access",)
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class SsoConfig:
    """Where to log in: the session name (None for legacy profiles), start URL, region."""

    start_url: str
    region: str
    session_name: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES


@dataclass(frozen=True)
class DeviceAuthorization:
    """What the user must see: the code to compare and the page to approve it on."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class SsoToken:
    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"SsoToken(expires_at={self.expires_at})"


@dataclass(frozen=True)
class SsoAccount:
    account_id: str
    name: str
    email: str = ""


def token_cache_dir() -> Path:
    return Path(os.path.expanduser(os.path.join("~", ".aws", "sso", "cache")))


def cache_key(config: SsoConfig) -> str:
    """botocore's SSOTokenLoader key: sha1 of the session name, else of the start URL."""
    source = config.session_name if config.session_name is not None else config.start_url
    return hashlib.sha1(source.encode("utf-8")).hexdigest()  # noqa: S324 - AWS's own key


def token_path(config: SsoConfig) -> Path:
    return token_cache_dir() / f"{cache_key(config)}.json"


def config_for(profiles: ProfileSet, profile: Profile | str) -> SsoConfig:
    """The SSO settings of a profile (its sso-session, or the legacy keys)."""
    if isinstance(profile, str):
        profile = profiles.require(profile)
    name = profile.get("sso_session")
    if name:
        session = profiles.sso_sessions.get(name)
        if session is None:
            raise ProfileError(f"Profile '{profile.name}': sso-session '{name}' is not defined.")
        scopes = tuple(s.strip() for s in session.scopes.split(",") if s.strip())
        return SsoConfig(session.start_url, session.region, name, scopes or DEFAULT_SCOPES)
    url, region = profile.get("sso_start_url"), profile.get("sso_region")
    if not url or not region:
        raise ProfileError(f"Profile '{profile.name}' needs sso_start_url and sso_region.")
    return SsoConfig(url, region)


def read_token(config: SsoConfig) -> dict[str, Any] | None:
    try:
        doc = json.loads(token_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("accessToken") else None


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00").replace("UTC", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cached_token(config: SsoConfig, now: datetime | None = None) -> SsoToken | None:
    """The cached access token if it is still valid."""
    doc = read_token(config)
    if doc is None:
        return None
    try:
        expires = _parse(doc["expiresAt"])
    except (KeyError, ValueError):
        return None
    return SsoToken(doc["accessToken"], expires) if expires > (now or datetime.now(UTC)) else None


def token_status(profiles: ProfileSet, profile: Profile, now: datetime) -> CredentialStatus:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus

    try:
        config = config_for(profiles, profile)
    except ProfileError as exc:
        return CredentialStatus(CredentialState.BROKEN, reason=exc.message)
    doc = read_token(config)
    if doc is None:
        return CredentialStatus(CredentialState.NEEDS_SSO_LOGIN)
    try:
        expires = _parse(doc["expiresAt"])
    except (KeyError, ValueError):
        return CredentialStatus(CredentialState.NEEDS_SSO_LOGIN, reason="unreadable token")
    if expires > now:
        return CredentialStatus(CredentialState.VALID_UNTIL, expires)
    # botocore refreshes an sso-session token while its client registration lives.
    reg = doc.get("registrationExpiresAt")
    if doc.get("refreshToken") and reg and config.session_name:
        try:
            if _parse(reg) > now:
                return CredentialStatus(CredentialState.VALID)
        except ValueError:
            pass
    return CredentialStatus(CredentialState.NEEDS_SSO_LOGIN, expires)


def _client(service: str, region: str) -> Any:
    import boto3
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    from app.core.aws.client import CONNECT_TIMEOUT, READ_TIMEOUT

    # A bare botocore session: SSO calls are unsigned and must not depend on AWS_PROFILE.
    core = botocore.session.Session()
    core.set_config_variable("profile", None)
    cfg = Config(signature_version=UNSIGNED, connect_timeout=CONNECT_TIMEOUT,
                 read_timeout=READ_TIMEOUT, retries={"max_attempts": 4, "mode": "standard"})
    session: Any = boto3.Session(botocore_session=core)
    return session.client(service, region_name=region, config=cfg)


def _fmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def login(config: SsoConfig, *, on_code: Callable[[DeviceAuthorization], None] | None = None,
          open_browser: bool = True, cancel: threading.Event | None = None,
          sleep: Callable[[float], None] = time.sleep) -> SsoToken:
    """Device-authorization login; writes the token where the AWS CLI looks for it.

    `on_code` receives the user code to show before the browser opens. Polls CreateToken at
    the server's interval (slower on SlowDownException). CancelledError if `cancel` is set.
    """
    from app.core.aws.client import translate

    oidc = _client("sso-oidc", config.region)
    try:
        reg = oidc.register_client(clientName=f"gangway-{int(time.time())}", clientType="public",
                                   scopes=list(config.scopes))
        auth = oidc.start_device_authorization(clientId=reg["clientId"],
                                               clientSecret=reg["clientSecret"],
                                               startUrl=config.start_url)
    except Exception as exc:
        raise translate(exc, "Starting the SSO login") from exc
    device = DeviceAuthorization(auth["userCode"], auth["verificationUri"],
                                 auth.get("verificationUriComplete") or auth["verificationUri"],
                                 int(auth.get("expiresIn", 600)), int(auth.get("interval") or 5))
    if on_code is not None:
        on_code(device)
    if open_browser:
        import webbrowser  # here: the proxy's hot path reads tokens from this module

        webbrowser.open(device.verification_uri_complete, new=2)
    reply = _poll_token(oidc, reg, auth["deviceCode"], device, cancel, sleep)
    return _save_token(config, reg, reply)


def _poll_token(oidc: Any, reg: dict[str, Any], device_code: str, device: DeviceAuthorization,
                cancel: threading.Event | None, sleep: Callable[[float], None]
                ) -> dict[str, Any]:
    """CreateToken at the server's interval until approved, denied, expired or cancelled."""
    interval = max(1, device.interval)
    deadline = time.monotonic() + device.expires_in
    expired = SsoLoginRequiredError("The SSO login code expired before it was approved.",
                                    "Start the login again.")
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError("The SSO login was cancelled.")
        try:
            reply: dict[str, Any] = oidc.create_token(
                grantType=DEVICE_GRANT, deviceCode=device_code, clientId=reg["clientId"],
                clientSecret=reg["clientSecret"])
            return reply
        except Exception as exc:
            interval += _pending(exc, expired)
        if time.monotonic() > deadline:
            raise expired
        if cancel is not None:
            if cancel.wait(interval):
                raise CancelledError("The SSO login was cancelled.")
        else:
            sleep(interval)


def _pending(exc: Exception, expired: SsoLoginRequiredError) -> int:
    """How much slower to poll after a "not yet" from CreateToken; raises on a final answer."""
    from app.core.aws.client import error_code, translate

    code = error_code(exc)
    if code == "AuthorizationPendingException":
        return 0
    if code == "SlowDownException":
        return 5
    if code == "ExpiredTokenException":
        raise expired from exc
    if code == "AccessDeniedException":
        raise SsoLoginRequiredError("The SSO login was denied in the browser.") from exc
    raise translate(exc, "Completing the SSO login") from exc


def _save_token(config: SsoConfig, reg: dict[str, Any], reply: dict[str, Any]) -> SsoToken:
    """The token, written in the AWS CLI's cache format (0600)."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=int(reply.get("expiresIn", 3600)))
    doc: dict[str, Any] = {"startUrl": config.start_url, "region": config.region,
                           "accessToken": reply["accessToken"], "expiresAt": _fmt(expires)}
    if config.session_name is not None:
        doc.update(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                   registrationExpiresAt=_fmt(datetime.fromtimestamp(
                       int(reg.get("clientSecretExpiresAt") or 0) or now.timestamp() + 7776000,
                       UTC)))
        if reply.get("refreshToken"):
            doc["refreshToken"] = reply["refreshToken"]
    atomic_write(token_path(config), json.dumps(doc), make_backup=False)
    return SsoToken(doc["accessToken"], expires)


def _token(config: SsoConfig, token: SsoToken | None) -> SsoToken:
    found = token or cached_token(config)
    if found is None:
        raise SsoLoginRequiredError(f"There is no valid SSO login for {config.start_url}.",
                                    "Log in with SSO first.")
    return found


def list_accounts(config: SsoConfig, token: SsoToken | None = None) -> list[SsoAccount]:
    """Every account the login can reach (all pages)."""
    from app.core.aws.client import translate

    sso = _client("sso", config.region)
    out: list[SsoAccount] = []
    try:
        for page in sso.get_paginator("list_accounts").paginate(
                accessToken=_token(config, token).access_token):
            out.extend(SsoAccount(a["accountId"], a.get("accountName", ""),
                                  a.get("emailAddress", "")) for a in page.get("accountList", []))
    except GangwayError:
        raise
    except Exception as exc:
        raise _login_or(exc, translate(exc, "Listing SSO accounts")) from exc
    return out


def list_roles(config: SsoConfig, account_id: str, token: SsoToken | None = None) -> list[str]:
    """Role names available in one account (all pages)."""
    from app.core.aws.client import translate

    sso = _client("sso", config.region)
    out: list[str] = []
    try:
        for page in sso.get_paginator("list_account_roles").paginate(
                accessToken=_token(config, token).access_token, accountId=account_id):
            out.extend(r["roleName"] for r in page.get("roleList", []))
    except GangwayError:
        raise
    except Exception as exc:
        raise _login_or(exc, translate(exc, f"Listing SSO roles of {account_id}")) from exc
    return out


def _login_or(exc: BaseException, other: GangwayError) -> GangwayError:
    from app.core.aws.client import error_code

    if error_code(exc) == "UnauthorizedException":
        return SsoLoginRequiredError("The SSO login has expired.", "Log in with SSO again.")
    return other
