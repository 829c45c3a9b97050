"""Plugins written down while they run, so the next start reaps what a crash left behind.

The parent-death signal (Linux) already ends a plugin whose Gangway was killed with -9; this
record covers the rest (macOS, Windows, a plugin that ignored it). A record names its owner
(pid and start time), so a second Gangway (the window and a `tunnel run`) never reaps the
other's live plugins. Only processes whose start time matches the record are touched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.store import atomic_write, exclusive

log = logging.getLogger(__name__)


def _create_time(pid: int) -> float | None:
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:
        return None


class Reaper:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file_lock = path.with_name(f".{path.name}.lock")  # the window and `tunnel run`
        self._me = os.getpid()
        self._my_start = _create_time(self._me) or 0.0

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with exclusive(self._file_lock):
            yield

    def _load(self) -> list[dict[str, Any]]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        rows = doc.get("children", []) if isinstance(doc, dict) else []
        return [r for r in rows if isinstance(r, dict)]

    def _save(self, rows: list[dict[str, Any]]) -> None:
        body = json.dumps({"schema_version": 1, "children": rows}, indent=1) + "\n"
        atomic_write(self.path, body, make_backup=False)

    def add(self, pid: int, tunnel: str, session_id: str) -> None:
        with self._lock, self._locked():
            rows = self._load()
            rows.append({"pid": pid, "started": _create_time(pid), "tunnel": tunnel,
                         "session_id": session_id, "owner": self._me,
                         "owner_started": self._my_start})
            self._save(rows)

    def remove(self, pid: int) -> None:
        with self._lock, self._locked():
            rows = [r for r in self._load() if not (r.get("pid") == pid
                                                     and r.get("owner") == self._me)]
            self._save(rows)

    def reap(self) -> list[int]:
        """Kill recorded plugins whose owner is gone; returns their pids."""
        reaped: list[int] = []
        with self._lock, self._locked():
            keep = []
            for row in self._load():
                owner, pid = row.get("owner"), row.get("pid")
                if not isinstance(pid, int) or not isinstance(owner, int):
                    continue
                owner_alive = (owner != self._me and _create_time(owner) is not None
                               and abs((_create_time(owner) or 0) - float(
                                   row.get("owner_started") or 0)) < 1.0)
                if owner_alive:
                    keep.append(row)
                    continue
                started = _create_time(pid)
                if started is None or abs(started - float(row.get("started") or 0)) > 1.0:
                    continue  # gone already, or the pid was reused by another program
                if not _is_plugin(pid):
                    continue
                _kill_group(pid)
                reaped.append(pid)
                log.warning("reaped plugin %d left by a previous Gangway (tunnel %s)",
                            pid, row.get("tunnel"))
            if reaped or keep != self._load():
                self._save(keep)
        return reaped


def _is_plugin(pid: int) -> bool:
    """A plugin, or the ssh of an ssh -L tunnel (its fixed options, see ssh.argv)."""
    try:
        import psutil

        argv = psutil.Process(pid).cmdline()
    except Exception:
        return False
    ours_ssh = "-N" in argv and "ExitOnForwardFailure=yes" in argv and "-L" in argv
    return ours_ssh or any("session-manager-plugin" in part for part in argv)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGKILL)
