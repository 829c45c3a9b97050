"""The credential state shown next to each profile, from files and the store only (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.core.aws.profiles.model import ProfileKind, ProfileSet
from app.core.errors import GangwayError

if TYPE_CHECKING:
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.credentials.types import CredentialStatus


def status_of(service: CredentialService, name: str,
              profiles: ProfileSet | None = None) -> CredentialStatus:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus

    profiles = profiles or service.profiles()
    profile = profiles.get(name)
    if profile is None:
        return CredentialStatus(CredentialState.BROKEN, reason="profile not found")
    if profile.error:
        return CredentialStatus(CredentialState.BROKEN, reason=profile.error)
    now = datetime.now(UTC)
    try:
        if profile.kind is ProfileKind.SSO:
            from app.core.aws.credentials import sso

            return sso.token_status(profiles, profile, now)
        if profile.kind is ProfileKind.STATIC:
            return CredentialStatus(CredentialState.VALID)
        if not profile.managed:
            return CredentialStatus(CredentialState.UNKNOWN)
        if profile.kind is ProfileKind.PROTECTED and service.stored_keys(name) is None:
            return CredentialStatus(CredentialState.BROKEN,
                                    reason="the keys are missing from the keyring")
        expires = service.expiry(name)
    except GangwayError as exc:  # keyring locked or gone
        return CredentialStatus(CredentialState.UNKNOWN, reason=exc.message)
    if expires is not None and expires > now:
        return CredentialStatus(CredentialState.VALID_UNTIL, expires)
    if profiles.prompts_for_mfa(profile):
        if expires is not None:
            return CredentialStatus(CredentialState.EXPIRED, expires)
        return CredentialStatus(CredentialState.NEEDS_MFA)
    if profile.kind is ProfileKind.PROTECTED:
        return CredentialStatus(CredentialState.VALID)  # long-term keys from the keyring
    return CredentialStatus(CredentialState.UNKNOWN if expires is None
                            else CredentialState.EXPIRED, expires)
