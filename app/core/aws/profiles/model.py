"""AWS profiles as values: the kinds, one profile, and the set one load of the files gives.

The reader (`profiles.reader`) builds them; the writer and the credential service read them.
No boto3 here: the credentials helper (`gangway credentials`) loads profiles on a cache hit.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.core.errors import ConfigFileError, ProfileNotFoundError
from app.core.store import Snapshot

# Keys that hold secrets; never shown in the UI and never copied out of the credentials file
# except into the secret store.
SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})
KEY_ID = "aws_access_key_id"
ROLE_KEYS = ("role_arn", "source_profile", "credential_source", "mfa_serial", "external_id",
             "duration_seconds", "role_session_name")
SSO_KEYS = ("sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name",
            "sso_registration_scopes")


class ProfileKind(Enum):
    """How a profile gets its credentials."""

    STATIC = "static keys"
    STATIC_MFA = "static keys + MFA"
    PROTECTED = "protected keys"  # Gangway's own credential_process; keys in the keyring
    ASSUME_ROLE = "assume role"
    SSO = "SSO"
    PROCESS = "credential process"
    NONE = "no credentials"  # settings only (region/output), or empty


@dataclass(frozen=True)
class SsoSession:
    """An `[sso-session NAME]` section."""

    name: str
    start_url: str
    region: str
    scopes: str = ""


@dataclass(frozen=True)
class Profile:
    """One profile, merged from both files; `fields` never contains secret values.

    `fields` holds every key of the profile (config file first, credentials file overriding,
    as botocore does) with secret values replaced by "***". `error` is a per-profile problem
    (missing or circular source_profile, an SSO profile without its session, ...).
    """

    name: str
    kind: ProfileKind
    region: str | None
    fields: Mapping[str, str]
    error: str | None = None
    in_config: bool = False
    in_credentials: bool = False
    # Names of the profiles this one draws credentials from, nearest first (role chains).
    source_chain: tuple[str, ...] = ()

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    @property
    def mfa_serial(self) -> str | None:
        return self.fields.get("mfa_serial") or None

    @property
    def role_arn(self) -> str | None:
        return self.fields.get("role_arn") or None

    @property
    def has_plaintext_keys(self) -> bool:
        """True when long-term keys sit in a plain file (candidates for "Protect keys")."""
        return KEY_ID in self.fields and "aws_secret_access_key" in self.fields

    @property
    def protected(self) -> bool:
        return self.kind is ProfileKind.PROTECTED

    @property
    def managed(self) -> bool:
        """True for the kinds Gangway resolves itself (and caches in the secret store):
        keys with MFA, protected keys, and roles with a source profile."""
        if self.kind in (ProfileKind.STATIC_MFA, ProfileKind.PROTECTED):
            return True
        return self.kind is ProfileKind.ASSUME_ROLE and bool(self.fields.get("source_profile"))

    @property
    def needs_mfa(self) -> bool:
        """True when getting credentials needs a code typed by a person."""
        return self.mfa_serial is not None and self.kind in (
            ProfileKind.STATIC_MFA, ProfileKind.PROTECTED, ProfileKind.ASSUME_ROLE)

    @property
    def account_hint(self) -> str | None:
        """The account id when the file tells it (role ARN or SSO account), without AWS."""
        if self.fields.get("sso_account_id"):
            return self.fields["sso_account_id"]
        arn = self.role_arn
        if arn and arn.count(":") >= 5:
            return arn.split(":")[4] or None
        return None


@dataclass(frozen=True)
class ProfileSet:
    """The result of one load: profiles, SSO sessions, and the problems found on the way.

    The snapshots are what the files looked like when read; writers pass them to
    `store.atomic_write(expect=...)` so a file changed since is never overwritten.
    """

    profiles: tuple[Profile, ...]
    sso_sessions: Mapping[str, SsoSession]
    problems: tuple[ConfigFileError, ...]
    config_path: Path
    credentials_path: Path
    # repr=False: the credentials file's text holds secrets.
    config_snapshot: Snapshot = field(repr=False)
    credentials_snapshot: Snapshot = field(repr=False)
    active: str | None = None  # AWS_PROFILE, or "default" when that exists
    _by_name: Mapping[str, Profile] = field(default_factory=dict, repr=False, compare=False)
    _secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False,
                                                      compare=False)

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Profile | None:
        return self._by_name.get(name)

    def require(self, name: str) -> Profile:
        """The profile named `name`, or ProfileNotFoundError (the one place that says so)."""
        found = self._by_name.get(name)
        if found is None:
            raise ProfileNotFoundError(name)
        return found

    def prompts_for_mfa(self, profile: Profile) -> bool:
        """Whether getting credentials for `profile` (or its role chain) asks for a code."""
        if profile.needs_mfa:
            return True
        return any((found := self._by_name.get(source)) is not None and found.needs_mfa
                   for source in profile.source_chain)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def file_keys(self, name: str) -> tuple[str, str, str | None] | None:
        """(key id, secret, session token) written in the files for `name`, if any."""
        values = self._secrets.get(name, {})
        if not values.get(KEY_ID) or not values.get("aws_secret_access_key"):
            return None
        token = values.get("aws_session_token") or values.get("aws_security_token") or None
        return values[KEY_ID], values["aws_secret_access_key"], token

    def is_current(self) -> bool:
        """False when either file changed on disk since this set was read."""
        return self.config_snapshot.is_current() and self.credentials_snapshot.is_current()



def is_gangway_process(command: str) -> tuple[bool, str | None]:
    """Whether a credential_process value is Gangway's own helper, and for which profile."""
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError:
        return False, None
    argv = [a.strip('"') for a in argv]
    if "credentials" not in argv or "--profile" not in argv:
        return False, None
    exe = Path(argv[0]).name.lower()
    if not (exe.startswith("gangway") or (len(argv) > 2 and argv[1:3] == ["-m", "app"])):
        return False, None
    i = argv.index("--profile")
    return True, (argv[i + 1] if i + 1 < len(argv) else None)


