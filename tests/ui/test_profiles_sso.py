"""SSO login from the Profiles pane against the sandbox's SSO-OIDC and portal endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.core.aws.credentials import sso
from app.core.aws.credentials.service import CredentialService
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import MemoryStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.dialogs.sso_login_dialog import SsoLoginDialog
from app.ui.mfa_broker import MfaBroker
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.tasks import TaskRunner


@pytest.fixture
def pane(qtbot: Any, aws_env: Any) -> ProfilesPane:
    store = MemoryStore()
    service = CredentialService(store)
    tasks = TaskRunner()
    p = ProfilesPane(service, ProfileWriter(store), tasks, MfaBroker(service),
                     CredentialsBridge(), keyring_real=False)
    p.open_browser = False  # no browser in tests: the sandbox approves the code instead
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.loaded, timeout=15000):
        p.reload()
    yield p
    tasks.shutdown()


def _state(pane: ProfilesPane, name: str) -> str:
    model = pane.model
    return str(model.data(model.index(model.row_of(name), 4)))


def _login(qtbot: Any, pane: ProfilesPane, aws_env: Any) -> SsoLoginDialog:
    pane.actions_by_name["sso"].trigger()
    dialog = pane.sso_dialog
    assert isinstance(dialog, SsoLoginDialog)
    steps = dialog.findChild(QLabel, "ssoSteps")  # the first page says what comes next
    assert steps is not None and "approve" in steps.text() and not steps.isHidden()
    dialog.go.click()
    qtbot.waitUntil(lambda: bool(dialog.code_label.text()), timeout=15000)
    assert dialog.code_label.textFormat() == Qt.TextFormat.PlainText
    assert 'href="http' in dialog.url_label.text() and dialog.url_label.openExternalLinks()
    assert aws_env.sandbox.control.approve_device_code(user_code=dialog.code_label.text())
    return dialog


def test_sso_login_for_profile_then_create_profiles(qtbot: Any, pane: ProfilesPane,
                                                    aws_env: Any) -> None:
    assert _state(pane, "sso") == "needs SSO login"
    pane.select("sso")
    dialog = _login(qtbot, pane, aws_env)
    assert dialog.session.currentData() == "sandbox"
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=30000)
    assert dialog.roles.rowCount() == 3
    roles = {dialog.roles.item(i, 2).text() for i in range(dialog.roles.rowCount())}
    assert roles == {"AdministratorAccess", "ReadOnly", "PowerUser"}
    # The CLI's cache file, in the CLI's format.
    token = sso.read_token(sso.SsoConfig(aws_env.sandbox.sso_start_url, "us-east-1", "sandbox"))
    assert token is not None and token["accessToken"]
    for i in range(1, dialog.roles.rowCount()):
        dialog.roles.item(i, 0).setCheckState(Qt.CheckState.Unchecked)
    first = dialog.roles.item(0, 0).text()
    dialog.roles.item(0, 0).setText("sso prod ü")
    with qtbot.waitSignal(pane.loaded, timeout=15000):
        dialog.go.click()
    created = load_profiles().get("sso prod ü")
    assert created is not None and created.get("sso_session") == "sandbox", first
    assert _state(pane, "sso").startswith("valid until")
    assert "sso prod ü" in [r.name for r in pane.model.rows()]


def test_sso_new_session_needs_url(qtbot: Any, pane: ProfilesPane) -> None:
    pane.table.clearSelection()
    pane.actions_by_name["sso"].trigger()
    dialog = pane.sso_dialog
    dialog.session.setCurrentIndex(dialog.session.count() - 1)
    dialog.new_name.setText("corp")
    dialog.new_url.setText("ftp://nope")
    dialog.go.click()
    assert "https://" in dialog.status.text()
    assert dialog.pages.currentIndex() == 0 and dialog.isVisible()
    dialog.reject()


def test_sso_cancel_while_waiting(qtbot: Any, pane: ProfilesPane) -> None:
    pane.select("sso")
    pane.actions_by_name["sso"].trigger()
    dialog = pane.sso_dialog
    dialog.go.click()
    qtbot.waitUntil(lambda: bool(dialog.code_label.text()), timeout=15000)
    task = dialog.task
    assert task is not None
    dialog.reject()
    qtbot.waitUntil(lambda: task.finished, timeout=20000)
    assert task.cancelled


def test_code_can_be_copied_counts_down_and_a_missing_browser_is_said(
        qtbot: Any, pane: ProfilesPane, aws_env: Any, tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-open, no browser: opening fails
    pane.open_browser = True
    pane.actions_by_name["sso"].trigger()
    dialog = pane.sso_dialog
    dialog.go.click()
    qtbot.waitUntil(lambda: bool(dialog.code_label.text()), timeout=15000)
    assert dialog.browser_note.isVisibleTo(dialog)
    assert "could not be opened" in dialog.browser_note.text()
    assert dialog.countdown.text().startswith("The code expires in ")
    minutes, seconds = dialog.countdown.text().rsplit(" ", 1)[1].split(":")
    assert 0 < int(minutes) * 60 + int(seconds) <= dialog.device.expires_in
    qtbot.mouseClick(dialog.copy_code, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == dialog.code_label.text()
    dialog.reject()
