"""Create, edit, duplicate, rename and delete profiles; protect and unprotect their keys.

The user's files are sacred: configupdater keeps comments, order and keys we do not know;
every write backs the file up, replaces it atomically with mode 0600, and is refused with
FileChangedError when the file changed on disk since the `ProfileSet` was read (reload and
redo). A file configupdater cannot parse is refused with ConfigFileError and left untouched.

Sections: `[profile NAME]` in the config file, `[NAME]` in the credentials file, `[default]`
in both. Names that botocore's shlex-split of the section header would break are quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.core.aws.profiles.model import ProfileSet
from app.core.aws.profiles.names import CREDENTIAL_FILE_KEYS, validate_name
from app.core.errors import ProfileError
from app.core.secrets import SecretStore


@dataclass(frozen=True)
class SsoProfileSpec:
    """A profile to create from an SSO account and role."""

    name: str
    account_id: str
    role_name: str
    region: str | None = None


class ProfileWriter:
    """Write operations on the profile files, each checked against a `ProfileSet` snapshot.

    Every method takes the `ProfileSet` the user was looking at (so a change made on disk
    meanwhile raises FileChangedError) and returns a fresh `ProfileSet` after the write.
    Values given as None delete that key. Secrets are never logged.
    """

    def __init__(self, store: SecretStore | None = None) -> None:
        self.store = store

    def create(self, profiles: ProfileSet, name: str, config: Mapping[str, str],
               credentials: Mapping[str, str] | None = None) -> ProfileSet:
        """A new profile; `config` keys go to the config file, `credentials` to the other."""
        from app.core.aws.profiles import edits

        validate_name(name)
        if name in profiles:
            raise ProfileError(f"A profile named '{name}' already exists.")
        return edits.apply(profiles, {name: _split(config, credentials)})

    def update(self, profiles: ProfileSet, name: str, config: Mapping[str, str | None],
               credentials: Mapping[str, str | None] | None = None) -> ProfileSet:
        """Set (or, with None, remove) keys of an existing profile; other keys are kept."""
        from app.core.aws.profiles import edits

        profiles.require(name)
        return edits.apply(profiles, {name: _split(config, credentials)})

    def duplicate(self, profiles: ProfileSet, name: str, new_name: str) -> ProfileSet:
        """A copy of `name`'s settings (both files) under `new_name`."""
        from app.core.aws.profiles import edits

        validate_name(new_name)
        profiles.require(name)
        if new_name in profiles:
            raise ProfileError(f"A profile named '{new_name}' already exists.")
        return edits.copy(profiles, name, new_name, keep_old=True)

    def rename(self, profiles: ProfileSet, name: str, new_name: str) -> ProfileSet:
        """Rename in both files; `source_profile = name` elsewhere follows the new name.

        Protected keys and cached credentials in the secret store move with it, and the
        credential_process line is rewritten for the new name.
        """
        from app.core.aws.profiles import edits

        validate_name(new_name)
        profiles.require(name)
        if new_name in profiles:
            raise ProfileError(f"A profile named '{new_name}' already exists.")
        result = edits.copy(profiles, name, new_name, keep_old=False)
        if self.store is not None:
            for prefix in ("keys:", "cache:"):
                value = self.store.get(prefix + name)
                if value is not None:
                    self.store.set(prefix + new_name, value)
                    self.store.delete(prefix + name)
        return result

    def delete(self, profiles: ProfileSet, name: str) -> ProfileSet:
        """Remove the profile's sections from both files (and its secrets from the store)."""
        from app.core.aws.profiles import edits

        profiles.require(name)
        result = edits.remove(profiles, name)
        if self.store is not None:
            self.store.delete("keys:" + name)
            self.store.delete("cache:" + name)
        return result

    def protect_keys(self, profiles: ProfileSet, name: str,
                     command: list[str] | None = None) -> ProfileSet:
        """Move the profile's keys from the credentials file into the OS keyring.

        The keys are replaced by `credential_process = <gangway> credentials --profile NAME`.
        Needs a real keyring (KeyringUnavailableError otherwise): keys kept only in memory
        would be lost when Gangway exits. The keyring is written before the file, and the
        file write is checked, so a failure at any step loses nothing.
        """
        from app.core.aws.profiles import edits

        return edits.protect(profiles, name, self._real_store(), command)

    def unprotect_keys(self, profiles: ProfileSet, name: str) -> ProfileSet:
        """Put the keys back into the credentials file and remove them from the keyring."""
        from app.core.aws.profiles import edits

        return edits.unprotect(profiles, name, self._real_store())

    def save_sso_session(self, profiles: ProfileSet, name: str, start_url: str, region: str,
                         scopes: str = "sso:account:access") -> ProfileSet:
        """Create or update an `[sso-session NAME]` section."""
        from app.core.aws.profiles import edits

        validate_name(name)
        values: dict[str, str | None] = {"sso_start_url": start_url, "sso_region": region,
                                         "sso_registration_scopes": scopes or None}
        return edits.sso_session(profiles, name, values, {})

    def create_sso_profiles(self, profiles: ProfileSet, session: str,
                            items: Sequence[SsoProfileSpec]) -> ProfileSet:
        """Profiles for chosen (account, role) pairs of an existing sso-session, one write."""
        from app.core.aws.profiles import edits

        if session not in profiles.sso_sessions:
            raise ProfileError(f"There is no [sso-session {session}] section.")
        changes: dict[str, dict[str, dict[str, str | None]]] = {}
        for item in items:
            validate_name(item.name)
            if item.name in profiles or item.name in changes:
                raise ProfileError(f"A profile named '{item.name}' already exists.")
            conf: dict[str, str | None] = {"sso_session": session,
                                           "sso_account_id": item.account_id,
                                           "sso_role_name": item.role_name}
            if item.region:
                conf["region"] = item.region
            changes[item.name] = {"config": conf}
        s = profiles.sso_sessions[session]
        return edits.sso_session(
            profiles, session, {"sso_start_url": s.start_url, "sso_region": s.region}, changes)

    def _real_store(self) -> SecretStore:
        from app.core.errors import KeyringUnavailableError

        if self.store is None or not self.store.real:
            raise KeyringUnavailableError(
                "No OS keyring is available, so keys cannot be protected.",
                "Install or start a keyring service; Gangway never keeps keys in a plain file.")
        return self.store


def _split(config: Mapping[str, str | None],
           credentials: Mapping[str, str | None] | None) -> dict[str, dict[str, str | None]]:
    conf: dict[str, str | None] = {}
    creds: dict[str, str | None] = dict(credentials or {})
    for raw_key, value in config.items():
        key = raw_key.strip().lower()
        if not key or any(c in key for c in "=:[]\n\r") or key.startswith(("#", ";")):
            raise ProfileError(f"'{key}' is not a valid setting name.")
        (creds if key in CREDENTIAL_FILE_KEYS else conf)[key] = value
    for value in (*conf.values(), *creds.values()):
        if value is not None and ("\n" in value or "\r" in value):
            raise ProfileError("A setting value cannot contain a line break.")
    return {"config": conf, "credentials": creds}

