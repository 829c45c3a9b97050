"""One plugin process for a tunnel: started in its own process group, read without polling.

(Interim: the seams' `sessions.plugin.PluginProcess` takes this over.)

The plugin is started on the caller's thread (the supervisor's), with PR_SET_PDEATHSIG on
Linux so it dies with that thread's process. A reader thread blocks on its stdout and hands
each chunk and the exit code to callbacks; the Port line has no newline, so chunks, not lines.
`stop()`: SIGINT (the plugin handles it, not SIGTERM), wait, then kill the whole group
(CTRL_BREAK_EVENT on Windows).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence

_PR_SET_PDEATHSIG = 1


def _pdeathsig() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork
    except (OSError, AttributeError):
        return None

    def set_it() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return set_it


_PREEXEC = _pdeathsig()


class PluginChild:
    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *,
                 on_output: Callable[[bytes], object], on_exit: Callable[[int], object]) -> None:
        kwargs: dict[str, object] = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
            if _PREEXEC is not None:
                kwargs["preexec_fn"] = _PREEXEC
        self.proc = subprocess.Popen(
            list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
        self.pid: int = self.proc.pid
        self._on_output = on_output
        self._on_exit = on_exit
        self._reader = threading.Thread(target=self._read, name=f"plugin-{self.pid}",
                                        daemon=True)
        self._reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        fd = out.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self._on_output(chunk)
        code = self.proc.wait()
        out.close()
        self._on_exit(code)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            if sys.platform == "win32":
                self.proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            else:
                self.proc.send_signal(signal.SIGINT)

    def kill_group(self) -> None:
        with contextlib.suppress(OSError):
            if sys.platform == "win32":
                self.proc.kill()
            else:
                os.killpg(self.pid, signal.SIGKILL)

    def stop(self, grace: float = 3.0) -> int:
        """SIGINT, wait up to `grace`, then kill the group. Blocking: call off the loop."""
        if self.running:
            self.interrupt()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(grace)
        self.kill_group()  # whatever it left in its group goes too
        return int(self.proc.wait())
