"""The tunnels bridge: notices once per failure and recovery, the failed icon state, and no
tray: closing the window minimises while tunnels are on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QObject

from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import Problem, TunnelState, TunnelStatus
from app.ui.bridges.tunnels import TunnelNotices, TunnelsBridge
from app.ui.main_window import MainWindow
from app.ui.services import build_services
from app.ui.widgets.empty_state import EmptyState
from tests.conftest import AwsEnv


def status(state: TunnelState, name: str = "db") -> TunnelStatus:
    problem = Problem("StartSession was refused.", "Check the profile.") \
        if state in (TunnelState.FAILED, TunnelState.RECONNECTING) else None
    return TunnelStatus(name, state, local_port=15432, problem=problem)


def test_failure_and_recovery_are_announced_once_each_not_per_retry() -> None:
    notices = TunnelNotices()
    S = TunnelState
    sequence = [S.STARTING, S.LISTENING, S.RECONNECTING, S.RECONNECTING, S.FAILED,
                S.RECONNECTING, S.FAILED, S.FAILED, S.RECONNECTING, S.LISTENING, S.IDLE,
                S.LISTENING, S.RECONNECTING, S.FAILED, S.OFF, S.STARTING, S.LISTENING]
    said = [n for n in (notices.seen(status(s)) for s in sequence) if n is not None]
    assert said == [
        ("Tunnel db failed", "StartSession was refused. Check the profile."),
        ("Tunnel db is back", "Listening on 127.0.0.1:15432 again."),
        ("Tunnel db failed", "StartSession was refused. Check the profile."),
    ]  # switched off after the second failure: no "back" for a tunnel the user stopped
    # Tunnels are independent; hostile names are flattened.
    other = notices.seen(status(S.FAILED, "evil\n\x1b[31mname"))
    assert other is not None and other[0] == "Tunnel evil [31mname failed"


@pytest.fixture
def bridge(aws_env: AwsEnv, qtbot: Any) -> Iterator[TunnelsBridge]:
    owner = QObject()
    services = build_services(Paths.default().ensure(), owner)
    services.credentials.store = MemoryStore()
    with qtbot.waitSignal(services.tunnel_view.specs_changed, timeout=20000):
        services.tunnel_view.start()
    try:
        yield services.tunnel_view
    finally:
        services.stop()  # as on quit: observers off, supervisor closed, workers ended


def test_a_busy_port_fails_once_turns_the_tray_red_and_off_clears_it(
        bridge: TunnelsBridge, qtbot: Any) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    try:
        bridge.book.add(TunnelSpec("db", "default", "bastion", 5432, local_port=busy))
        with qtbot.waitSignal(bridge.specs_changed, timeout=20000):
            bridge.reload()
        notices: list[tuple[str, str]] = []
        flags: list[bool] = []
        bridge.notice.connect(lambda t, x: notices.append((t, x)))
        bridge.failed_changed.connect(flags.append)
        bridge.switch("db", True)
        qtbot.waitUntil(lambda: bridge.status("db").state is TunnelState.FAILED, timeout=20000)
        qtbot.wait(300)
        assert bridge.any_failed() and flags == [True]
        [(title, text)] = notices
        assert title == "Tunnel db failed" and str(busy) in text
        problem = bridge.status("db").problem
        assert problem is not None and problem.port_busy and problem.suggested_port
        assert any(str(busy) in ln.text for ln in bridge.log("db"))
        bridge.switch("db", False)
        qtbot.waitUntil(lambda: not bridge.any_failed(), timeout=20000)
        assert flags == [True, False] and len(notices) == 1
    finally:
        holder.close()


def test_without_a_tray_closing_minimises_while_tunnels_are_on(qtbot: Any, tmp_path: Any) -> None:
    window = MainWindow(Paths.for_root(tmp_path), [("Tunnels", EmptyState("t", "x"))],
                        hide_on_close=False)
    qtbot.addWidget(window)
    on = [1]
    window.keep_running = lambda: bool(on)
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    window.show()
    qtbot.waitExposed(window)
    window.close()
    assert window.isVisible() and window.isMinimized() and quits == []
    # Quitting closes every window first (Qt 6 cancels the quit if one refuses): it closes.
    window.quitting = True
    window.close()
    assert not window.isVisible() and quits == []  # already quitting: not asked again
    window.quitting = False
    on.clear()
    quits.clear()
    window.showNormal()
    window.close()
    assert quits == [True] and not window.isVisible()



def test_a_tunnel_switched_on_from_elsewhere_appears_without_a_restart(
        bridge: TunnelsBridge, qtbot: Any, http_server: int) -> None:
    from tests.sandbox.services import free_port

    assert bridge.spec("cli-web") is None
    # What `gangway tunnel add` then `up` do: the book gains it, the supervisor switches it on.
    saved = bridge.book.add(TunnelSpec("cli-web", "default", "web-1.prod", http_server,
                                       local_port=free_port()))
    bridge.supervisor.up(saved)
    qtbot.waitUntil(lambda: bridge.spec("cli-web") is not None, timeout=20000)
    qtbot.waitUntil(lambda: bridge.status("cli-web").state is TunnelState.LISTENING,
                    timeout=30000)
    assert bridge.on_count() == 1


def test_open_switches_a_tunnel_on_first_and_copies_a_command_template(
        bridge: TunnelsBridge, qtbot: Any, http_server: int) -> None:
    from PySide6.QtGui import QGuiApplication

    from app.ui.tunnel_open import open_tunnel
    from tests.sandbox.services import free_port

    port = free_port()
    bridge.book.add(TunnelSpec("db", "default", "web-1.prod", http_server, local_port=port,
                               open="psql -h localhost -p {port} -U app; $(evil)"))
    with qtbot.waitSignal(bridge.specs_changed, timeout=20000):
        bridge.reload()
    QGuiApplication.clipboard().setText("")
    assert open_tunnel(bridge, "db") == "switching on"
    # Copied (never run) once up() returned: the port is bound by then.
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() != "", timeout=20000)
    assert QGuiApplication.clipboard().text() == f"psql -h localhost -p {port} -U app; $(evil)"
    qtbot.waitUntil(lambda: bridge.status("db").state.is_on, timeout=20000)
    assert open_tunnel(bridge, "db") == f"copied psql -h localhost -p {port} -U app; $(evil)"
