"""`gangway tunnel up/down/status` against the running window (offscreen), and what the
window leaves behind when it quits or is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import AwsEnv
from tests.core.tunnel_helpers import http_get, wait_until
from tests.sandbox.services import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]


def tunnel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, "tunnel", *args], capture_output=True, text=True,
                          timeout=90, stdin=subprocess.DEVNULL, check=False)


def plugins(pid: int) -> list[int]:
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for k in kids:
        try:
            argv = k.cmdline()
            if (k.status() != psutil.STATUS_ZOMBIE and "--version" not in argv
                    and "session-manager-plugin" in " ".join(argv)):
                out.append(k.pid)
        except psutil.Error:
            continue
    return out


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture
def app(aws_env: AwsEnv) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(GANGWAY, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    from app.core.ipc import send
    from app.core.paths import Paths

    deadline = time.monotonic() + 60
    while send(Paths.default(), {"cmd": "ping"}, timeout=1.0) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the window did not start: {proc.communicate()[1][-2000:]}")
        time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        if proc.stderr is not None:
            proc.stderr.close()


def listening(name: str) -> bool:
    rows = json.loads(tunnel("status", "--json").stdout)
    return any(r["name"] == name and r["state"] == "listening" for r in rows)


def add(name: str, port: int, remote_port: int, *extra: str) -> None:
    done = tunnel("add", name, "--profile", "default", "--target", "web-1.prod",
                  "--remote-port", str(remote_port), "--local-port", str(port), *extra)
    assert done.returncode == 0, done.stderr


def test_up_status_down_in_the_window_and_quit_stops_everything(
        aws_env: AwsEnv, app: subprocess.Popen[str], http_server: int) -> None:
    port = free_port()
    add("web", port, http_server, "--group", "dev")
    up = tunnel("up", "--group", "dev")
    assert up.returncode == 0, up.stderr
    assert "web: " in up.stdout
    assert http_get(port) == f"hello from {http_server} path=/\n".encode()
    add("spare", free_port(), http_server)
    status = {r["name"]: r for r in json.loads(tunnel("status", "--json").stdout)}
    assert status["spare"]["state"] == "off"  # saved, never switched on
    row = status["web"]
    assert row["name"] == "web" and row["state"] == "listening"
    assert row["local_address"] == f"127.0.0.1:{port}"
    assert row["instance_id"] == aws_env.sandbox.fleet.by_name("web-1.prod").instance_id
    assert tunnel("down", "web").returncode == 0
    assert {r["state"] for r in json.loads(tunnel("status", "--json").stdout)} == {"off"}
    assert plugins(app.pid) == []
    # On again, then quit: the plugin is stopped and the session terminated.
    assert tunnel("up", "web").returncode == 0
    wait_until(lambda: listening("web"))
    wait_until(lambda: len(plugins(app.pid)) == 1)
    [plugin] = plugins(app.pid)
    app.send_signal(signal.SIGTERM)
    assert app.wait(30) == 0
    assert not alive(plugin)
    sessions = [s for s in aws_env.sandbox.control.sessions()
                if s["DocumentName"] == "AWS-StartPortForwardingSession"]
    assert len(sessions) == 2 and {s["Status"] for s in sessions} == {"Terminated"}


def test_a_busy_port_is_reported_by_up(
        aws_env: AwsEnv, app: subprocess.Popen[str], http_server: int) -> None:
    import socket

    holder = socket.create_server(("127.0.0.1", 0))
    busy = holder.getsockname()[1]
    try:
        add("taken", busy, http_server)
        done = tunnel("up", "taken")
    finally:
        holder.close()
    assert done.returncode == 1
    assert f"Port {busy} on 127.0.0.1 is already in use" in done.stdout
    again = tunnel("up", "taken")  # the port is free now: a failed tunnel binds afresh
    assert again.returncode == 0, again.stdout + again.stderr
    assert http_get(busy) == f"hello from {http_server} path=/\n".encode()


def test_kill_9_of_the_window_leaves_no_plugin(
        aws_env: AwsEnv, app: subprocess.Popen[str], http_server: int) -> None:
    add("web", free_port(), http_server)
    assert tunnel("up", "web").returncode == 0
    wait_until(lambda: listening("web"))
    wait_until(lambda: len(plugins(app.pid)) == 1)
    [plugin] = plugins(app.pid)
    records = Path(aws_env.env["GANGWAY_HOME"]) / "run" / "tunnel-children.json"
    wait_until(lambda: records.exists() and plugin in {
        r["pid"] for r in json.loads(records.read_text())["children"]})
    app.send_signal(signal.SIGKILL)
    app.wait(30)
    wait_until(lambda: not alive(plugin))
