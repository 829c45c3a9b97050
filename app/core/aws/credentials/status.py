"""The credential state shown next to each profile, and the advice that fits its kind.

One function for the window, the tray and `gangway profiles`. It reads the files, the store
and what this process learnt from AWS (the last identity check), and never calls AWS itself:
long-term keys are "not checked yet" until an identity check (quiet, in the window) says
whether AWS takes them, so keys AWS rejects never show "valid".
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.core.aws.profiles.model import Profile, ProfileKind, ProfileSet
from app.core.errors import GangwayError

if TYPE_CHECKING:
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.credentials.types import CredentialStatus


NOT_CHECKED = "keys not checked yet"
REJECTED = "AWS rejected the keys"


def is_long_term(profile: Profile) -> bool:
    """Keys that are the credentials themselves: what a quiet identity check is for."""
    return profile.kind is ProfileKind.STATIC or (
        profile.kind is ProfileKind.PROTECTED and profile.mfa_serial is None)


def _checked(service: CredentialService, name: str) -> CredentialStatus:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus

    if service.cached_identity(name) is not None:
        return CredentialStatus(CredentialState.VALID)
    return CredentialStatus(CredentialState.UNKNOWN, reason=NOT_CHECKED)


def advice(profile: Profile, status: CredentialStatus, now: datetime | None = None) -> str:
    """What to do about `status`, for this kind of profile ("" when nothing is needed)."""
    from app.core.aws.credentials.types import CredentialState as S

    state = status.state
    lapsed = state is S.VALID_UNTIL and status.expires is not None \
        and status.expires <= (now or datetime.now(UTC))
    name = shlex.quote(profile.name)
    if state is S.UNKNOWN and status.reason == NOT_CHECKED:
        return f"`gangway profiles check {name}` (or Check identity) asks AWS."
    if state is S.BROKEN and status.reason != REJECTED:
        return "Fix it in the profile editor or in ~/.aws/config." if status.reason else ""
    if state not in (S.BROKEN, S.EXPIRED, S.NEEDS_MFA, S.NEEDS_SSO_LOGIN) and not lapsed:
        return ""
    if profile.kind is ProfileKind.SSO:
        return f"Log in again: `gangway profiles login {name}` (or SSO login in Profiles)."
    if profile.kind is ProfileKind.STATIC and profile.get("aws_session_token"):
        return ("These are temporary keys pasted into the file: paste fresh ones, or use an "
                "SSO or role profile instead.")
    if state is S.BROKEN or (profile.kind in (ProfileKind.STATIC, ProfileKind.PROTECTED)
                             and profile.mfa_serial is None):
        return ("AWS does not take these keys (deleted, deactivated or mistyped): create new "
                "access keys in IAM and enter them in the profile.")
    if profile.needs_mfa:
        return "Enter a new MFA code (Enter MFA code in Profiles, or the next use asks)."
    if profile.kind is ProfileKind.ASSUME_ROLE:
        return "Obtained again when used (its source profile's credentials assume the role)."
    return "Check the profile's credential source."


def status_of(service: CredentialService, name: str,
              profiles: ProfileSet | None = None) -> CredentialStatus:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus

    profiles = profiles or service.profiles()
    profile = profiles.get(name)
    if profile is None:
        return CredentialStatus(CredentialState.BROKEN, reason="profile not found")
    if profile.error:
        return CredentialStatus(CredentialState.BROKEN, reason=profile.error)
    refused = service.rejection(name, profiles)
    if refused is not None:
        expired = "expired" in refused.message
        return CredentialStatus(CredentialState.EXPIRED if expired else CredentialState.BROKEN,
                                reason="" if expired else REJECTED)
    now = datetime.now(UTC)
    try:
        if profile.kind is ProfileKind.SSO:
            from app.core.aws.credentials import sso

            return sso.token_status(profiles, profile, now)
        if profile.kind is ProfileKind.STATIC:
            return _checked(service, name)
        if not profile.managed:
            return CredentialStatus(CredentialState.UNKNOWN)
        if profile.kind is ProfileKind.PROTECTED and service.stored_keys(name) is None:
            return CredentialStatus(CredentialState.BROKEN,
                                    reason="the keys are missing from the keyring")
        expires = service.expiry(name)
    except GangwayError as exc:  # keyring locked or gone
        return CredentialStatus(CredentialState.UNKNOWN, reason=exc.message)
    return _managed(service, profiles, profile, expires, now)


def _managed(service: CredentialService, profiles: ProfileSet, profile: Profile,
             expires: datetime | None, now: datetime) -> CredentialStatus:
    """A kind Gangway resolves itself, from its cache entry's expiry."""
    from app.core.aws.credentials.types import CredentialState, CredentialStatus

    if expires is not None and expires > now:
        return CredentialStatus(CredentialState.VALID_UNTIL, expires)
    if profiles.prompts_for_mfa(profile):
        if expires is not None:
            return CredentialStatus(CredentialState.EXPIRED, expires)
        return CredentialStatus(CredentialState.NEEDS_MFA)
    if profile.kind is ProfileKind.PROTECTED:
        return _checked(service, profile.name)  # long-term keys from the keyring
    return CredentialStatus(CredentialState.UNKNOWN if expires is None
                            else CredentialState.EXPIRED, expires)
