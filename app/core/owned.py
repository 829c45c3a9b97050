"""Long-lived child processes that die with Gangway, however Gangway ends (even `kill -9`).

    proc = owned.spawn(lambda **kw: subprocess.Popen(argv, **kw), new_group=True)

- Linux: PR_SET_PDEATHSIG makes the kernel send SIGTERM to the child when its parent dies.
  The signal follows the *thread* that forked, so every fork happens on one thread that
  lives as long as the process (worker threads come and go: QThreadPool retires idle ones).
- Windows: each child joins one Job Object created with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  its only handle is ours, so when our process ends the system closes it and kills the job.
- macOS (and other POSIX systems): a small watchdog process (`app.core.watchdog`) waits on
  kqueue NOTE_EXIT for Gangway and for the child; if Gangway goes first, it stops the
  child's process group (SIGTERM, then SIGKILL).

Terminal windows are not spawned here: they are meant to outlive Gangway.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

Make = Callable[..., "subprocess.Popen[bytes]"]
WATCHDOG_MODULE = "app.core.watchdog"
WATCHDOG_VERB = "--owned-child-watchdog"  # how a frozen build is asked to be the watchdog

_PR_SET_PDEATHSIG = 1


def spawn(make: Make, *, new_group: bool) -> subprocess.Popen[bytes]:
    """Start a child with `make(**popen_kwargs)` so that it dies with this process.

    `make` receives the keyword arguments that set up the group and the parent-death link
    (`start_new_session`/`creationflags`, `preexec_fn`) and must pass them to Popen."""
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":
        if new_group:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = new_group
        kwargs["preexec_fn"] = _pdeathsig(os.getpid())
    proc = _SPAWNER.run(lambda: make(**kwargs))
    if sys.platform == "win32":
        _join_job(proc)
    elif not sys.platform.startswith("linux"):
        start_watchdog(proc.pid, group=new_group)
    return proc


# --- Linux ---------------------------------------------------------------------------------

def _pdeathsig(parent: int) -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGTERM when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the child
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class _Spawner:
    """Starts children from one thread that lives as long as the process (see above)."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], subprocess.Popen[bytes]],
                                      queue.Queue[object]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, make: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        if threading.current_thread() is threading.main_thread():
            return make()  # the main thread outlives every child already
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="gangway-spawner",
                                                daemon=True)
                self._thread.start()
        answer: queue.Queue[object] = queue.Queue(maxsize=1)
        self._jobs.put((make, answer))
        result = answer.get()
        if isinstance(result, BaseException):
            raise result
        assert isinstance(result, subprocess.Popen)
        return result

    def _loop(self) -> None:
        while True:
            make, answer = self._jobs.get()
            try:
                answer.put(make())
            except BaseException as exc:  # handed to the caller, raised there
                answer.put(exc)


_SPAWNER = _Spawner()


# --- macOS and other POSIX -----------------------------------------------------------------

_WATCHDOGS: list[subprocess.Popen[bytes]] = []


def start_watchdog(child: int, *, group: bool) -> None:
    """Start the watchdog that stops `child` (its group, with `group`) if we die first."""
    from app.core import selfcmd

    _WATCHDOGS[:] = [w for w in _WATCHDOGS if w.poll() is None]  # reap finished ones
    argv = [*selfcmd.module_command(WATCHDOG_MODULE, WATCHDOG_VERB), str(os.getpid()),
            str(child), "group" if group else "pid"]
    with contextlib.suppress(OSError):  # best effort: the child runs either way
        _WATCHDOGS.append(subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True))


# --- Windows --------------------------------------------------------------------------------

_JOB: list[int] = []  # the one job handle, kept open for the life of the process


def _join_job(proc: subprocess.Popen[bytes]) -> None:
    """Put `proc` in our kill-on-close Job Object (created on first use)."""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int,
                                                     ctypes.c_void_p, wintypes.DWORD]
        kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        if not _JOB:
            job = kernel32.CreateJobObjectW(None, None)
            if not job:
                return
            info = _ExtendedLimits()
            info.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
            if not kernel32.SetInformationJobObject(job, _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                                    ctypes.byref(info), ctypes.sizeof(info)):
                return
            _JOB.append(job)
        kernel32.AssignProcessToJobObject(_JOB[0], int(proc._handle))  # type: ignore[attr-defined]


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
    _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9

    class _IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_ulonglong) for name in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    class _BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                    ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD),
                    ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t),
                    ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t),
                    ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class _ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", _BasicLimits),
                    ("IoInfo", _IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t),
                    ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t),
                    ("PeakJobMemoryUsed", ctypes.c_size_t)]


# --- the output of an owned child ---------------------------------------------------------

def exit_code(returncode: int) -> int:
    """A shell's view of a child's end: 128+N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


def read_lines(stream: IO[bytes], on_line: Callable[[str], None],
                proc: subprocess.Popen[bytes] | None = None,
                on_exit: Callable[[int], None] | None = None) -> None:
    """Deliver each line of `stream`; a partial line is delivered when the plugin pauses.
    At the end, `on_exit` gets `proc`'s exit code."""
    deliver_lines(stream, on_line)
    if proc is not None and on_exit is not None:
        on_exit(exit_code(proc.wait()))


def deliver_lines(stream: IO[bytes], on_line: Callable[[str], None]) -> None:
    with stream:
        buf = b""
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", "replace").rstrip("\r"))
            if buf:  # "Port N opened for sessionId ID." has no newline: hand it over now
                on_line(buf.decode("utf-8", "replace"))
                buf = b""
