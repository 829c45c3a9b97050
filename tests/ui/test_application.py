"""The composition root builds every pane with its real services (a wiring check)."""

from __future__ import annotations

from typing import Any

from app.core.paths import Paths
from app.ui.application import build_panes
from app.ui.main_window import MainWindow
from app.ui.panes.instances_pane import InstancesPane
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.panes.sessions_pane import SessionsPane
from app.ui.services import build_services
from app.ui.widgets.empty_state import EmptyState


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
    assert list(window.panes) == ["Profiles", "Instances", "Tunnels", "Sessions"]
    assert isinstance(panes.profiles, ProfilesPane)
    assert isinstance(panes.instances, InstancesPane)
    assert isinstance(panes.sessions, SessionsPane)
    assert isinstance(panes.tunnels, EmptyState)  # tunnels arrive in a later slice
    assert window.panes["Instances"] is panes.instances
    # Profile names reach the panes from a worker, not the GUI thread.
    instances = panes.instances
    qtbot.waitUntil(lambda: instances.profile_box.count() >= 5, timeout=20000)
    names = [instances.profile_box.itemText(i) for i in range(instances.profile_box.count())]
    assert {"default", "mfa", "jumpbox-only"} <= set(names)
    runner.shutdown(timeout_ms=30000)
