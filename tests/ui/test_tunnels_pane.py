"""The Tunnels pane, the tray's tunnels section and Quit, on the real services and sandbox.

A real HTTP server reached by `curl` through an instance-port tunnel switched on from the
pane; a real PostgreSQL reached by `psql` through a remote-host tunnel switched on from the
tray menu (its actions invoked as a click would).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMenu

from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import TunnelState
from app.ui.models.tunnels_model import COL_ON
from app.ui.panes.tunnels_pane import TunnelsPane
from app.ui.quit_guard import QuitGuard
from app.ui.services import Services, build_services
from app.ui.tray import tunnels_section
from tests.conftest import AwsEnv, require_program
from tests.core.tunnel_helpers import plugins_of
from tests.sandbox.services import Postgres, free_port

pytestmark = pytest.mark.linux_only


@pytest.fixture
def services(aws_env: AwsEnv, qtbot: Any) -> Iterator[Services]:
    paths = Paths.default().ensure()  # GANGWAY_HOME from aws_env: the CLI sees the same
    owner = QObject()
    built = build_services(paths, owner)
    built.credentials.store = MemoryStore()  # no OS keyring probe here
    bridge = built.tunnel_view
    with qtbot.waitSignal(bridge.specs_changed, timeout=20000):
        bridge.start()
    try:
        yield built
    finally:
        built.stop()  # as on quit: observers off, supervisor closed, workers ended
        assert plugins_of(os.getpid()) == []


def state_of(services: Services, name: str) -> TunnelState:
    return services.tunnel_view.status(name).state


def test_empty_pane_says_how_to_add_a_tunnel(services: Services, qtbot: Any) -> None:
    pane = TunnelsPane(services.tunnel_view, services.tasks, services.paths.runtime_dir)
    qtbot.addWidget(pane)
    assert pane.stack.currentWidget() is pane.empty
    assert "gangway tunnel add" in pane.empty.text_label.text()
    assert "Forward a port" in pane.empty.text_label.text()
    assert pane.empty.button is not None
    pane.empty.button.click()
    assert pane.editor is not None and pane.editor.isVisible()


def test_before_the_book_is_read_the_pane_says_reading(aws_env: AwsEnv, qtbot: Any) -> None:
    """Not "No tunnels saved" while the saved tunnels are still being read."""
    owner = QObject()
    built = build_services(Paths.default().ensure(), owner)
    built.credentials.store = MemoryStore()
    try:
        pane = TunnelsPane(built.tunnel_view, built.tasks, built.paths.runtime_dir)
        qtbot.addWidget(pane)
        assert pane.stack.currentWidget() is pane.frame.loading
        with qtbot.waitSignal(built.tunnel_view.specs_changed, timeout=20000):
            built.tunnel_view.start()
        assert pane.stack.currentWidget() is pane.empty  # read: there are none
    finally:
        built.stop()


def test_add_in_the_editor_switch_on_in_the_pane_and_curl_through_it(
        services: Services, qtbot: Any, http_server: int) -> None:
    curl = require_program("curl")
    bridge = services.tunnel_view
    pane = TunnelsPane(bridge, services.tasks, services.paths.runtime_dir)
    pane.set_profiles(["default"])
    qtbot.addWidget(pane)
    pane.show()
    port = free_port()
    editor = pane.open_editor(None)
    editor.name.setText("web")
    editor.target.setText("web-1.prod")
    editor.remote_port.setText(str(http_server))
    editor.fixed.setChecked(True)
    editor.local_port.setText(str(port))
    editor.open_template.setText("http://localhost:{port}/")
    assert editor.try_save()
    qtbot.waitUntil(lambda: pane.model.row_of("web") >= 0, timeout=20000)
    assert pane.stack.currentWidget() is pane.splitter
    row = pane.model.row_of("web")
    assert row >= 0 and pane.selected_name() == "web"
    # The switch: a click on the On cell, as a user gives it.
    index = pane.model.index(row, COL_ON)

    def click_switch() -> None:
        cell = pane.view.visualRect(pane.proxy.mapFromSource(index))
        qtbot.mouseClick(pane.view.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())

    click_switch()
    qtbot.waitUntil(lambda: state_of(services, "web") is TunnelState.LISTENING, timeout=30000)
    assert pane.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    out = subprocess.run([curl, "-sS", "--max-time", "30", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout == f"hello from {http_server} path=/\n"
    # The side panel shows the state in words and the tunnel's log as it grows.
    assert "listening on 127.0.0.1:" in pane.details.summary.text()
    qtbot.waitUntil(lambda: "Connection accepted" in pane.details.log.toPlainText(), timeout=20000)
    assert pane.details.open_button.text() == "Open in browser"
    assert pane.copy_selected() == f"http://localhost:{port}/"
    assert pane.count_label.text() == "1 of 1 on"
    click_switch()
    qtbot.waitUntil(lambda: state_of(services, "web") is TunnelState.OFF, timeout=30000)
    assert plugins_of(os.getpid()) == []
    done = subprocess.run([curl, "-sS", "--max-time", "5", f"http://127.0.0.1:{port}/"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode != 0  # off means the port is closed


def test_tray_menu_switches_a_group_and_a_tunnel_psql_through_remote_host(
        services: Services, qtbot: Any, postgres: Postgres, aws_env: AwsEnv) -> None:
    psql = require_program("psql")
    aws_env.sandbox.control.map_port(5432, postgres.port, target="db.internal")
    bridge = services.tunnel_view
    db_port, other_port = free_port(), free_port()
    bridge.book.add(TunnelSpec("db", "default", "bastion", 5432, remote_host="db.internal",
                               local_port=db_port, group="prod",
                               open="psql -h localhost -p {port} -U app"))
    bridge.book.add(TunnelSpec("api", "default", "web-1.prod", 9, local_port=other_port,
                               group="prod"))
    with qtbot.waitSignal(bridge.specs_changed, timeout=20000):
        bridge.reload()
    opened: list[str] = []
    menu = QMenu()
    tunnels_section(bridge, opened.append)(menu)
    texts = [a.text() for a in menu.actions()]
    assert texts[:3] == ["prod (0 of 2 on)", "    db — off", "    api — off"]
    db = next(a for a in menu.actions() if a.data() == "db")
    assert db.isCheckable() and not db.isChecked()
    db.trigger()  # a click on an unchecked item checks it and emits triggered(True)
    qtbot.waitUntil(lambda: state_of(services, "db") is TunnelState.LISTENING, timeout=30000)
    out = subprocess.run([psql, "-h", "127.0.0.1", "-p", str(db_port), "-U", "app", "-d",
                          "postgres", "-Atc", "select 6*7"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "42\n"
    # Rebuilt from service state: db on, the group partly on; the group toggle takes both.
    menu.clear()
    tunnels_section(bridge, opened.append)(menu)
    group = next(a for a in menu.actions() if a.data() == "group:prod")
    assert group.text() == "prod (1 of 2 on)" and not group.isChecked()
    assert next(a for a in menu.actions() if a.data() == "db").isChecked()
    group.trigger()
    qtbot.waitUntil(lambda: state_of(services, "api").is_on, timeout=30000)
    open_menu = next(a.menu() for a in menu.actions() if a.menu() is not None)
    next(a for a in open_menu.actions() if a.data() == "db").trigger()
    assert opened == ["db"]
    # Quit asks, because tunnels are on; answering Quit confirms.
    guard = QuitGuard(bridge, lambda: None)
    confirmed: list[bool] = []
    guard.confirmed.connect(lambda: confirmed.append(True))
    guard.request()
    assert confirmed == [] and guard.box is not None and guard.box.isVisible()
    assert "2 tunnels are on" in guard.box.text()
    quit_button = next(b for b in guard.box.buttons() if b.text() == "Quit and switch off")
    quit_button.click()
    assert confirmed == [True]
    menu.clear()
    tunnels_section(bridge, opened.append)(menu)
    group = next(a for a in menu.actions() if a.data() == "group:prod")
    assert group.isChecked()
    group.trigger()  # checked -> unchecked: the whole group off
    qtbot.waitUntil(lambda: bridge.on_count() == 0, timeout=30000)


def test_quit_does_not_ask_when_no_tunnel_is_on(services: Services) -> None:
    guard = QuitGuard(services.tunnel_view, lambda: None)
    confirmed: list[bool] = []
    guard.confirmed.connect(lambda: confirmed.append(True))
    guard.request()
    assert confirmed == [True] and guard.box is None
