"""Credential values: keys and their expiry, the state shown next to a profile, MFA requests.

No boto3 and no service here: `gangway credentials` imports this on every cache hit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from app.core.errors import (
    CancelledError,
    MfaCodeRejectedError,
    MfaRequiredError,
)

if TYPE_CHECKING:
    pass


CACHE_PREFIX = "cache:"


KEYS_PREFIX = "keys:"


# botocore refreshes credential_process credentials 15 min before expiry and insists on
# 10 min; handing out anything closer to expiry makes every AWS call re-run the helper.
USABLE_MARGIN = timedelta(minutes=11)


# The longest temporary credentials AWS hands out (GetSessionToken for an IAM user: 36 h). A
# cached expiry further ahead is not real (a forged reply, a broken clock) and is refused.
MAX_TEMPORARY_LIFETIME = timedelta(hours=36)


MAX_MFA_ATTEMPTS = 5


_CODE = re.compile(r"^\d{6}$")


class CredentialState(Enum):
    VALID = "valid"  # long-term keys, or a provider we do not track (SSO via botocore, ...)
    VALID_UNTIL = "valid until"
    EXPIRED = "expired"
    NEEDS_MFA = "needs MFA"
    NEEDS_SSO_LOGIN = "needs SSO login"
    BROKEN = "broken"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CredentialStatus:
    """What the Profiles pane and the tray show; `expires` is UTC, `reason` for BROKEN."""

    state: CredentialState
    expires: datetime | None = None
    reason: str = ""

    def remaining(self, now: datetime | None = None) -> timedelta | None:
        if self.expires is None:
            return None
        return self.expires - (now or datetime.now(UTC))


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = ""
    session_token: str | None = None
    expiration: datetime | None = None  # UTC; None = long-term keys

    def __repr__(self) -> str:  # never leak the secret into logs or tracebacks
        return f"Credentials({self.access_key_id[:4]}..., expires={self.expiration})"

    def usable(self, now: datetime | None = None) -> bool:
        if self.expiration is None:
            return True
        return self.expiration - (now or datetime.now(UTC)) > USABLE_MARGIN

    def plausible_temporary(self, now: datetime | None = None) -> bool:
        """Temporary credentials fit to cache: an expiry, and none beyond what AWS grants.

        A missing Expiration counts as expired (temporary keys always have one); long-term
        keys (`keys:` in the store) never go through this check."""
        if self.expiration is None:
            return False
        return self.expiration - (now or datetime.now(UTC)) <= MAX_TEMPORARY_LIFETIME

    def usable_temporary(self, now: datetime | None = None) -> bool:
        """A cache hit: plausible temporary credentials that are not about to expire."""
        now = now or datetime.now(UTC)
        return self.plausible_temporary(now) and self.usable(now)

    def process_json(self) -> dict[str, Any]:
        """The credential_process "Version 1" document botocore and the SDKs read."""
        doc: dict[str, Any] = {"Version": 1, "AccessKeyId": self.access_key_id,
                               "SecretAccessKey": self.secret_access_key}
        if self.session_token:
            doc["SessionToken"] = self.session_token
        if self.expiration is not None:
            doc["Expiration"] = format_time(self.expiration)
        return doc

    def to_json(self) -> str:
        return json.dumps(self.process_json())

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        doc = json.loads(text)
        if not isinstance(doc, dict) or not doc.get("AccessKeyId"):
            raise ValueError("not a credentials document")
        exp = doc.get("Expiration")
        return cls(str(doc["AccessKeyId"]), str(doc.get("SecretAccessKey", "")),
                   doc.get("SessionToken") or None, parse_time(exp) if exp else None)


@dataclass(frozen=True)
class MfaRequest:
    """What a prompt shows: which profile, which device, and why it asks again."""

    profile: str
    serial: str
    role_arn: str | None = None
    attempt: int = 1
    error: str = ""  # the previous attempt's problem ("AWS rejected the code"), for a retry


# The prompt returns the 6-digit code, or None when the user cancels.
Prompt = Callable[[MfaRequest], "str | None"]


@dataclass(frozen=True)
class Durations:
    """How long temporary credentials last (seconds); the profile's duration_seconds wins."""

    session_token: int = 12 * 3600
    role: int = 3600


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ask_code(prompt: Prompt | None, request: MfaRequest) -> str:
    """One MFA code from the prompt, validated; raises MfaRequiredError/CancelledError."""
    if prompt is None:
        raise MfaRequiredError(
            f"Profile '{request.profile}' needs an MFA code.",
            "Open Gangway and enter the code, or run the command from a desktop session.")
    error = request.error
    for _ in range(MAX_MFA_ATTEMPTS):
        code = prompt(MfaRequest(request.profile, request.serial, request.role_arn,
                                 request.attempt, error))
        if code is None:
            raise CancelledError(f"MFA for profile '{request.profile}' was cancelled.")
        code = code.strip().replace(" ", "")
        if _CODE.match(code):
            return code
        error = "The code must be 6 digits."
    raise MfaCodeRejectedError(f"No valid MFA code for profile '{request.profile}'.")
