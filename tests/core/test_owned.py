"""Owned children die with Gangway however it ends: `kill -9` on Linux (PR_SET_PDEATHSIG) and
macOS (the kqueue watchdog), TerminateProcess on Windows (the kill-on-close Job Object).
Runs on all three CI systems; the macOS and Windows mechanisms are exercised there only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]

_PARENT = textwrap.dedent("""
    import subprocess, sys, threading, time
    from app.core import owned
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    out = []
    def start():
        out.append(owned.spawn(lambda **kw: subprocess.Popen(sleeper, **kw), new_group=True))
    if sys.argv[1] == "thread":  # from a worker thread that then ends, as QThreadPool does
        t = threading.Thread(target=start)
        t.start()
        t.join()
        time.sleep(0.5)
    else:
        start()
    print(out[0].pid, flush=True)
    time.sleep(120)
""")

_WATCHED = textwrap.dedent("""
    import subprocess, sys, time
    from app.core import owned
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                             start_new_session=True)
    owned.start_watchdog(child.pid, group=sys.argv[1] == "group")
    print(child.pid, flush=True)
    time.sleep(120)
""")


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def _kill_parent_and_check_child(script: str, *args: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert psutil.pid_exists(child)
        time.sleep(0.5)
        assert psutil.pid_exists(child), "the child died while its parent lived"
        parent.kill()  # SIGKILL / TerminateProcess: no handler, no cleanup runs
        parent.wait(timeout=10)
        assert _gone(child), "the child outlived its killed parent"
    finally:
        parent.kill()
        parent.communicate(timeout=10)  # reaps, and closes its stdout pipe
        if not _gone(child, 0):
            psutil.Process(child).kill()


@pytest.mark.parametrize("where", ["main", "thread"])
def test_a_child_dies_with_its_parent_killed_hard(where: str) -> None:
    _kill_parent_and_check_child(_PARENT, where)


@pytest.mark.skipif(sys.platform == "win32", reason="the watchdog is the POSIX fallback")
@pytest.mark.parametrize("how", ["group", "pid"])
def test_the_watchdog_stops_the_child_when_the_parent_dies(how: str) -> None:
    _kill_parent_and_check_child(_WATCHED, how)


@pytest.mark.skipif(sys.platform == "win32", reason="the watchdog is the POSIX fallback")
def test_the_watchdog_leaves_when_the_child_ends_first() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    dog = subprocess.Popen([sys.executable, "-m", "app.core.watchdog", str(psutil.Process().pid),
                            str(child.pid), "pid"], cwd=ROOT)
    child.wait(timeout=10)
    assert dog.wait(timeout=15) == 0


_PDEATHSIG = textwrap.dedent("""
    import ctypes, sys
    from app.core import owned
    owned._pdeathsig(int(sys.argv[1]))()  # what runs between fork and exec, run here
    sig = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    print(sig.value)
""")


@pytest.mark.linux_only
def test_the_parent_death_signal_is_set_and_a_dead_parent_is_noticed() -> None:
    ours = subprocess.run([sys.executable, "-c", _PDEATHSIG, str(psutil.Process().pid)],
                          cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert (ours.returncode, ours.stdout) == (0, "15\n")  # SIGTERM when we die
    # The parent died between fork and prctl (the pid it was given is no longer its parent):
    # the child leaves at once rather than run unowned.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = subprocess.run([sys.executable, "-c", _PDEATHSIG, str(dead.pid)], cwd=ROOT,
                            capture_output=True, text=True, timeout=30, check=False)
    assert (orphan.returncode, orphan.stdout) == (1, "")


@pytest.mark.linux_only
def test_a_spawned_child_carries_the_parent_death_signal() -> None:
    from app.core import owned

    probe = [sys.executable, "-c", "import ctypes; s = ctypes.c_int(); "
             "ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0); print(s.value)"]
    proc = owned.spawn(lambda **kw: subprocess.Popen(probe, stdout=subprocess.PIPE, **kw),
                       new_group=False)
    out, _ = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (0, b"15\n")



@pytest.mark.skipif(sys.platform == "win32", reason="the watchdog is the POSIX fallback")
def test_start_watchdog_runs_the_watchdog_module_for_our_pid_and_the_child() -> None:
    from app.core import owned

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    owned.start_watchdog(child.pid, group=False)
    me = psutil.Process()
    dogs = [p for p in me.children()  # (on macOS, spawn starts watchdogs of its own too)
            if "app.core.watchdog" in p.cmdline() and str(child.pid) in p.cmdline()]
    assert [d.cmdline()[-4:] for d in dogs] == [
        ["app.core.watchdog", str(me.pid), str(child.pid), "pid"]]
    assert child.stdin is not None
    child.stdin.close()  # the child ends first: the watchdog has nothing to do, and leaves
    child.wait(timeout=10)
    assert dogs[0].wait(timeout=15) == 0
