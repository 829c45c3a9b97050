"""Settings: one dialog over the typed settings, saved to settings.json, applied without a
restart (theme, tray, durations, regions, refresh, start at login) — real store, real
autostart file, real panes (pytest-qt)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMainWindow

from app.core import autostart
from app.core.aws.credentials.service import CredentialService
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.core.settings import Settings, SettingsStore, Theme
from app.ui import theme
from app.ui.bridges.settings import SettingsBridge
from app.ui.dialogs.preferences import PreferencesDialog
from app.ui.settings_apply import Targets, apply
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import instances_pane


class FakeTray:  # what apply() reads from the tray: only its `messages` switch
    messages = True


@pytest.fixture
def env(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    tasks = TaskRunner()
    store = SettingsStore(tmp_path / "settings.json")
    yield store, tasks
    tasks.shutdown(timeout_ms=10000)
    theme.apply(QApplication.instance(), Theme.SYSTEM)  # type: ignore[arg-type]


def _toggle(qtbot: Any, box: Any) -> None:
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def _save(qtbot: Any, dialog: PreferencesDialog) -> None:
    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save),
                         Qt.MouseButton.LeftButton)


def test_every_section_has_a_tab_and_edits_persist(qtbot, env) -> None:
    store, tasks = env
    dialog = PreferencesDialog(store, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles == ["General", "Appearance", "Instances", "Credentials", "Sessions"]
    general, looks = dialog.forms["general"].editors, dialog.forms["appearance"].editors
    _toggle(qtbot, general["start_at_login"])
    _toggle(qtbot, general["close_to_tray"])
    looks["theme"].setCurrentIndex(looks["theme"].findData(Theme.DARK))
    regions = dialog.forms["instances"].editors["default_regions"]
    qtbot.keyClicks(regions, " eu-west-1, us-east-1 ")
    refresh = dialog.forms["instances"].editors["refresh_minutes"]
    assert refresh.text() == "0"  # whole numbers without ".00"
    assert dialog.forms["credentials"].editors["role_hours"].text() == "1"
    refresh.selectAll()
    qtbot.keyClicks(refresh, "15")
    hours = dialog.forms["credentials"].editors["session_token_hours"]
    hours.setValue(0.25)
    assert hours.text() == "0.25"
    hours.setValue(99)  # beyond AWS's 36 h: the range stops it
    _save(qtbot, dialog)
    saved = store.load()
    assert saved.general.start_at_login and not saved.general.close_to_tray
    assert saved.appearance.theme is Theme.DARK
    assert saved.instances.regions() == ("eu-west-1", "us-east-1")
    assert saved.instances.refresh_minutes == 15
    assert saved.credentials.session_token_hours == 36
    on_disk = json.loads(store.path.read_text())
    assert on_disk["appearance"] == {"theme": "dark"}
    again = PreferencesDialog(store, tasks)
    qtbot.addWidget(again)
    assert again.forms["general"].editors["start_at_login"].isChecked()
    assert again.forms["appearance"].value().theme is Theme.DARK


def test_a_save_on_a_worker_is_applied_on_the_gui_thread(qtbot, env) -> None:
    store, tasks = env
    bridge = SettingsBridge(store)
    threads: list[bool] = []
    bridge.changed.connect(
        lambda _s: threads.append(threading.current_thread() is threading.main_thread()))
    new = Settings()
    with qtbot.waitSignal(bridge.changed, timeout=5000):
        tasks.submit(store.update, general=new.general.__class__(notifications=False))
    assert threads == [True]


def test_apply_changes_the_running_app(qtbot, env, aws_env, tmp_path) -> None:
    store, tasks = env
    app = QApplication.instance()
    window = QMainWindow()
    window.hide_on_close = False  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    creds = CredentialService(MemoryStore())
    pane = instances_pane(tasks, Paths.for_root(tmp_path / "gw"), profiles=["default"])
    qtbot.addWidget(pane)
    tray = FakeTray()
    targets = Targets(app, window, tray, creds, pane, tasks)  # type: ignore[arg-type]
    first = store.load()
    apply(first, None, targets)
    light_window = app.palette().color(QPalette.ColorRole.Window)
    assert not pane.auto_refresh.isActive()

    dialog = PreferencesDialog(store, tasks)
    qtbot.addWidget(dialog)
    dialog.forms["appearance"].editors["theme"].setCurrentIndex(
        dialog.forms["appearance"].editors["theme"].findData(Theme.DARK))
    _toggle(qtbot, dialog.forms["general"].editors["start_at_login"])
    _toggle(qtbot, dialog.forms["general"].editors["notifications"])
    dialog.forms["instances"].editors["refresh_minutes"].setValue(5)
    qtbot.keyClicks(dialog.forms["instances"].editors["default_regions"], "eu-west-1")
    dialog.forms["credentials"].editors["role_hours"].setValue(2)
    bridge = SettingsBridge(store)
    bridge.changed.connect(lambda s: apply(s, first, targets))
    with qtbot.waitSignal(bridge.changed):
        _save(qtbot, dialog)
    assert theme.is_dark(app) and app.palette().color(QPalette.ColorRole.Window) != light_window
    assert window.hide_on_close and not app.quitOnLastWindowClosed()  # type: ignore[attr-defined]
    assert tray.messages is False
    assert creds.durations.role == 7200
    assert pane.auto_refresh.isActive() and pane.auto_refresh.interval() == 300_000
    qtbot.waitUntil(lambda: autostart.is_enabled(system="Linux"), timeout=5000)
    # The next refresh searches the chosen region only (the sandbox has three).
    pane.show()
    with qtbot.waitSignal(pane.refreshed, timeout=60000):
        pane.refresh()
    assert pane.model.rows and {r.region for r in pane.model.rows} == {"eu-west-1"}
