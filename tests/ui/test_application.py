"""The composition root builds every pane with its real services (a wiring check)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.paths import Paths
from app.ui.application import build_panes
from app.ui.main_window import MainWindow
from app.ui.panes.instances_pane import InstancesPane
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.panes.sessions_pane import SessionsPane
from app.ui.panes.tunnels_pane import TunnelsPane
from app.ui.services import build_services


def test_build_panes_wires_every_pane(qtbot: Any, aws_env: Any, tmp_path: Any) -> None:
    from PySide6.QtCore import QObject

    from app.core.secrets import MemoryStore

    paths = Paths.for_root(tmp_path / "gw").ensure()
    owner = QObject()
    services = build_services(paths, owner)
    services.credentials.store = MemoryStore()  # no OS keyring probe in this test
    runner = services.tasks
    panes = build_panes(services)
    window = MainWindow(paths, panes.titled())
    qtbot.addWidget(window)
    # The services die with the window, as they do with the QApplication in Gangway: a
    # result still queued for a pane when the test returns must not find its bridge deleted.
    owner.setParent(window)
    assert list(window.panes) == ["Profiles", "Instances", "Tunnels", "Sessions"]
    assert isinstance(panes.profiles, ProfilesPane)
    assert isinstance(panes.instances, InstancesPane)
    assert isinstance(panes.sessions, SessionsPane)
    assert isinstance(panes.tunnels, TunnelsPane)
    assert window.panes["Instances"] is panes.instances
    # Profile names reach the panes from a worker, not the GUI thread.
    instances = panes.instances
    qtbot.waitUntil(lambda: instances.profile_box.count() >= 5, timeout=20000)
    names = [instances.profile_box.itemText(i) for i in range(instances.profile_box.count())]
    assert {"default", "mfa", "jumpbox-only"} <= set(names)
    qtbot.waitUntil(lambda: not runner.running(), timeout=30000)  # results in before owner goes
    runner.shutdown(timeout_ms=30000)


def test_wire_tunnels_forward_a_port_ipc_and_no_tray(qtbot: Any, aws_env: Any,
                                                        tmp_path: Any) -> None:
    """Instances' "Forward a port…" opens the editor filled from that instance; without a
    tray, closing keeps running only with tunnels on."""
    from PySide6.QtCore import QObject

    from app.core.actions import Action
    from app.core.secrets import MemoryStore
    from app.ui.tunnels_wiring import wire_tunnels
    from tests.ui.instances_factory import make_row

    paths = Paths.for_root(tmp_path / "gw").ensure()
    owner = QObject()
    services = build_services(paths, owner)
    services.credentials.store = MemoryStore()
    panes = build_panes(services)
    window = MainWindow(paths, panes.titled())
    qtbot.addWidget(window)
    wire_tunnels(services, panes, window, None)
    assert window.keep_running() is False  # nothing on: closing quits as before
    panes.tunnels.set_profiles(["default"])
    row = make_row("web-1.prod", n=7)
    panes.instances.action_requested.emit(Action.PORT_FORWARD.value, row)
    editor = panes.tunnels.editor
    assert editor is not None and editor.isVisible()
    assert window.stack.currentWidget() is panes.tunnels
    values = editor.values()
    assert (values.name, values.target, values.profile) == ("web-1.prod", "web-1.prod",
                                                            panes.instances.profile)
    editor.reject()
    panes.instances.action_requested.emit(Action.SHELL.value, row)  # not a tunnel action
    assert panes.tunnels.editor is editor
    # With a tray: its tunnels section, and its icon follows "a tunnel failed".
    from app.ui.tray import Tray

    tray = Tray(owner)
    wire_tunnels(services, panes, window, tray)
    tray.rebuild()
    assert "No tunnels saved" in [a.text() for a in tray.menu.actions()]
    services.tunnel_view.failed_changed.emit(True)
    assert tray.state == "failed"
    services.tunnel_view.failed_changed.emit(False)
    assert tray.state == "normal"
    qtbot.waitUntil(lambda: not services.tasks.running(), timeout=30000)
    services.tasks.shutdown(timeout_ms=30000)


def _items(frame: Any) -> list[object]:
    """The frame's column, top to bottom: its widgets and (for rows) the rows' widgets."""
    column = frame.layout()
    out: list[object] = []
    for i in range(column.count()):
        item = column.itemAt(i)
        inner = item.layout()
        out.append(item.widget() if inner is None else
                   tuple(inner.itemAt(j).widget() for j in range(inner.count())))
    return out


@pytest.mark.parametrize("title", ["Profiles", "Instances", "Tunnels", "Sessions"])
def test_each_pane_adopts_the_frame_that_painted_first(qtbot: Any, aws_env: Any,
                                                       tmp_path: Any, title: str) -> None:
    """The frame the window opened with is the pane's own (not rebuilt, not deleted): its
    controls keep their places (the pane only adds banners and pages), and they work once the
    pane has them."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QWidget

    from app.core.secrets import MemoryStore
    from app.ui.panes.build import FRAMES, PANES

    assert list(FRAMES) == list(PANES)  # any page may be the one the window reopens on
    paths = Paths.for_root(tmp_path / "gw").ensure()
    frame: Any = FRAMES[title]()
    window = MainWindow(paths, [(t, frame if t == title else QWidget()) for t in PANES])
    qtbot.addWidget(window)
    window.show_pane(title)
    assert window.stack.currentWidget() is frame
    before = _items(frame)
    # In the window (not the popups of its menus and boxes, windows of their own).
    children = [w for w in frame.findChildren(QWidget) if w.window() is window]
    owner = QObject()
    services = build_services(paths, owner)
    services.credentials.store = MemoryStore()
    owner.setParent(window)
    panes = build_panes(services, frames={title: frame})
    for name, pane in panes.titled():
        window.set_pane(name, pane)
    pane = window.panes[title]
    assert pane.frame is frame and pane.isAncestorOf(frame)
    assert window.stack.currentWidget() is pane  # still the page shown
    assert [window.stack.widget(i) for i in range(4)] == [w for _, w in panes.titled()]
    after = _items(frame)
    assert [item for item in after if item in before] == before  # nothing moved or went
    assert all(frame.isAncestorOf(w) for w in children)  # every one it painted, still in it
    if title == "Profiles":
        profiles = panes.profiles
        qtbot.waitUntil(lambda: profiles.stack.currentWidget() is profiles.table,
                        timeout=20000)
        assert frame.filter_edit.isVisibleTo(window)  # alive and shown inside the pane
        with qtbot.waitSignal(profiles.loaded, timeout=20000):
            frame.actions_by_name["reload"].trigger()
    elif title == "Instances":
        instances = panes.instances
        assert instances.profile_box is frame.profile_box
        qtbot.waitUntil(lambda: instances.profile_box.count() >= 5, timeout=20000)
        instances.set_regions(["us-east-1"])
        frame.profile_box.setCurrentText("default")
        qtbot.waitUntil(lambda: not instances.busy, timeout=60000)
        with qtbot.waitSignal(instances.refreshed, timeout=60000):
            frame.refresh_button.click()
        assert instances.stack.currentWidget() is instances.view
        frame.filter_edit.setText("no-such-instance-anywhere")
        qtbot.waitUntil(lambda: instances.stack.currentWidget() is instances.empty_filtered)
    elif title == "Tunnels":
        tunnels = panes.tunnels
        frame.add_button.click()
        assert tunnels.editor is not None and tunnels.editor.isVisible()
        tunnels.editor.reject()
    else:
        sessions = panes.sessions
        qtbot.waitUntil(lambda: sessions.profile_box.count() >= 5, timeout=20000)
        with qtbot.waitSignal(sessions.refreshed, timeout=30000):
            frame.refresh_button.click()
        assert sessions.stack.currentWidget() in (sessions.empty, sessions.view)
    qtbot.waitUntil(lambda: not services.tasks.running(), timeout=30000)
    services.tasks.shutdown(timeout_ms=30000)
