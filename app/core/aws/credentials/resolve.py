"""How `CredentialService` turns a profile into credentials and boto3 sessions (imports boto3).

Gangway handles the kinds the AWS tools cannot prompt for under ssh: long-term keys with
MFA (GetSessionToken), roles with MFA and role chains (AssumeRole), and protected keys from
the keyring. SSO, foreign credential_process and credential_source go through botocore's
own provider chain, which already does them right.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.core.aws.credentials.types import (
    MAX_MFA_ATTEMPTS,
    Credentials,
    MfaRequest,
    Prompt,
    ask_code,
    format_time,
)
from app.core.aws.profiles.model import Profile, ProfileKind, ProfileSet
from app.core.errors import (
    CredentialError,
    GangwayError,
    MfaCodeRejectedError,
    ProfileError,
    SsoLoginRequiredError,
)

if TYPE_CHECKING:
    import boto3

    from app.core.aws.credentials.service import CredentialService

MFA_REJECTED_HINT = "Wait for the next code on your device and try again."


def resolve(service: CredentialService, name: str, prompt: Prompt | None) -> Credentials:
    profiles = service.profiles()
    profile = service.profile(name, profiles)
    if profile.error:
        raise ProfileError(f"Profile '{name}': {profile.error}.",
                           "Fix it in the profile editor or in ~/.aws/config.")
    if not profile.managed:
        return unmanaged(profiles, profile)
    if profile.kind is ProfileKind.ASSUME_ROLE:
        base = _role_source(service, profiles, profile, prompt)
        creds = _assume_role(service, profile, base, prompt)
    else:
        base = _long_term(service, profiles, profile)
        if profile.mfa_serial is None:
            return base
        creds = _session_token(service, profile, base, prompt)
    service.remember(name, creds)
    return creds


def unmanaged(profiles: ProfileSet, profile: Profile) -> Credentials:
    """Credentials for a kind Gangway does not cache: keys in the files, or botocore's chain."""
    if profile.kind is ProfileKind.STATIC:
        return _file_keys(profiles, profile)
    return _from_botocore(profile.name)


def _long_term(service: CredentialService, profiles: ProfileSet, profile: Profile) -> Credentials:
    if profile.kind is ProfileKind.PROTECTED:
        keys = service.stored_keys(profile.name)
        if keys is None:
            raise CredentialError(f"The keys of profile '{profile.name}' are not in the keyring.",
                                  "Enter the keys again in the profile editor.")
        return keys
    return _file_keys(profiles, profile)


def _file_keys(profiles: ProfileSet, profile: Profile) -> Credentials:
    keys = profiles.file_keys(profile.name)
    if keys is None:
        raise CredentialError(f"Profile '{profile.name}' has no access keys.")
    return Credentials(keys[0], keys[1], keys[2])


def _role_source(service: CredentialService, profiles: ProfileSet, profile: Profile,
                 prompt: Prompt | None) -> Credentials:
    source_name = profile.get("source_profile") or ""
    if source_name == profile.name:
        return _file_keys(profiles, profile)
    source = service.profile(source_name, profiles)
    if profile.mfa_serial and source.kind in (ProfileKind.STATIC_MFA, ProfileKind.PROTECTED):
        # The role asks for the code itself; the source's own MFA would mean a second prompt.
        return _long_term(service, profiles, source)
    return service.get(source_name, prompt)


def _bare_core() -> Any:
    """A botocore session that reads no profile files (for when botocore refuses them)."""
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("profile", None)
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    return core


def _sts(base: Credentials, region: str | None) -> Any:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    from app.core.aws.client import CONNECT_TIMEOUT, READ_TIMEOUT, translate

    keys = {"aws_access_key_id": base.access_key_id,
            "aws_secret_access_key": base.secret_access_key,
            "aws_session_token": base.session_token,
            "region_name": region or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    # Few retries: an MFA code is single-use and the user is waiting on a dialog; a dead
    # network should say so in seconds, not after the general policy's backoff.
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"},
                 connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
    try:
        try:
            return boto3.Session(**keys).client("sts", config=cfg)  # type: ignore[arg-type]
        except (botocore.exceptions.ConfigParseError, botocore.exceptions.ProfileNotFound):
            # A malformed ~/.aws/config (or AWS_PROFILE naming a missing profile) must not
            # stop a profile Gangway can resolve on its own.
            return boto3.Session(botocore_session=_bare_core(),
                                 **keys).client("sts", config=cfg)
    except Exception as exc:
        raise translate(exc, "Connecting to STS") from exc


def _from_sts(doc: dict[str, Any]) -> Credentials:
    exp: datetime = doc["Expiration"]  # botocore parses timestamps into aware datetimes
    return Credentials(doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"], exp)


def _mfa_rejected(exc: BaseException) -> bool:
    from app.core.aws.client import error_code

    text = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    return (error_code(exc) == "AccessDenied" and "MultiFactorAuthentication" in text) \
        or "invalid MFA" in text


def _call(doing: str, fn: Callable[..., Any], **params: Any) -> dict[str, Any]:
    from app.core.aws.client import translate

    try:
        reply: dict[str, Any] = fn(**params)
        return reply
    except GangwayError:
        raise
    except Exception as exc:
        raise translate(exc, doing) from exc


def _with_mfa(profile: Profile, prompt: Prompt | None, doing: str,
              fn: Callable[..., Any], params: dict[str, Any]) -> Credentials:
    serial = profile.mfa_serial
    if serial is None:
        return _from_sts(_call(doing, fn, **params)["Credentials"])
    error = ""
    for attempt in range(1, MAX_MFA_ATTEMPTS + 1):
        code = ask_code(prompt, MfaRequest(profile.name, serial, profile.role_arn, attempt, error))
        try:
            reply: dict[str, Any] = fn(SerialNumber=serial, TokenCode=code, **params)
        except Exception as exc:
            if _mfa_rejected(exc):
                error = "AWS rejected the code."
                continue
            from app.core.aws.client import translate

            raise translate(exc, doing) from exc
        return _from_sts(reply["Credentials"])
    raise MfaCodeRejectedError(f"AWS rejected the MFA code for profile '{profile.name}'.",
                               MFA_REJECTED_HINT)


def _session_token(service: CredentialService, profile: Profile, base: Credentials,
                   prompt: Prompt | None) -> Credentials:
    sts = _sts(base, profile.region)
    return _with_mfa(profile, prompt, f"Getting a session token for '{profile.name}'",
                     sts.get_session_token,
                     {"DurationSeconds": service.durations.session_token})


def _assume_role(service: CredentialService, profile: Profile, base: Credentials,
                 prompt: Prompt | None) -> Credentials:
    raw = profile.get("duration_seconds")
    try:
        duration = int(raw) if raw else service.durations.role
    except ValueError:
        raise ProfileError(f"Profile '{profile.name}': duration_seconds '{raw}' is not a "
                           "number.") from None
    params: dict[str, Any] = {
        "RoleArn": profile.role_arn,
        "RoleSessionName": profile.get("role_session_name") or f"gangway-{int(time.time())}",
        "DurationSeconds": duration,
    }
    if profile.get("external_id"):
        params["ExternalId"] = profile.get("external_id")
    sts = _sts(base, profile.region)
    return _with_mfa(profile, prompt, f"Assuming the role of profile '{profile.name}'",
                     sts.assume_role, params)


def _from_botocore(name: str) -> Credentials:
    import botocore.exceptions as bex

    from app.core.aws.client import new_session, translate

    try:
        found = new_session(name).get_credentials()
        if found is None:
            raise CredentialError(f"Profile '{name}' has no credentials.",
                                  "Add keys, a role or an SSO login to the profile.")
        frozen = found.get_frozen_credentials()
    except (bex.TokenRetrievalError, bex.SSOTokenLoadError,
            bex.UnauthorizedSSOTokenError) as exc:
        raise SsoLoginRequiredError(f"Profile '{name}' needs an SSO login.",
                                    "Log in again: `gangway profiles login "
                                    f"{shlex.quote(name)}` (or SSO login in the Profiles "
                                    "pane).") from exc
    except GangwayError:
        raise
    except Exception as exc:
        raise translate(exc, f"Getting credentials for '{name}'") from exc
    expiry = getattr(found, "_expiry_time", None)
    return Credentials(frozen.access_key or "", frozen.secret_key or "", frozen.token or None,
                       expiry)


def session_for(profiles: ProfileSet, name: str, get: Callable[[], Credentials],
                region: str | None) -> boto3.Session:
    """A boto3 Session for `name` whose credentials come from `get` (a CredentialSource).

    Profiles Gangway manages (protected keys, MFA, roles) and static keys get credentials that
    re-enter `get()` when they near expiry (so a long-lived session re-prompts once, not per
    call); SSO, foreign credential_process and credential_source use botocore's own chain.
    """
    import boto3
    import botocore.session
    from botocore.credentials import (
        CredentialProvider,
        CredentialResolver,
        RefreshableCredentials,
    )
    from botocore.credentials import Credentials as BotoCredentials

    from app.core.aws.client import new_session

    profile = profiles.require(name)
    # Static keys go through our own path too, so they keep working when botocore refuses
    # the whole config file (a duplicate section elsewhere).
    if not profile.managed and profile.kind is not ProfileKind.STATIC:
        session = new_session(name)
        if region and region != session.region_name:
            session = boto3.Session(botocore_session=session._session, region_name=region)
        return session

    def fetch() -> dict[str, Any]:
        creds = get()
        return {"access_key": creds.access_key_id, "secret_key": creds.secret_access_key,
                "token": creds.session_token,
                "expiry_time": format_time(creds.expiration) if creds.expiration else None}

    first = fetch()  # prompts now (once), not in the middle of some later AWS call
    loaded: Any
    if first["expiry_time"] is None:
        loaded = BotoCredentials(first["access_key"], first["secret_key"], first["token"],
                                 method="gangway")
    else:
        loaded = RefreshableCredentials.create_from_metadata(first, fetch, "gangway")

    class _Gangway(CredentialProvider):
        METHOD = "gangway"
        CANONICAL_NAME = "Gangway"

        def load(self) -> Any:
            return loaded

    core = botocore.session.Session(profile=name)
    try:
        core.get_scoped_config()
    except Exception:
        # A malformed file or a profile only Gangway can read: keep our credentials and
        # the profile's region, without botocore's view of the files.
        core = _bare_core()
    core.register_component("credential_provider", CredentialResolver([_Gangway()]))
    return boto3.Session(botocore_session=core,
                         region_name=region or profile.region or core.get_config_variable(
                             "region") or "us-east-1")
