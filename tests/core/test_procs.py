"""Programs Gangway starts and does not stop (terminals, the RDP client, the window) are
reaped when they end: no zombie, and no Popen collected while it "is still running"."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from app.core.procs import start_detached
from tests.core.tunnel_helpers import wait_until


def test_a_detached_program_is_reaped_when_it_ends_without_anyone_waiting() -> None:
    read, write = os.pipe()
    with os.fdopen(write, "wb") as w:
        proc = start_detached([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=read, stdout=subprocess.DEVNULL)
        os.close(read)
        child = psutil.Process(proc.pid)
        assert child.status() != psutil.STATUS_ZOMBIE and proc.returncode is None
        w.write(b"done")  # the program ends once we close its stdin
    # Nobody here calls wait() or poll(): the reaper does, so no zombie is left behind.
    wait_until(lambda: proc.returncode == 0, timeout=30)


def test_a_program_that_cannot_start_raises_where_it_is_started() -> None:
    with pytest.raises(FileNotFoundError) as raised:
        start_detached(["/nonexistent/gangway-no-such-program"])
    assert raised.value.filename == "/nonexistent/gangway-no-such-program"
