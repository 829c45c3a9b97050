"""boto3 sessions and clients, and the one place botocore errors become GangwayErrors.

boto3 is imported lazily: it costs ~150 ms, and neither the window nor a credentials cache
hit may wait for it. Endpoints come from the standard `AWS_ENDPOINT_URL_<SERVICE>` settings,
which botocore reads itself.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from app.core.errors import (
    AwsError,
    CredentialError,
    GangwayError,
    NetworkError,
    ProfileNotFoundError,
)

if TYPE_CHECKING:
    import boto3

# Retries: "adaptive" adds client-side rate limiting on throttling, on top of backoff.
RETRY_ATTEMPTS = 8
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure",
            "SignatureDoesNotMatch", "InvalidAccessKeyId"}


def new_session(
    profile: str | None = None,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    token: str | None = None,
    region: str | None = None,
) -> boto3.Session:
    """A boto3 session for `profile` (None = default chain), or for explicit credentials."""
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(
            profile_name=profile or None,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            region_name=region,
        )
    except botocore.exceptions.ProfileNotFound as exc:
        raise ProfileNotFoundError(str(profile)) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc) from exc


def client(session: boto3.Session, service: str, region: str | None = None,
           **config: Any) -> Any:
    """A client with Gangway's retry and timeout policy."""
    from botocore.config import Config

    cfg = Config(retries={"max_attempts": RETRY_ATTEMPTS, "mode": "adaptive"},
                 connect_timeout=CONNECT_TIMEOUT,
                 read_timeout=READ_TIMEOUT, **config)
    # Typed as Any: the stubs' per-service overloads cannot take a service name variable.
    untyped: Any = session
    from app.core.aws import retries

    try:
        return retries.watch(untyped.client(
            service, region_name=region or session.region_name or "us-east-1", config=cfg))
    except Exception as exc:
        raise translate(exc) from exc


def known_regions() -> list[str]:
    """Every region of every partition in botocore's endpoints data, sorted."""
    return list(_known_regions())


@functools.cache
def _known_regions() -> tuple[str, ...]:
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return tuple(sorted({region for partition in data.get("partitions", [])
                         for region in partition.get("regions", {})}))


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def translate(exc: BaseException, doing: str = "") -> GangwayError:
    """Turn a botocore exception into a typed error with a plain message and a hint."""
    import botocore.exceptions as bex

    prefix = f"{doing}: " if doing else ""
    if isinstance(exc, GangwayError):
        return exc
    if isinstance(exc, bex.ClientError):
        code = error_code(exc)
        msg = str(exc.response.get("Error", {}).get("Message", "")) or code
        if code in _EXPIRED:
            return CredentialError(f"{prefix}the credentials have expired ({code}).",
                                   "Refresh them: enter a new MFA code or log in again.")
        if code in _INVALID:
            return CredentialError(f"{prefix}AWS rejected the credentials ({code}: {msg}).",
                                   "Check the access key in the profile; it may be deleted "
                                   "or mistyped.")
        if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
            return AwsError(f"{prefix}access denied ({code}): {msg}",
                            "Ask your AWS administrator for the permission named above.", code)
        if code in {"ThrottlingException", "RequestLimitExceeded", "Throttling"}:
            return AwsError(f"{prefix}AWS is throttling requests ({code}).",
                            "Wait a moment and try again.", code)
        return AwsError(f"{prefix}{code}: {msg}", "", code)
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return CredentialError(f"{prefix}no credentials were found for this profile.",
                               "Add keys or a role to the profile, or log in with SSO.")
    if isinstance(exc, bex.TokenRetrievalError | bex.SSOTokenLoadError
                  | bex.UnauthorizedSSOTokenError):
        return CredentialError(f"{prefix}the SSO login has expired or is missing.",
                               "Log in again: `gangway profiles login PROFILE` (or SSO "
                               "login in the Profiles pane).")
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectTimeoutError
                  | bex.ReadTimeoutError | bex.ConnectionClosedError):
        return NetworkError(f"{prefix}AWS could not be reached ({exc}).",
                            "Check your network connection or VPN, then retry.")
    if isinstance(exc, bex.CredentialRetrievalError):
        return CredentialError(f"{prefix}{exc}",
                               "The profile's credential_process failed; see its message.")
    if isinstance(exc, bex.BotoCoreError):
        return GangwayError(f"{prefix}{exc}")
    return GangwayError(f"{prefix}{type(exc).__name__}: {exc}")
