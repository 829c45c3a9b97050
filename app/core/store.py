"""Files on disk: atomic replace, timestamped backups, change detection, versioned JSON.

The same three rules guard the user's own files (`~/.aws/*`, `~/.ssh/config`) and ours:
back up first, replace atomically (never a half-written file), and refuse to write when the
file changed on disk since we read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import (
    ConfigFileError,
    FileChangedError,
    FileTooLargeError,
    ReadOnlyFileError,
    UnwritableDirError,
)

log = logging.getLogger(__name__)

PRIVATE = 0o600
# The files we read (~/.aws/config, ~/.aws/credentials, ~/.ssh/config) are a few KB; a huge
# one is a mistake (or an attack) that would cost seconds and hundreds of MB to parse.
MAX_FILE_BYTES = 5 * 1024 * 1024


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes; FileTooLargeError beyond `limit` (checked before reading)."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise FileTooLargeError(path, size, limit)
        raw = fh.read(limit + 1)
    if len(raw) > limit:  # grew while we looked
        raise FileTooLargeError(path, len(raw), limit)
    return raw


@dataclass(frozen=True)
class Snapshot:
    """What a file looked like when we read it; `None` digest means it did not exist."""

    path: Path
    digest: str | None
    text: str

    @classmethod
    def read(cls, path: Path, encoding: str = "utf-8") -> Snapshot:
        try:
            raw = read_bounded(path)
        except FileNotFoundError:
            return cls(path, None, "")
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigFileError(
                path, f"is not valid {encoding} text", line,
                "Save the file as UTF-8 (or fix the character on that line).",
            ) from exc
        return cls(path, _digest(raw), text)

    def is_current(self) -> bool:
        return _digest_of(self.path) == self.digest


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _digest_of(path: Path) -> str | None:
    try:
        return _digest(path.read_bytes())
    except FileNotFoundError:
        return None


# Backups kept per file: the newest BACKUP_KEEP, and none older than BACKUP_MAX_AGE (the
# newest one always stays). Enough to undo a few edits, not a growing pile of old secrets.
BACKUP_KEEP = 10
BACKUP_MAX_AGE = 30 * 24 * 3600
REDACTED = "<moved to the OS keyring by Gangway>"


def backups_of(path: Path) -> list[Path]:
    """Gangway's backups of `path`, oldest first."""
    found: list[tuple[float, str, Path]] = []
    for p in path.parent.glob(f"{glob_escape(path.name)}.gangway-*.bak"):
        with contextlib.suppress(FileNotFoundError):  # another writer pruned it just now
            found.append((p.stat().st_mtime, p.name, p))
    return [p for *_, p in sorted(found)]


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def backup(path: Path, *, redact: Iterable[str] = ()) -> Path | None:
    """Copy `path` to a new `path.gangway-<time>-<n>.bak` (0600); None if it does not exist.

    Each value in `redact` (a secret moved to the keyring) is replaced by REDACTED before
    the copy reaches the disk. Older backups beyond BACKUP_KEEP / BACKUP_MAX_AGE are deleted.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    raw = _redacted(raw, redact)
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1e6) % 10**6:06d}"
    n = 0
    while True:
        # O_EXCL: two writers never pick the same name, whatever their clocks say.
        target = path.with_name(f"{path.name}.gangway-{stamp}{f'-{n}' if n else ''}.bak")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
            break
        except FileExistsError:
            n += 1
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        target.unlink(missing_ok=True)  # no half backup left behind
        raise
    prune_backups(path, keep=target)
    return target


def prune_backups(path: Path, *, keep: Path | None = None) -> None:
    """Delete backups of `path` beyond BACKUP_KEEP or older than BACKUP_MAX_AGE."""
    found = backups_of(path)
    cutoff = time.time() - BACKUP_MAX_AGE
    for i, old in enumerate(found):
        newest = i == len(found) - 1
        if old == keep or newest:
            continue
        with contextlib.suppress(FileNotFoundError):
            if i < len(found) - BACKUP_KEEP or old.stat().st_mtime < cutoff:
                old.unlink()


def redact_backups(path: Path, secrets: Iterable[str]) -> None:
    """Replace `secrets` in every existing backup of `path` (they now live in the keyring)."""
    values = [s for s in secrets if s]
    for old in backups_of(path):
        raw = old.read_bytes()
        clean = _redacted(raw, values)
        if clean != raw:
            _replace(old, clean, PRIVATE)


def _redacted(raw: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if secret:
            raw = raw.replace(secret.encode("utf-8"), REDACTED.encode("utf-8"))
    return raw


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An advisory lock for writers of `path` (other Gangway processes and threads).

    POSIX: flock on the file's directory, so no lock file is left next to the user's files
    (where the filesystem cannot lock a directory, and on Windows with msvcrt: a
    `.NAME.gangway-lock` file beside it). Not reentrant.
    """
    sidecar = path.with_name(f".{path.name}.gangway-lock")
    if sys.platform == "win32":
        with exclusive(sidecar):
            yield
        return
    import fcntl

    fd = os.open(path.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a filesystem that cannot lock directories: a lock file beside it
            os.close(fd)
            fd = -1
            with exclusive(sidecar):
                yield
            return
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `lock_file` (created 0600) for the block."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, PRIVATE)
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def writable_mode(path: Path, default: int = PRIVATE) -> int:
    """The mode `path` keeps when we replace it; ReadOnlyFileError if it is read-only.

    A new file gets `default`; an existing one keeps its mode unless that is looser than
    0600 (then 0600). A file without the owner's write bit, or one we may not write, is the
    user saying "do not touch", and is refused.
    """
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return default
    if not current & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise ReadOnlyFileError(path)
    return current if not current & ~PRIVATE else PRIVATE


def check_writable(path: Path) -> None:
    """Raise ReadOnlyFileError / UnwritableDirError if `path` could not be replaced now.

    The folder first, as `atomic_write` does: on a read-only file system every file looks
    read-only too, and "chmod u+w" would be the wrong advice."""
    real = path.resolve() if path.is_symlink() else path
    parent = real.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UnwritableDirError(parent)
    writable_mode(real)


def atomic_write(
    path: Path,
    data: bytes | str,
    *,
    mode: int = PRIVATE,
    make_backup: bool = True,
    expect: Snapshot | None = None,
    redact: Iterable[str] = (),
) -> Path | None:
    """Replace `path` with `data` atomically; returns the backup path if one was made.

    With `expect`, refuse (FileChangedError) if the file is no longer what was read; the
    check and the replace happen under `locked(path)`, so of two writers that read the same
    file, the second is refused rather than lost. A read-only file is refused
    (ReadOnlyFileError); the file's own mode is kept unless looser than 0600 (new files get
    `mode`). `redact` lists secrets the backup must not hold. Symlinks are followed so a
    dotfile managed by a dotfiles repo keeps its link.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    real = path.resolve() if path.is_symlink() else path
    real.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not os.access(real.parent, os.W_OK | os.X_OK):  # no temp file or backup possible
        raise UnwritableDirError(real.parent)
    with locked(real):
        if expect is not None and not expect.is_current():
            raise FileChangedError(path)
        keep_mode = writable_mode(real, mode)
        saved = backup(real, redact=redact) if make_backup else None
        _replace(real, raw, keep_mode)
    return saved


def _replace(real: Path, raw: bytes, mode: int) -> None:
    """Write a private temp file beside `real`, then rename it over `real`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class JsonStore:
    """A JSON document with a `schema_version`, written atomically with mode 0600.

    A corrupt file is kept aside (renamed `.corrupt-<time>`) rather than overwritten, so
    nothing the user had is lost, and the store starts empty.
    """

    def __init__(self, path: Path, schema_version: int = 1) -> None:
        self.path = path
        self.schema_version = schema_version

    def load(self) -> dict[str, Any]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise ValueError("top level is not an object")
        except ValueError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            os.replace(self.path, aside)
            log.warning("%s was not valid JSON (%s); kept it as %s", self.path, exc, aside)
            return {}
        doc.pop("schema_version", None)
        return doc

    def save(self, doc: dict[str, Any]) -> None:
        atomic_write(self.path, self._text(doc), make_backup=False)

    def update(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Load, apply `change`, save, all under the file's lock (no lost concurrent edits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with locked(self.path):
            doc = change(self.load())
            _replace(self.path, self._text(doc).encode("utf-8"), PRIVATE)
        return doc

    def _text(self, doc: dict[str, Any]) -> str:
        body = {"schema_version": self.schema_version, **doc}
        return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
