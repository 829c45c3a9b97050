"""`gangway tunnel up` with no Gangway running starts it in the tray, then down/status and
quitting talk to that app.

The app is the real one (`gangway --minimized`, Qt offscreen), started by the CLI itself; the CLI
and the app meet over the per-user IPC socket. curl reaches a real HTTP server through the
tunnel the app holds. (tests/e2e/test_tunnels_app.py covers a window started by hand.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from tests.conftest import AwsEnv, require_program
from tests.core.tunnel_helpers import plugins_of, wait_until
from tests.sandbox.services import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]


def gangway(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, "tunnel", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def curl(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_program("curl"), "-sS", "--max-time", "20",
                           f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                          timeout=60, check=False)


def apps(home: str) -> list[psutil.Process]:
    """Gangway windows started for this test's GANGWAY_HOME.

    Every child the app forks has its argv and environment until it execs (the start-up
    checks run a dozen programs just as `up` returns), and may be gone a moment later: such
    a fork is not the app, and a process that vanished while we looked is none either.
    """
    found: dict[int, tuple[psutil.Process, int]] = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "--minimized" in (proc.info["cmdline"] or []) and \
                    proc.environ().get("GANGWAY_HOME") == home:
                found[proc.pid] = (proc, proc.ppid())
        except psutil.Error:
            continue
    return [p for p, parent in found.values() if parent not in found]


def running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:  # gone between the two questions
        return False


@pytest.fixture
def app_env(aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    home = os.environ["GANGWAY_HOME"]
    try:
        yield home
    finally:
        for proc in apps(home):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)


def test_up_starts_the_app_minimized_then_down_and_status_talk_to_it(
        app_env: str, http_server: int) -> None:
    port = free_port()
    added = gangway("add", "web", "--profile", "default", "--target", "web-1.prod",
                    "--remote-port", str(http_server), "--local-port", str(port))
    assert added.returncode == 0, added.stderr
    assert apps(app_env) == []
    up = gangway("up", "web")
    assert up.returncode == 0, up.stderr
    assert "web:" in up.stdout
    [app] = apps(app_env)
    got = curl(port)
    assert got.returncode == 0, got.stderr
    assert got.stdout == f"hello from {http_server} path=/\n"
    status = gangway("status", "--json")
    assert status.returncode == 0, status.stderr
    [row] = json.loads(status.stdout)
    assert (row["name"], row["state"], row["local_port"]) == ("web", "listening", port)
    # The tunnel's plugin, not the start-up checks' `--version` runs (nor their shells,
    # which come and go while we look).
    [plugin] = plugins_of(app.pid)
    down = gangway("down", "web")
    assert down.returncode == 0, down.stderr
    assert "web is off." in down.stdout
    assert curl(port).returncode != 0
    wait_until(lambda: not running(plugin), timeout=20)
    # On again, now that the app runs: it answers at once, and quitting it (SIGTERM, as a
    # logout would) switches the tunnel off and leaves no plugin behind.
    again = gangway("up", "web")
    assert again.returncode == 0, again.stderr
    assert curl(port).returncode == 0
    [plugin] = plugins_of(app.pid)
    app.send_signal(signal.SIGTERM)
    app.wait(30)
    assert not running(plugin)
    assert curl(port).returncode != 0
    [row] = json.loads(gangway("status", "--json").stdout)  # not running: saved, all off
    assert (row["name"], row["state"]) == ("web", "off")
