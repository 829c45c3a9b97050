"""The first run: no AWS profile at all. The Profiles pane guides (SSO, keys, a config file),
shows the doctor's answer, and the other panes point to it (pytest-qt, real files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.core.aws.credentials.service import CredentialService
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.aws.sessions.history import SessionHistory
from app.core.checks import Check, Status
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.mfa_broker import MfaBroker
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.panes.sessions_pane import SessionsPane
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import instances_pane


class Fresh:
    """A machine with no AWS files: the config and credentials paths point at nothing."""

    def __init__(self, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.config = tmp_path / "aws" / "config"
        self.credentials = tmp_path / "aws" / "credentials"
        monkeypatch.setenv("AWS_CONFIG_FILE", str(self.config))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(self.credentials))
        store = MemoryStore()
        self.service = CredentialService(store)
        self.tasks = TaskRunner()
        self.pane = ProfilesPane(self.service, ProfileWriter(store), self.tasks,
                                 MfaBroker(self.service), CredentialsBridge())
        qtbot.addWidget(self.pane)
        self.pane.resize(1000, 700)
        self.pane.show()
        self.qtbot = qtbot
        with qtbot.waitSignal(self.pane.loaded, timeout=15000):
            self.pane.reload()


@pytest.fixture
def fresh(qtbot: Any, aws_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    f = Fresh(qtbot, tmp_path, monkeypatch)
    yield f
    f.tasks.shutdown(timeout_ms=15000)


def _pick_file(qtbot: Any, pane: ProfilesPane, path: Path) -> None:
    qtbot.mouseClick(pane.guide.buttons["open"], Qt.MouseButton.LeftButton)
    dialog = pane.file_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    dialog.selectFile(str(path))
    dialog.accept()


def test_guide_offers_three_ways_and_the_doctor(fresh: Fresh, qtbot: Any) -> None:
    guide = fresh.pane.guide
    assert fresh.pane.stack.currentWidget() is guide
    assert [b.text() for b in guide.buttons.values()] == [
        "Import from SSO…", "Add access keys…", "Open config file…"]
    assert not guide.doctor_button.isVisible()  # nothing known yet
    assert "no OS keyring" in guide.way_texts["keys"].text()  # MemoryStore: said plainly
    guide.set_checks([Check("session-manager-plugin", Status.MISSING, "not found", "", True),
                      Check("Keyring", Status.WARN, "none", "", False)])
    assert "session-manager-plugin" in guide.doctor_label.text()
    assert guide.doctor_button.isVisible()
    with qtbot.waitSignal(fresh.pane.doctor_requested):
        qtbot.mouseClick(guide.doctor_button, Qt.MouseButton.LeftButton)
    guide.set_checks([Check("Keyring", Status.OK, "Secret Service", "", False)])
    assert guide.doctor_label.text() == "This computer has everything Gangway needs."
    assert not guide.doctor_button.isVisible()


def test_sso_way_opens_the_sso_import(fresh: Fresh, qtbot: Any) -> None:
    qtbot.mouseClick(fresh.pane.guide.buttons["sso"], Qt.MouseButton.LeftButton)
    assert fresh.pane.sso_dialog is not None and fresh.pane.sso_dialog.isVisible()
    fresh.pane.sso_dialog.reject()


def test_open_an_existing_config_imports_it(fresh: Fresh, qtbot: Any, tmp_path: Path) -> None:
    mine = tmp_path / "from-backup.ini"
    mine.write_text("# my profiles\n[profile prod]\nregion = eu-west-1\n"
                    "[profile dev]\nregion = us-east-1\n")
    with qtbot.waitSignal(fresh.pane.loaded, timeout=20000):
        _pick_file(qtbot, fresh.pane, mine)
    assert fresh.pane.stack.currentWidget() is fresh.pane.table
    assert sorted(r.name for r in fresh.pane.model.rows()) == ["dev", "prod"]
    assert fresh.config.read_text() == mine.read_text()  # comments and order kept
    assert fresh.config.stat().st_mode & 0o777 == 0o600
    assert "Imported 2 profile(s)" in fresh.pane.message_label.text()


def test_a_credentials_file_is_refused_and_nothing_is_written(fresh: Fresh, qtbot: Any,
                                                             tmp_path: Path) -> None:
    creds = tmp_path / "credentials-copy"
    creds.write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n"
                     "aws_secret_access_key = abc\n")
    with qtbot.waitSignal(fresh.pane.operation_failed, timeout=20000):
        _pick_file(qtbot, fresh.pane, creds)
    assert not fresh.config.exists()
    assert "secret access keys" in fresh.pane.message_label.text()
    assert fresh.pane.stack.currentWidget() is fresh.pane.guide


def test_keys_without_a_keyring_say_where_they_went(fresh: Fresh, qtbot: Any) -> None:
    qtbot.mouseClick(fresh.pane.guide.buttons["keys"], Qt.MouseButton.LeftButton)
    editor = fresh.pane.editor
    qtbot.keyClicks(editor.name, "work")
    qtbot.keyClicks(editor.key_id, "AKIAIOSFODNN7EXAMPLE")
    qtbot.keyClicks(editor.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with qtbot.waitSignal(fresh.pane.loaded, timeout=20000):
        editor.buttons.accepted.emit()
    assert "No OS keyring" in fresh.pane.message_label.text()
    assert load_profiles().get("work") is not None


def test_other_panes_point_to_the_guide(qtbot: Any, aws_env: Any, tmp_path: Path) -> None:
    runner = TaskRunner()
    try:
        paths = Paths.for_root(tmp_path / "gw")
        instances = instances_pane(runner, paths)
        sessions = SessionsPane(runner, CredentialService(MemoryStore()),
                                SessionHistory(paths.data_dir))
        for pane in (instances, sessions):
            qtbot.addWidget(pane)
            # Before the names arrive from the worker: not yet "none at all", nor "pick one".
            assert pane.stack.currentWidget() is pane.frame.loading
            pane.set_profiles([])
            page = pane.stack.currentWidget()
            assert page is pane.no_profiles
            assert page.title_label.text() == "No AWS profiles yet"
            with qtbot.waitSignal(pane.setup_requested):
                qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
            pane.set_profiles(["default"])
            assert pane.stack.currentWidget() is not pane.no_profiles
    finally:
        runner.shutdown(timeout_ms=15000)
