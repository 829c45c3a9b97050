"""CredentialSource: the one seam through which anything gets credentials for a profile.

Every consumer (`gangway proxy` and `session`, discovery, the Sessions pane, the tunnel
supervisor) receives a source and never builds its own service:

- in the window, the source is the shared `CredentialService` whose prompt is the MFA broker
  (one dialog, however many consumers ask at once);
- in a CLI process it is `CliCredentialSource`: the keyring cache, then the running window
  over IPC (it shows its dialog), then a standalone dialog of our own.

    creds = source.credentials("prod")          # frozen Credentials, usable now
    session = source.session("prod", "eu-west-1")  # boto3, refreshing through the source
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from app.core.aws.credentials.types import Credentials

if TYPE_CHECKING:
    import boto3

    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.profiles.model import ProfileSet
    from app.core.paths import Paths
    from app.core.secrets import SecretStore


class CredentialSource(Protocol):
    """Frozen credentials and boto3 sessions for a profile; thread-safe, may prompt."""

    def profiles(self) -> ProfileSet:
        """A fresh read of the profile files."""
        ...

    def credentials(self, name: str, *, refresh: bool = False) -> Credentials:
        """Usable credentials now (cached, or obtained, asking for MFA at most once)."""
        ...

    def session(self, name: str, region: str | None = None) -> boto3.Session:
        """A boto3 Session whose credentials come from this source."""
        ...

    def forget(self, name: str) -> None:
        """The cached credentials were refused: the next call obtains new ones."""
        ...


class CliCredentialSource:
    """The source for processes that are not the window (`proxy`, `session`, `tunnel run`).

    Profiles Gangway does not manage (static keys in the files, SSO, foreign
    credential_process) never open the keyring: ssh is waiting on this path. Managed ones try
    the keyring cache; then, when a code would be needed, the window over IPC and else the
    standalone dialog, under a per-profile lock so concurrent helpers share one prompt.
    """

    def __init__(self, paths: Paths, *, store: SecretStore | None = None,
                 ask_window: bool = True) -> None:
        self.paths = paths
        self._store = store
        self._ask_window = ask_window
        self._service: CredentialService | None = None
        self._lock = threading.Lock()

    def profiles(self) -> ProfileSet:
        from app.core.aws.profiles.reader import load_profiles

        return load_profiles()

    def service(self) -> CredentialService:
        """The keyring-backed service, opened on first need (the keyring probe is slow)."""
        with self._lock:
            if self._service is None:
                from app.core.aws.credentials import mfa
                from app.core.aws.credentials.service import CredentialService
                from app.core.secrets import open_secret_store

                self._service = CredentialService(self._store or open_secret_store(),
                                                  loader=self.profiles,
                                                  prompt=mfa.dialog_prompt)
            return self._service

    def credentials(self, name: str, *, refresh: bool = False) -> Credentials:
        profiles = self.profiles()
        profile = profiles.require(name)
        if not profile.managed:
            from app.core.aws.credentials import resolve

            return resolve.unmanaged(profiles, profile)
        service = self.service()
        if not refresh and (hit := service.cached(name)) is not None:
            return hit
        if self._ask_window and profiles.prompts_for_mfa(profile):
            from app.core.aws.credentials import mfa

            with mfa.profile_lock(self.paths, name):
                if not refresh and (hit := service.cached(name)) is not None:
                    return hit
                found = mfa.ask_window(self.paths, name)
                if found is not None:
                    service.remember(name, found)
                    return found
                return service.get(name, refresh=refresh)
        return service.get(name, refresh=refresh)

    def session(self, name: str, region: str | None = None) -> boto3.Session:
        from app.core.aws.credentials import resolve

        profiles = self.profiles()
        return resolve.session_for(profiles, name, lambda: self.credentials(name), region)

    def forget(self, name: str) -> None:
        profile = self.profiles().get(name)
        if profile is not None and profile.managed:
            self.service().forget(name)
