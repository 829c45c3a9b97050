"""The composition root builds every pane with its real services (a wiring check)."""

from __future__ import annotations

from typing import Any

from app.core.paths import Paths
from app.core.store import JsonStore
from app.ui.application import Services, build_panes
from app.ui.main_window import MainWindow
from app.ui.panes.instances_pane import InstancesPane
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.panes.sessions_pane import SessionsPane
from app.ui.tasks import TaskRunner
from app.ui.widgets.empty_state import EmptyState


def test_build_panes_wires_every_pane(qtbot: Any, aws_env: Any, tmp_path: Any) -> None:
    from app.core.aws.credentials.service import CredentialService
    from app.core.secrets import MemoryStore
    from app.ui.mfa_broker import MfaBroker

    paths = Paths.for_root(tmp_path / "gw").ensure()
    runner = TaskRunner()
    creds = CredentialService(MemoryStore())
    services = Services(paths=paths, settings=JsonStore(paths.config_dir / "settings.json"),
                        tasks=runner, credentials=creds, mfa=MfaBroker(creds))
    window = MainWindow(paths, build_panes(services))
    qtbot.addWidget(window)
    panes = window.panes
    assert list(panes) == ["Profiles", "Instances", "Tunnels", "Sessions"]
    assert isinstance(panes["Profiles"], ProfilesPane)
    assert isinstance(panes["Instances"], InstancesPane)
    assert isinstance(panes["Sessions"], SessionsPane)
    assert isinstance(panes["Tunnels"], EmptyState)  # tunnels arrive in a later slice
    # Profile names reach the panes from a worker, not the GUI thread.
    instances = panes["Instances"]
    assert isinstance(instances, InstancesPane)
    qtbot.waitUntil(lambda: instances.profile_box.count() >= 5, timeout=20000)
    names = [instances.profile_box.itemText(i) for i in range(instances.profile_box.count())]
    assert {"default", "mfa", "jumpbox-only"} <= set(names)
    runner.shutdown(timeout_ms=30000)
