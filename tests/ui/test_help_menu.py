"""The Help menu's windows with real services and panes: the doctor's checks reach the
Access column and the first-run guide, and each entry opens its window."""

from __future__ import annotations

from typing import Any

from app.core.checks import Check, Status
from app.core.paths import Paths
from app.ui.application import build_panes
from app.ui.help_menu import HelpMenu
from app.ui.main_window import MainWindow
from app.ui.models import instances_model as im
from app.ui.services import build_services
from tests.ui.instances_factory import make_row

PLUGIN_MISSING = Check("session-manager-plugin", Status.MISSING, "not found", "", True)


def test_help_menu_entries_and_the_checks_reach_the_panes(qtbot: Any, aws_env: Any,
                                                          tmp_path: Any) -> None:
    from PySide6.QtCore import QObject

    from app.core.secrets import MemoryStore

    paths = Paths.for_root(tmp_path / "gw").ensure()
    owner = QObject()
    services = build_services(paths, owner)
    services.credentials.store = MemoryStore()
    panes = build_panes(services)
    window = MainWindow(paths, panes.titled())
    qtbot.addWidget(window)
    owner.setParent(window)
    menu = HelpMenu(services, window, panes, tray_available=False, parent=window)
    menu.wire()
    entries = [a.text() for a in window.help_menu.actions() if a.text()]
    assert entries[:2] == ["&Doctor…", "IAM &Policy Helper…"]

    panes.instances.model.add_rows([make_row("web-1.prod", n=1)])
    menu.checked([PLUGIN_MISSING])  # what the doctor found
    assert menu.checks == [PLUGIN_MISSING]
    access = panes.instances.model.index(0, im.COL_ACCESS).data()
    assert access == "needs the session-manager-plugin"
    assert "session-manager-plugin" in panes.profiles.guide.doctor_label.text()
    menu.checked("not a list")  # a failed check job changes nothing
    assert menu.checks == [PLUGIN_MISSING]

    doctor = menu.open_doctor(checks=[PLUGIN_MISSING])
    assert doctor.isVisible() and menu.doctor is doctor
    doctor.close()
    helper = menu.open_policy_helper()
    assert helper.isVisible()
    helper.close()
    about = menu.open_about()
    assert about.isVisible()
    about.close()
    qtbot.waitUntil(lambda: not services.tasks.running(), timeout=30000)
    services.tasks.shutdown(timeout_ms=30000)


def test_checks_that_end_after_the_window_has_gone_touch_nothing(qtbot: Any, aws_env: Any,
                                                                 tmp_path: Any) -> None:
    """The start-up check runs in the background; a window closed and deleted meanwhile
    (quit, or a test ending) must not get its result: its panes are gone."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    from app.core.secrets import MemoryStore

    paths = Paths.for_root(tmp_path / "gw").ensure()
    owner = QObject()  # the services outlive the window, as the application's do
    services = build_services(paths, owner)
    services.credentials.store = MemoryStore()
    panes = build_panes(services)
    window = MainWindow(paths, panes.titled())
    HelpMenu(services, window, panes, tray_available=False, parent=window).wire()
    qtbot.waitUntil(lambda: bool(services.tasks.running("doctor")), timeout=30000)
    task = services.tasks.running("doctor")[0]
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(lambda: task.finished, timeout=60000)
    qtbot.wait(50)  # the queued result is delivered (or dropped) on this turn
    assert services.tasks.running() == []
    services.tasks.shutdown(timeout_ms=30000)
