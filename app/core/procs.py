"""Small, safe helpers for running short-lived programs (argv lists, timeouts, no shell)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


def which(name: str, extra_dirs: Iterable[Path] = (), path: str | None = None) -> Path | None:
    """`shutil.which` on PATH, then in `extra_dirs` (standard install locations)."""
    found = shutil.which(name, path=path)
    if found:
        return Path(found)
    for d in extra_dirs:
        for candidate in (d / name, d / f"{name}.exe"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def output_of(
    argv: Sequence[str | Path],
    timeout: float = 10.0,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """stdout+stderr of a quick command, or None if it could not run or timed out."""
    try:
        done = subprocess.run(
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout + done.stderr).strip()


def start_detached(args: str | Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a program that is not ours to stop (a terminal, the RDP client, the window) and
    reap it, whenever it ends, from a daemon thread: dropped unwaited, it would stay a zombie
    until the next Popen and warn "subprocess N is still running" when collected."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(args, **popen_kwargs)
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc
