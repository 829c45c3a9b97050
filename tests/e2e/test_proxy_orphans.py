"""`kill -9` of `gangway proxy`: the plugin dies with it, and the session it left open at AWS
is terminated at the next start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


def _reap(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Wait for it and close our ends of its pipes (a frozen plugin may still hold theirs,
    so not communicate(), which would wait for their EOF)."""
    proc.wait(timeout=timeout)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _start_proxy(node_id: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*GANGWAY, "proxy", "--profile", "default", "--region", REGION,
                             node_id, "22"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = b""
    for _ in range(5):
        line = proc.stdout.readline()
        if line.startswith(b"SSH-2.0-") or not line:
            break
    if not line.startswith(b"SSH-2.0-"):
        proc.kill()
        raise AssertionError(proc.communicate(timeout=10)[1].decode())
    return proc


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat") as fh:  # a zombie waiting for init counts as gone
            if fh.read().split(") ")[-1].startswith("Z"):
                return True
        time.sleep(0.1)
    return False


def _status(aws_env, session_id: str) -> str:  # type: ignore[no-untyped-def]
    return next(s["Status"] for s in aws_env.sandbox.control.sessions()
                if s["SessionId"] == session_id)


def _history(aws_env) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    path = Path(aws_env.env["GANGWAY_HOME"], "data", "sessions.json")
    return json.loads(path.read_text())["sessions"]  # type: ignore[no-any-return]


def test_kill_9_of_the_proxy_takes_the_plugin_with_it(aws_env, sshd) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    proc = _start_proxy(node.instance_id)
    plugin_pid = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]["pid"]
    session_id = _history(aws_env)[-1]["session_id"]
    proc.send_signal(signal.SIGKILL)
    _reap(proc)
    try:
        assert _gone(plugin_pid), "the plugin outlived gangway proxy"
    finally:
        if not _gone(plugin_pid, 0):
            os.kill(plugin_pid, signal.SIGKILL)
    # The plugin closed its data channel on the way out, as the real one does.
    assert _status(aws_env, session_id) == "Terminated"


def test_a_session_left_open_by_a_crash_is_ended_at_the_next_start(aws_env, sshd) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    proc = _start_proxy(node.instance_id)
    plugin_pid = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]["pid"]
    session_id = _history(aws_env)[-1]["session_id"]
    # Both die without a word (power loss, the OOM killer): the plugin is frozen first so
    # it cannot act on its parent's death either.
    os.kill(plugin_pid, signal.SIGSTOP)
    proc.send_signal(signal.SIGKILL)
    _reap(proc)
    os.kill(plugin_pid, signal.SIGKILL)
    assert _gone(plugin_pid)
    assert _status(aws_env, session_id) == "Connected"  # nobody told AWS
    # Another session for the same profile, as ssh would start one: it ends the orphan.
    again = _start_proxy(node.instance_id)
    try:
        deadline = time.monotonic() + 30
        while _status(aws_env, session_id) != "Terminated" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _status(aws_env, session_id) == "Terminated"
        live = _history(aws_env)[-1]["session_id"]
        assert live != session_id and _status(aws_env, live) == "Connected"
    finally:
        again.send_signal(signal.SIGTERM)
        _reap(again, timeout=30)
    ended = next(r for r in _history(aws_env) if r["session_id"] == session_id)["ended"]
    assert "next start" in ended
