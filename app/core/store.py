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
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import ConfigFileError, FileChangedError

log = logging.getLogger(__name__)

PRIVATE = 0o600


@dataclass(frozen=True)
class Snapshot:
    """What a file looked like when we read it; `None` digest means it did not exist."""

    path: Path
    digest: str | None
    text: str

    @classmethod
    def read(cls, path: Path, encoding: str = "utf-8") -> Snapshot:
        try:
            raw = path.read_bytes()
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


def backup(path: Path) -> Path | None:
    """Copy `path` to `path.gangway-YYYYmmdd-HHMMSS[-n].bak` (0600); None if it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.gangway-{stamp}.bak")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.gangway-{stamp}-{n}.bak")
        n += 1
    atomic_write(target, raw, make_backup=False)
    return target


def atomic_write(
    path: Path,
    data: bytes | str,
    *,
    mode: int = PRIVATE,
    make_backup: bool = True,
    expect: Snapshot | None = None,
) -> Path | None:
    """Replace `path` with `data` atomically; returns the backup path if one was made.

    With `expect`, refuse (FileChangedError) if the file is no longer what was read. Symlinks
    are followed so a dotfile managed by a dotfiles repo keeps its link.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    real = path.resolve() if path.is_symlink() else path
    if expect is not None and not expect.is_current():
        raise FileChangedError(path)
    real.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    saved = backup(real) if make_backup else None
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
    return saved


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
        body = {"schema_version": self.schema_version, **doc}
        text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        atomic_write(self.path, text, make_backup=False)
