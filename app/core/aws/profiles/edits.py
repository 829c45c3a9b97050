"""The configupdater mechanics behind `ProfileWriter` (one edit = one checked atomic write).

Each function re-reads the files, checks they are byte-for-byte what the `ProfileSet` saw,
edits them with configupdater and writes them back; the caller gets a fresh `ProfileSet`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.core.aws.profiles.model import ProfileKind, ProfileSet
from app.core.aws.profiles.reader import _profile_name, _sso_session_name, load_profiles
from app.core.errors import ConfigFileError, FileChangedError, GangwayError, ProfileError
from app.core.secrets import SecretStore
from app.core.store import (
    Snapshot,
    atomic_write,
    check_writable,
    read_bounded,
    redact_backups,
)

log = logging.getLogger(__name__)
_MOVED = ("SecretAccessKey", "SessionToken")
Changes = Mapping[str, Mapping[str, Mapping[str, str | None]]]  # name -> file -> key -> value


class _Doc:
    """One file being edited: its snapshot, its configupdater tree, whether it changed."""

    def __init__(self, snapshot: Snapshot, is_config: bool) -> None:
        from configupdater import ConfigUpdater

        self.snapshot = snapshot
        self.path = snapshot.path
        self.is_config = is_config
        self.changed = False
        self.backup: Path | None = None
        self.written: Snapshot | None = None  # what write() left on disk
        self.sso_sessions = False  # True: section lookups address [sso-session NAME]
        raw = read_bounded(snapshot.path) if snapshot.path.exists() else b""
        self.raw = raw
        if not snapshot.is_current():
            raise FileChangedError(snapshot.path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigFileError(self.path, "is not valid UTF-8 text; nothing was changed",
                                  line, "Fix the file first (save it as UTF-8).") from exc
        self.updater = ConfigUpdater(strict=True)
        try:
            self.updater.read_string(text)
        except Exception as exc:  # configparser errors carry the line number
            lineno = getattr(exc, "lineno", None)
            errors = getattr(exc, "errors", None)
            if lineno is None and errors:
                lineno = errors[0][0]
            raise ConfigFileError(self.path, f"cannot be edited safely ({_first_line(exc)}); "
                                  "nothing was changed", lineno,
                                  "Fix the line named above, then retry.") from exc
        self.text = text

    def section_for(self, name: str) -> Any | None:
        """The section botocore reads for `name`: the last of those naming it."""
        found_section = None
        for section in self.updater.iter_sections():
            header = section.name
            if self.sso_sessions:
                found = _sso_session_name(header)
            else:
                found = _profile_name(header) if self.is_config else header
            if found == name:
                found_section = section
        return found_section

    def header_for(self, name: str) -> str:
        from app.core.aws.profiles.names import config_section, credentials_section, quote_name

        if self.sso_sessions:
            return "sso-session " + quote_name(name)
        return config_section(name) if self.is_config else credentials_section(name)

    def ensure_section(self, name: str) -> Any:
        section = self.section_for(name)
        if section is None:
            header = self.header_for(name)
            if self.updater.sections() and not str(self.updater).endswith("\n\n"):
                # Keep a blank line between the previous section and the new one.
                self.updater[self.updater.sections()[-1]].add_after.space(1)
            self.updater.add_section(header)
            section = self.updater[header]
            self.changed = True
        return section

    def set_values(self, name: str, values: Mapping[str, str | None]) -> None:
        if not values:
            return
        section = self.section_for(name)
        if section is None:
            if all(v is None for v in values.values()):
                return
            section = self.ensure_section(name)
        for key, value in values.items():
            if value is None:
                if section.has_option(key):
                    del section[key]
                    self.changed = True
            elif not section.has_option(key) or section[key].value != value:
                if section.has_option(key):
                    section[key].value = value
                else:
                    _append_option(section, key, value)
                self.changed = True

    def remove(self, name: str) -> None:
        section = self.section_for(name)
        if section is not None:
            _detach_keeping_comments(section)
            self.changed = True

    def write(self, redact: Sequence[str] = ()) -> None:
        """Only called for a changed file (`_Lazy.write` picks those)."""
        self.backup = atomic_write(self.path, str(self.updater), expect=self.snapshot,
                                   redact=redact)
        self.written = Snapshot.read(self.path)

    def restore(self) -> None:
        """Undo `write()` (the other file's write failed); our backup goes too."""
        assert self.written is not None  # only files whose write() returned are restored
        if self.snapshot.digest is None:
            if self.written.is_current():
                self.path.unlink()
        else:
            atomic_write(self.path, self.raw, make_backup=False, expect=self.written)
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)


def _detach_keeping_comments(section: Any) -> None:
    """Remove a section but leave its comments (and blank lines) where they were.

    configupdater files a comment above a header under the *previous* section, so a plain
    detach would also drop the comment that belongs to the next profile.
    """
    from configupdater.block import Comment, Space

    document = section.container
    kept = [b for b in section.iter_blocks() if isinstance(b, Comment | Space)]
    index = section.container_idx
    section.detach()
    if not any(isinstance(b, Comment) for b in kept):
        return
    for offset, block in enumerate(kept):
        block.detach()
        block.attach(document)
        document.structure.insert(index + offset, block)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__




def _append_option(section: Any, key: str, value: str) -> None:
    """Add after the last option, not after the trailing blank lines or comments."""
    options = section.option_blocks()
    if options:
        options[-1].add_after.option(key, value)
    else:
        section.set(key, value)


class _Lazy:
    """Open a file only when it needs editing, so a broken other file does not block."""

    def __init__(self, profiles: ProfileSet) -> None:
        self.profiles = profiles
        self._config: _Doc | None = None
        self._creds: _Doc | None = None

    @property
    def config(self) -> _Doc:
        if self._config is None:
            self._config = _Doc(self.profiles.config_snapshot, True)
        return self._config

    @property
    def creds(self) -> _Doc:
        if self._creds is None:
            self._creds = _Doc(self.profiles.credentials_snapshot, False)
        return self._creds

    def write(self, redact: Sequence[str] = ()) -> ProfileSet:
        """Write the changed files, credentials first; both or neither.

        Both are checked (unchanged on disk, writable) before either is written; if the
        second write still fails, the first file is put back as it was. `redact` lists
        secrets moved to the keyring: no backup of the credentials file keeps them.
        """
        docs = [d for d in (self._creds, self._config) if d is not None and d.changed]
        for doc in docs:
            if not doc.snapshot.is_current():
                raise FileChangedError(doc.path)
            check_writable(doc.path)
        done: list[_Doc] = []
        try:
            for doc in docs:
                doc.write(redact if doc is self._creds else ())
                done.append(doc)
        except BaseException:
            for doc in done:
                try:
                    doc.restore()
                except (GangwayError, OSError):  # changed again meanwhile: keep the news
                    log.warning("could not put %s back after a failed edit", doc.path)
            raise
        if redact and self._creds is not None:
            redact_backups(self._creds.path, redact)
        return load_profiles(self.profiles.config_path, self.profiles.credentials_path)


def apply(profiles: ProfileSet, changes: Changes) -> ProfileSet:
    files = _Lazy(profiles)
    for name, per_file in changes.items():
        if per_file.get("config"):
            files.config.set_values(name, per_file["config"])
        if per_file.get("credentials"):
            files.creds.set_values(name, per_file["credentials"])
        if not per_file.get("config") and not per_file.get("credentials"):
            files.config.ensure_section(name)  # an empty new profile still needs a section
    return files.write()


def sso_session(profiles: ProfileSet, name: str, values: Mapping[str, str | None],
                profile_changes: Changes) -> ProfileSet:
    """Create or update `[sso-session NAME]`, plus profile edits, in one write."""
    files = _Lazy(profiles)
    doc = files.config
    doc.sso_sessions = True
    doc.set_values(name, values)
    doc.sso_sessions = False
    for profile, per_file in profile_changes.items():
        doc.set_values(profile, per_file.get("config", {}))
    return files.write()


def _values(doc: _Doc, name: str) -> dict[str, str]:
    section = doc.section_for(name)
    if section is None:
        return {}
    return {key: section[key].value or "" for key in section.options()}


def copy(profiles: ProfileSet, name: str, new_name: str, keep_old: bool) -> ProfileSet:
    files = _Lazy(profiles)
    profile = profiles.get(name)
    assert profile is not None
    if profile.in_config:
        doc = files.config
        values: dict[str, str | None] = dict(_values(doc, name))
        if profile.kind is ProfileKind.PROTECTED and not keep_old:
            from app.core.aws.profiles.names import credential_process_value

            values["credential_process"] = credential_process_value(new_name)
        if keep_old:
            doc.ensure_section(new_name)  # a copy of an empty section is an empty section
            doc.set_values(new_name, values)
        else:
            section = doc.section_for(name)
            assert section is not None
            section.name = doc.header_for(new_name)
            doc.changed = True
            if values != _values(doc, new_name):
                doc.set_values(new_name, values)
        if not keep_old:
            _follow_rename(doc, name, new_name)
    if profile.in_credentials:
        doc = files.creds
        if keep_old:
            doc.ensure_section(new_name)
            doc.set_values(new_name, dict(_values(doc, name)))
        else:
            section = doc.section_for(name)
            assert section is not None
            section.name = doc.header_for(new_name)
            doc.changed = True
            _follow_rename(doc, name, new_name)
    return files.write()


def _follow_rename(doc: _Doc, old: str, new: str) -> None:
    for section in doc.updater.iter_sections():
        if section.has_option("source_profile") and section["source_profile"].value == old:
            section["source_profile"].value = new
            doc.changed = True


def remove(profiles: ProfileSet, name: str) -> ProfileSet:
    files = _Lazy(profiles)
    profile = profiles.get(name)
    if profile is not None and profile.in_config:
        files.config.remove(name)
    if profile is not None and profile.in_credentials:
        files.creds.remove(name)
    return files.write()


def protect(profiles: ProfileSet, name: str, store: SecretStore,
            command: list[str] | None) -> ProfileSet:
    from app.core.aws.profiles.names import credential_process_value

    profile = profiles.require(name)
    if profile.kind is ProfileKind.PROTECTED:
        raise ProfileError(f"The keys of profile '{name}' are already protected.")
    files = _Lazy(profiles)
    doc = files.creds
    found = _values(doc, name)
    if not found.get("aws_access_key_id") or not found.get("aws_secret_access_key"):
        raise ProfileError(f"Profile '{name}' has no access keys in {doc.path}.",
                           "Only keys in the credentials file can be protected.")
    if profile.kind is ProfileKind.ASSUME_ROLE or profile.kind is ProfileKind.SSO:
        raise ProfileError(f"Profile '{name}' is a {profile.kind.value} profile; its keys "
                           "are only used as a source.",
                           "Move the keys to a profile of their own and protect that one.")
    doc.set_values(name, {"aws_access_key_id": None, "aws_secret_access_key": None,
                          "aws_session_token": None, "aws_security_token": None})
    if not _values(doc, name):
        doc.remove(name)
    files.config.set_values(name, {"credential_process":
                                   credential_process_value(name, command)})
    secret: dict[str, str] = {"Version": "1", "AccessKeyId": found["aws_access_key_id"],
                              "SecretAccessKey": found["aws_secret_access_key"]}
    token = found.get("aws_session_token") or found.get("aws_security_token")
    if token:
        secret["SessionToken"] = token
    # Keyring first: if the file write then fails, the keys are in both places, never none.
    store.set("keys:" + name, json.dumps(secret))
    if store.get("keys:" + name) != json.dumps(secret):
        raise ProfileError("The keyring did not keep the keys; nothing was changed.")
    # No backup may keep what now lives in the keyring (the key id is not a secret).
    return files.write(redact=[v for k, v in secret.items() if k in _MOVED])


def unprotect(profiles: ProfileSet, name: str, store: SecretStore) -> ProfileSet:
    profile = profiles.get(name)
    if profile is None or profile.kind is not ProfileKind.PROTECTED:
        raise ProfileError(f"Profile '{name}' does not have protected keys.")
    text = store.get("keys:" + name)
    if not text:
        raise ProfileError(f"The keyring has no keys for profile '{name}'.",
                           "Enter the keys again in the profile editor.")
    secret = json.loads(text)
    files = _Lazy(profiles)
    # credential_process may sit in either file (botocore merges both): it goes from both.
    values: dict[str, str | None] = {"aws_access_key_id": secret["AccessKeyId"],
                                     "aws_secret_access_key": secret["SecretAccessKey"],
                                     "credential_process": None}
    if secret.get("SessionToken"):
        values["aws_session_token"] = secret["SessionToken"]
    files.creds.set_values(name, values)
    if files.config.section_for(name) is not None:
        files.config.set_values(name, {"credential_process": None})
    result = files.write()
    # Only after the file holds them again.
    store.delete("keys:" + name)
    store.delete("cache:" + name)
    return result

