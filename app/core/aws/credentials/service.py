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

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

# Kept light at import: the credentials helper imports this module on every cache hit.
from app.core.aws.credentials.types import (
    CACHE_PREFIX,
    KEYS_PREFIX,
    Credentials,
    CredentialStatus,
    Durations,
    Identity,
    Prompt,
)
from app.core.errors import (
    GangwayError,
)
from app.core.secrets import SecretStore

if TYPE_CHECKING:
    from concurrent.futures import Future

    import boto3

    from app.core.aws.profiles.model import Profile, ProfileSet


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
        # The last identity check AWS refused, with a fingerprint of the settings it used.
        self._rejected: dict[str, tuple[GangwayError, int]] = {}

    # --- profiles --------------------------------------------------------------------------

    def profiles(self) -> ProfileSet:
        """A fresh read of the profile files (cheap: two small files)."""
        if self._loader is not None:
            return self._loader()
        from app.core.aws.profiles.reader import load_profiles

        return load_profiles()

    def profile(self, name: str, profiles: ProfileSet | None = None) -> Profile:
        return (profiles or self.profiles()).require(name)

    # --- cache (no boto3) ------------------------------------------------------------------

    def _read(self, key: str) -> Credentials | None:
        """A credentials document from the store, or None when absent or unreadable."""
        text = self.store.get(key)
        if not text:
            return None
        try:
            return Credentials.from_json(text)
        except (ValueError, TypeError):
            return None

    def cached(self, name: str) -> Credentials | None:
        """Usable temporary credentials from the cache, or None. Never imports boto3."""
        creds = self._read(CACHE_PREFIX + name)
        return creds if creds is not None and creds.usable_temporary() else None

    def stored_keys(self, name: str) -> Credentials | None:
        """The long-term keys of a protected profile, from the secret store."""
        return self._read(KEYS_PREFIX + name)

    def expiry(self, name: str) -> datetime | None:
        """When the cached temporary credentials expire (UTC), or None if none are cached
        (an entry with no expiry, or one beyond what AWS grants, counts as none)."""
        creds = self._read(CACHE_PREFIX + name)
        return creds.expiration if creds is not None and creds.plausible_temporary() else None

    def forget(self, name: str) -> None:
        """Drop cached temporary credentials and identity (the next use asks again)."""
        self.store.delete(CACHE_PREFIX + name)
        with self._lock:
            self._identities.pop(name, None)
            self._rejected.pop(name, None)

    def status(self, name: str, profiles: ProfileSet | None = None) -> CredentialStatus:
        """The state shown next to a profile; reads files and the store, never calls AWS."""
        from app.core.aws.credentials import status as credential_status

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
                from app.core.aws.credentials import resolve

                result = resolve.resolve(self, name, prompt or self.prompt)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(name, None)

    def session(self, name: str, region: str | None = None, *,
                prompt: Prompt | None = None) -> boto3.Session:
        """A boto3 Session for `name` whose credentials come from this service."""
        from app.core.aws.credentials import resolve

        profiles = self.profiles()
        profile = profiles.get(name)
        if profile is not None and not profile.managed:
            # Keys in the file (or botocore's chain): nothing of theirs is in the store, so a
            # locked keyring must not stall them (the Profiles pane checks them quietly).
            return resolve.session_for(profiles, name,
                                       lambda: resolve.unmanaged(self.profiles(), profile),
                                       region)
        return resolve.session_for(profiles, name,
                                   lambda: self.get(name, prompt or self.prompt), region)

    # --- CredentialSource ------------------------------------------------------------------

    def credentials(self, name: str, *, refresh: bool = False) -> Credentials:
        return self.get(name, refresh=refresh)

    def identity(self, name: str, prompt: Prompt | None = None,
                 refresh: bool = False) -> Identity:
        """sts:GetCallerIdentity for `name`, cached for the life of the service."""
        with self._lock:
            known = self._identities.get(name)
        if known is not None and not refresh:
            return known
        from app.core.aws.client import client, translate
        from app.core.errors import CredentialError, MfaCodeRejectedError, MfaRequiredError

        try:
            session = self.session(name, prompt=prompt)
            try:
                reply = client(session, "sts").get_caller_identity()
            except Exception as exc:
                raise translate(exc, f"Checking profile '{name}'") from exc
        except CredentialError as refused:  # the keys are wrong or expired: say so in the row
            if not isinstance(refused, MfaRequiredError | MfaCodeRejectedError):
                seen = _fingerprint(self.profiles(), name)
                with self._lock:
                    self._rejected[name] = (refused, seen)
                    self._identities.pop(name, None)
                self._advise(name, refused)
            raise
        ident = Identity(str(reply["Account"]), str(reply["Arn"]), str(reply["UserId"]))
        with self._lock:
            self._identities[name] = ident
            self._rejected.pop(name, None)
        return ident

    def _advise(self, name: str, refused: GangwayError) -> None:
        """The hint that fits this profile's kind (not "enter a new MFA code" for plain keys)."""
        from app.core.aws.credentials import status as credential_status

        profiles = self.profiles()
        profile = profiles.get(name)
        if profile is not None:
            found = credential_status.advice(profile, self.status(name, profiles))
            refused.hint = found or refused.hint

    def rejection(self, name: str, profiles: ProfileSet | None = None) -> GangwayError | None:
        """Why AWS refused the last identity check of `name`; None when it was not refused,
        or when the profile's settings (keys included) changed since."""
        with self._lock:
            found = self._rejected.get(name)
        if found is None or found[1] != _fingerprint(profiles or self.profiles(), name):
            return None
        return found[0]

    def cached_identity(self, name: str) -> Identity | None:
        with self._lock:
            return self._identities.get(name)

    # --- used by resolve -------------------------------------------------------------------

    def remember(self, name: str, creds: Credentials) -> None:
        """Cache temporary credentials until their expiry; anything implausible is not kept."""
        if creds.plausible_temporary():
            self.store.set(CACHE_PREFIX + name, creds.to_json())


def _fingerprint(profiles: ProfileSet, name: str) -> int:
    """Changes when the profile's settings or file keys change (kept in memory only)."""
    profile = profiles.get(name)
    if profile is None:
        return 0
    return hash((tuple(sorted(profile.fields.items())), profiles.file_keys(name)))
