"""The watchdog `owned.spawn` starts on macOS: stop a child when Gangway dies first.

    python -m app.core.watchdog PARENT_PID CHILD_PID group|pid

Waits (kqueue NOTE_EXIT on macOS, else polling twice a second) for either
process to end. The child first: nothing to do. The parent first (`kill -9`, a crash): SIGTERM
to the child's process group (or the child), SIGKILL after 3 s. Imports only the standard
library, so it starts fast and costs little while it waits.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Sequence

GRACE = 3.0


def main(argv: Sequence[str]) -> int:
    parent, child, how = int(argv[0]), int(argv[1]), argv[2]
    if _parent_went_first(parent, child):
        _stop(child, group=how == "group")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parent_went_first(parent: int, child: int) -> bool:
    if sys.platform == "darwin":
        kq = select.kqueue()
        watched = 0
        for pid in (parent, child):
            event = select.kevent(pid, filter=select.KQ_FILTER_PROC,
                                  flags=select.KQ_EV_ADD | select.KQ_EV_ONESHOT,
                                  fflags=select.KQ_NOTE_EXIT)
            try:
                kq.control([event], 0)
                watched += 1
            except ProcessLookupError:  # already gone
                return pid == parent and _alive(child)
        if watched == 2:
            (first,) = kq.control(None, 1)
            return bool(first.ident == parent)
    while True:  # no kqueue: our parent changes when Gangway dies (we are re-parented)
        if os.getppid() != parent:
            return _alive(child)
        if not _alive(child):
            return False
        time.sleep(0.5)


def _stop(child: int, *, group: bool) -> None:
    def send(sig: int) -> None:
        with contextlib.suppress(OSError):
            if group:
                os.killpg(child, sig)
            else:
                os.kill(child, sig)

    send(signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    send(signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
