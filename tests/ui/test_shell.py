"""The window, its panes and menus, the task runner, and single-instance IPC."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core import ipc
from app.core.errors import GangwayError
from app.core.paths import Paths
from app.ui.errors import error_text
from app.ui.ipc import IpcServer
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner
from app.ui.widgets.empty_state import EmptyState

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.for_root(tmp_path / "gw").ensure()


def make_window(qtbot: QtBot, paths: Paths, hide_on_close: bool = False) -> MainWindow:
    panes = [(t, EmptyState(f"No {t.lower()} yet", f"{t} will appear here."))
             for t in ("Profiles", "Instances", "Tunnels", "Sessions")]
    window = MainWindow(paths, panes, hide_on_close=hide_on_close)
    qtbot.addWidget(window)
    return window


def test_window_has_title_panes_and_honest_empty_states(qtbot: QtBot, paths: Paths) -> None:
    window = make_window(qtbot, paths)
    window.show()
    assert window.windowTitle() == "Gangway"
    assert window.width() >= 900 and window.height() >= 600
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["Profiles", "Instances", "Tunnels", "Sessions"]
    window.show_pane("Sessions")
    assert window.stack.currentWidget() is window.panes["Sessions"]
    labels = window.panes["Sessions"].findChildren(QLabel)
    assert any("will appear here" in label.text() for label in labels)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_close_hides_to_tray_or_asks_to_quit(qtbot: QtBot, paths: Paths) -> None:
    with_tray = make_window(qtbot, paths, hide_on_close=True)
    with_tray.show()
    with_tray.close()
    assert not with_tray.isVisible()

    without_tray = make_window(qtbot, paths, hide_on_close=False)
    without_tray.show()
    with qtbot.waitSignal(without_tray.quit_requested, timeout=1000):
        without_tray.close()


def test_task_runner_returns_results_progress_and_errors(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[object] = []

    def work(n: int, progress: object, cancel: threading.Event) -> int:
        assert callable(progress)
        for i in range(n):
            progress(i)
        return n * 2

    task = runner.submit(work, 3)
    task.progress.connect(seen.append)
    with qtbot.waitSignal(task.result, timeout=5000) as blocker:
        pass
    assert blocker.args == [6]
    # Queued from the worker in order, and delivered before the result.
    assert seen == [0, 1, 2]

    def fail() -> None:
        raise GangwayError("It broke.", "Do this.")

    failing = runner.submit(fail)
    with qtbot.waitSignal(failing.error, timeout=5000) as blocker:
        pass
    assert error_text(blocker.args[0]) == ("It broke.", "Do this.")
    runner.shutdown()


def test_task_cancel_reaches_the_worker(qtbot: QtBot) -> None:
    runner = TaskRunner()
    started = threading.Event()

    def wait_for_cancel(cancel: threading.Event) -> str:
        started.set()
        return "cancelled" if cancel.wait(10) else "timed out"

    task = runner.submit(wait_for_cancel)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(task.result, timeout=5000) as blocker:
        task.cancel()
    assert blocker.args == ["cancelled"]
    runner.shutdown()


def _raw_request(name: str, payload: bytes) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(name)
        sock.sendall(payload)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    reply = json.loads(data)
    assert isinstance(reply, dict)
    return reply


@pytest.mark.skipif(sys.platform == "win32", reason="raw AF_UNIX client")
def test_ipc_server_answers_and_rejects_bad_messages(qtbot: QtBot, paths: Paths) -> None:
    server = IpcServer(paths)
    assert server.listen()
    server.register("ping", lambda msg, reply: reply({"ok": True, "echo": msg.get("x")}))
    results: dict[str, dict[str, object]] = {}

    def client() -> None:
        results["ok"] = _raw_request(server.name, b'{"v": 1, "cmd": "ping", "x": 7}\n')
        results["bad"] = _raw_request(server.name, b"this is not json\n")
        results["unknown"] = _raw_request(server.name, b'{"v": 1, "cmd": "rm -rf"}\n')
        results["version"] = _raw_request(server.name, b'{"v": 99, "cmd": "ping"}\n')

    thread = threading.Thread(target=client)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10000)
    assert results["ok"] == {"v": 1, "ok": True, "echo": 7}
    assert results["bad"]["ok"] is False and "malformed" in str(results["bad"]["error"])
    assert results["unknown"]["ok"] is False
    assert "unsupported protocol" in str(results["version"]["error"])
    server.close()


@pytest.mark.skipif(sys.platform == "win32", reason="unix socket permissions")
def test_ipc_socket_is_private_and_a_second_server_cannot_steal_it(
        qtbot: QtBot, paths: Paths) -> None:
    first = IpcServer(paths)
    assert first.listen()
    assert (Path(first.name).stat().st_mode & 0o077) == 0, "socket must be user-only"
    second = IpcServer(paths)
    assert not second.listen()
    first.close()


def test_ipc_client_returns_none_when_no_window_runs(paths: Paths) -> None:
    assert ipc.send(paths, {"cmd": "show"}, timeout=0.5) is None


def test_second_launch_asks_the_first_to_show(qtbot: QtBot, paths: Paths, tmp_path: Path) -> None:
    server = IpcServer(paths)
    assert server.listen()
    shown: list[bool] = []
    server.register("show", lambda _m, reply: (shown.append(True), reply({"ok": True})))
    env = {**__import__("os").environ, "GANGWAY_HOME": str(paths.config_dir.parent),
           "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
    assert proc.returncode == 0
    assert shown == [True]
    server.close()


@pytest.mark.linux_only  # no session bus means no keyring only on Linux
def test_smoke_test_flag_reports_each_check(paths: Paths) -> None:
    # Offscreen, without a session bus: IPC and botocore pass, and the missing keyring and
    # tray are each named and fail the run (the frozen app's pass is in tests/packaging).
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "PYTHON_KEYRING_BACKEND")}
    env.update(GANGWAY_HOME=str(paths.config_dir.parent), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "app", "--smoke-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:-1]}
    assert lines == {"ipc": "ok", "keyring": "FAILED", "tray": "FAILED", "botocore": "ok",
                     "proxy": "skipped"}, done.stdout
    assert done.stdout.rstrip().endswith("smoke test FAILED: keyring, tray")




def test_empty_state_shows_all_of_its_wrapped_text(qtbot: QtBot) -> None:
    long_text = " ".join(["Saved tunnels will appear here with a switch for each."] * 6)
    state = EmptyState("Nothing yet", long_text, "Do something")
    qtbot.addWidget(state)
    state.resize(700, 500)
    state.show()
    qtbot.waitExposed(state)
    label = state.text_label
    assert label.wordWrap()
    assert label.height() >= label.heightForWidth(label.width()), "wrapped text is cut off"
    state.set_text("Still nothing", long_text + " And one more sentence to wrap again.")
    qtbot.wait(50)
    assert label.height() >= label.heightForWidth(label.width())


def test_settings_menu_appears_when_a_pane_contributes(qtbot: QtBot, paths: Paths) -> None:
    window = make_window(qtbot, paths)
    assert not window.settings_menu.menuAction().isVisible()
    opened: list[str] = []
    action = window.add_settings_action("Terminal and Sessions…", lambda: opened.append("t"))
    assert window.settings_menu.menuAction().isVisible()
    action.trigger()
    assert opened == ["t"]
