"""The keyless setting: saved from Settings > Terminal, read back typed, wrong types refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.paths import Paths
from app.core.settings import SettingsStore
from app.core.store import JsonStore
from app.ui.dialogs.terminal_settings import TerminalSettingsDialog
from app.ui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    r = TaskRunner()
    yield r  # type: ignore[misc]
    r.shutdown()


def test_keyless_checkbox_saves_the_setting(qtbot: QtBot, tmp_path: Path,
                                            runner: TaskRunner) -> None:
    paths = Paths.for_root(tmp_path / "gw").ensure()
    store = SettingsStore(paths.settings_file)
    assert store.load().sessions.keyless is False
    dlg = TerminalSettingsDialog(runner, store)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.task.finished, timeout=10_000)
    assert not dlg.keyless.isChecked()
    assert "ec2-instance-connect:SendSSHPublicKey" in dlg.keyless.toolTip()
    dlg.keyless.setChecked(True)
    dlg.accept()
    assert store.load().sessions.keyless is True
    assert JsonStore(paths.settings_file).load()["sessions"]["keyless"] is True
    again = TerminalSettingsDialog(runner, store)
    qtbot.addWidget(again)
    assert again.keyless.isChecked()


def test_a_wrong_type_falls_back_to_off(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    JsonStore(path).save({"sessions": {"keyless": "yes please", "ask_reason": True}})
    sessions = SettingsStore(path).load().sessions
    assert sessions.keyless is False and sessions.ask_reason is True
