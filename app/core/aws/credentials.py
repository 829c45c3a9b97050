"""Credentials for a profile: cached temporary keys, MFA, roles, and boto3 sessions from them.

`CredentialService` is the one object the rest of Gangway asks for credentials. It keeps the
temporary credentials it obtains (GetSessionToken / AssumeRole, with MFA) in the secret store,
one JSON blob per profile under `cache:<profile>`, and the long-term keys of protected profiles
under `keys:<profile>`.

Several consumers needing the same profile at once (three tunnels and an SSH session) cause
one prompt: the first caller runs the work, later callers wait on the same future.

The cache-hit path (`cached()`) imports no boto3; `gangway credentials` relies on that.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from app.core.errors import (
    CancelledError,
    GangwayError,
    MfaCodeRejectedError,
    MfaRequiredError,
    ProfileError,
)
from app.core.secrets import SecretStore

# Kept light at import: the credentials helper imports this module on every cache hit.
if TYPE_CHECKING:
    from concurrent.futures import Future

    import boto3

    from app.core.aws.profiles import Profile, ProfileSet

CACHE_PREFIX = "cache:"
KEYS_PREFIX = "keys:"
# botocore refreshes credential_process credentials 15 min before expiry and insists on
# 10 min; handing out anything closer to expiry makes every AWS call re-run the helper.
USABLE_MARGIN = timedelta(minutes=11)
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


class CredentialService:
    """Credentials, their state, and boto3 sessions for every profile.

    `store` is the secret store (a KeyringStore, or a MemoryStore when no OS keyring exists).
    `loader` reads the profiles (defaults to the standard files; tests pass paths via env).
    `prompt` is the default MFA prompt (the GUI passes its dialog); every call may override it.
    Thread-safe: call it from worker threads, never from the GUI thread.
    """

    def __init__(self, store: SecretStore, *, loader: Callable[[], ProfileSet] | None = None,
                 durations: Durations | None = None, prompt: Prompt | None = None) -> None:
        self.store = store
        self.durations = durations or Durations()
        self.prompt = prompt
        self._loader = loader
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[Credentials]] = {}
        self._identities: dict[str, Identity] = {}

    # --- profiles --------------------------------------------------------------------------

    def profiles(self) -> ProfileSet:
        """A fresh read of the profile files (cheap: two small files)."""
        if self._loader is not None:
            return self._loader()
        from app.core.aws.profiles import load_profiles

        return load_profiles()

    def profile(self, name: str, profiles: ProfileSet | None = None) -> Profile:
        found = (profiles or self.profiles()).get(name)
        if found is None:
            raise ProfileError(f"Profile '{name}' was not found.",
                               "Check the name in the Profiles pane or ~/.aws/config.")
        return found

    # --- cache (no boto3) ------------------------------------------------------------------

    def cached(self, name: str) -> Credentials | None:
        """Usable temporary credentials from the cache, or None. Never imports boto3."""
        text = self.store.get(CACHE_PREFIX + name)
        if not text:
            return None
        try:
            creds = Credentials.from_json(text)
        except (ValueError, TypeError):
            return None
        return creds if creds.usable() else None

    def stored_keys(self, name: str) -> Credentials | None:
        """The long-term keys of a protected profile, from the secret store."""
        text = self.store.get(KEYS_PREFIX + name)
        if not text:
            return None
        try:
            return Credentials.from_json(text)
        except (ValueError, TypeError):
            return None

    def expiry(self, name: str) -> datetime | None:
        """When the cached temporary credentials expire (UTC), or None if none are cached."""
        text = self.store.get(CACHE_PREFIX + name)
        if not text:
            return None
        try:
            return Credentials.from_json(text).expiration
        except (ValueError, TypeError):
            return None

    def forget(self, name: str) -> None:
        """Drop cached temporary credentials and identity (the next use asks again)."""
        self.store.delete(CACHE_PREFIX + name)
        with self._lock:
            self._identities.pop(name, None)

    def status(self, name: str, profiles: ProfileSet | None = None) -> CredentialStatus:
        """The state shown next to a profile; reads files and the store, never calls AWS."""
        from app.core.aws import credential_status

        return credential_status.status_of(self, name, profiles)

    # --- getting credentials (may call AWS and prompt) -------------------------------------

    def get(self, name: str, prompt: Prompt | None = None, *,
            refresh: bool = False) -> Credentials:
        """Credentials for `name`, from the cache or by asking AWS (and the user for MFA).

        Raises MfaRequiredError (no prompt given), CancelledError (prompt cancelled),
        MfaCodeRejectedError (too many wrong codes), SsoLoginRequiredError, CredentialError,
        NetworkError, ProfileError. Concurrent calls for one profile share one attempt.
        """
        if not refresh and (hit := self.cached(name)) is not None:
            return hit
        from concurrent.futures import Future

        with self._lock:
            future = self._inflight.get(name)
            owner = future is None
            if future is None:
                future = Future()
                self._inflight[name] = future
        if not owner:
            return future.result()
        try:
            if not refresh and (hit := self.cached(name)) is not None:
                result = hit
            else:
                from app.core.aws import resolve

                result = resolve.resolve(self, name, prompt or self.prompt)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(name, None)

    def session(self, name: str, prompt: Prompt | None = None,
                region: str | None = None) -> boto3.Session:
        """A boto3 Session for `name` whose credentials come from this service.

        Profiles Gangway manages (protected keys, MFA, roles) get refreshable credentials
        that re-enter `get()` (so a long-lived session re-prompts once, not per call); SSO,
        foreign credential_process and credential_source profiles use botocore's own chain.
        """
        from app.core.aws import resolve

        return resolve.session_for(self, name, prompt or self.prompt, region)

    def identity(self, name: str, prompt: Prompt | None = None,
                 refresh: bool = False) -> Identity:
        """sts:GetCallerIdentity for `name`, cached for the life of the service."""
        with self._lock:
            known = self._identities.get(name)
        if known is not None and not refresh:
            return known
        from app.core.aws.session import client, translate

        session = self.session(name, prompt)
        try:
            reply = client(session, "sts").get_caller_identity()
        except GangwayError:
            raise
        except Exception as exc:
            raise translate(exc, f"Checking profile '{name}'") from exc
        ident = Identity(str(reply["Account"]), str(reply["Arn"]), str(reply["UserId"]))
        with self._lock:
            self._identities[name] = ident
        return ident

    def cached_identity(self, name: str) -> Identity | None:
        with self._lock:
            return self._identities.get(name)

    # --- used by resolve -------------------------------------------------------------------

    def remember(self, name: str, creds: Credentials) -> None:
        if creds.expiration is not None:
            self.store.set(CACHE_PREFIX + name, creds.to_json())


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

