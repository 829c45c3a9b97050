"""The window paints first and listens last: the IPC server answers only once everything is
built and wired (`started`), a second launch raises the running window and exits, and of two
launched at once exactly one stays (the other hands over to it and quits)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import ipc
from app.core.paths import Paths
from tests.conftest import AwsEnv

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
ROOT = Path(__file__).resolve().parents[2]


def launch(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(GANGWAY, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def first_answer(paths: Paths, *procs: subprocess.Popen[str]) -> dict[str, object]:
    """The first reply to a ping, polled as fast as a client would."""
    deadline = time.monotonic() + 60
    while True:
        reply = ipc.send(paths, {"cmd": "ping"}, timeout=2.0)
        if reply is not None:
            return reply
        if all(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            raise AssertionError("no window answered: "
                                 + " | ".join((p.communicate()[1] or "")[-1500:] for p in procs))
        time.sleep(0.01)


@pytest.fixture
def env(aws_env: AwsEnv) -> Iterator[dict[str, str]]:
    yield {**aws_env.subprocess_env(), "QT_QPA_PLATFORM": "offscreen"}


def stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()  # SIGTERM: quit_now, the same path as Quit
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
        if p.stderr is not None:
            p.stderr.close()


def test_the_ipc_server_answers_only_once_started_and_a_second_launch_raises_it(
        env: dict[str, str]) -> None:
    paths = Paths.default()
    first = launch(env)
    try:
        reply = first_answer(paths, first)
        # Its very first answer already comes from a whole app: the server listens last.
        assert reply["ok"] is True and reply["started"] is True, reply
        with launch(env) as second:  # its stderr pipe closed when it is done
            assert second.wait(60) == 0, second.communicate()[1]
        assert first.poll() is None  # raised, still running
        log = paths.log_file.read_text(encoding="utf-8")
        assert "another Gangway is running; asked it to show its window" in log
        assert len(re.findall(r"Gangway \S+ ready$", log, re.MULTILINE)) == 1  # one window
    finally:
        stop(first)


def test_two_launched_at_once_leave_one_window(env: dict[str, str]) -> None:
    paths = Paths.default()
    a, b = launch(env), launch(env)
    try:
        first_answer(paths, a, b)
        # One leaves: at its probe if the other already listened, else right after its first
        # paint, when it loses the race to listen and hands over to the winner.
        deadline = time.monotonic() + 60
        while a.poll() is None and b.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [p for p in (a, b) if p.poll() is None]
        assert len(alive) == 1, [p.returncode for p in (a, b)]
        gone = b if alive[0] is a else a
        assert gone.returncode == 0, gone.communicate()[1]
        reply = ipc.send(paths, {"cmd": "ping"}, timeout=2.0)
        assert reply is not None and reply["started"] is True
    finally:
        stop(a, b)


# Run by `python -c` as `gangway` runs: at the window's first paint, what has loaded.
AT_FIRST_PAINT = """
import json, os, sys
from app import cli
from app.__main__ import open_gui
app = open_gui(cli.parse([]))
from PySide6 import QtCore
def painted():
    print(json.dumps({"modules": sorted(sys.modules), "qt_namespace": "Qt" in vars(QtCore),
                      "page": type(app.window.stack.currentWidget()).__name__,
                      "started": app.started, "services": "services" in vars(app),
                      "nav": [app.window.nav.item(i).text() for i in range(app.window.nav.count())],
                      "menus": [a.text() for a in app.window.menuBar().actions()]}), flush=True)
    os._exit(0)
app.first_painted.connect(painted)
app.exec()
"""


# Each page the window can reopen on, and the frame it paints first (None: a fresh home; a
# page an older Gangway had, or a hand-edited file, opens on the first page).
OPENING = {None: "ProfilesFrame", "Profiles": "ProfilesFrame", "Instances": "InstancesFrame",
           "Tunnels": "TunnelsFrame", "Sessions": "SessionsFrame", "Gone": "ProfilesFrame"}


@pytest.mark.parametrize("page", list(OPENING))
def test_the_first_paint_waits_for_nothing_but_the_window(env: dict[str, str],
                                                          page: str | None) -> None:
    """Paint first, on whichever page the window reopens: the real window (sidebar, menus,
    that page's frame) paints before the services, the tray, the IPC server, any pane's
    module or any empty state load, and before PySide6 builds the Qt namespace's enums."""
    if page is not None:  # remembered as the window saves it on quit
        from app.ui.window_state import WindowState

        state = WindowState(Paths.default().ensure().data_dir)
        state.qs.setValue("window/page", page)
        state.qs.sync()
    done = subprocess.run([sys.executable, "-c", AT_FIRST_PAINT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert seen["page"] == OPENING[page]
    assert seen["nav"] == ["Profiles", "Instances", "Tunnels", "Sessions"]
    assert seen["menus"] == ["&File", "&View", "&Settings", "&Help"]
    assert seen["started"] is False and seen["services"] is False
    assert seen["qt_namespace"] is False
    loaded = set(seen["modules"])
    for later in ("app.ui.services", "app.ui.tray", "app.ui.ipc", "PySide6.QtNetwork",
                  "app.ui.panes.profiles_pane", "app.ui.panes.instances_pane",
                  "app.ui.panes.tunnels_pane", "app.ui.panes.sessions_pane",
                  "app.ui.widgets.empty_state", "app.ui.bridges.tunnels",
                  "app.core.aws.credentials.service", "app.core.aws.discovery.permissions",
                  "app.core.tunnels.book", "app.ui.crash", "boto3", "botocore", "keyring"):
        assert later not in loaded, later
