"""Protect keys / Restore keys from the pane, with a real gnome-keyring on a private D-Bus."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.core.aws.credentials.service import CredentialService
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import open_secret_store
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.mfa_broker import MfaBroker
from app.ui.panes.profiles_pane import ProfilesPane
from app.ui.tasks import TaskRunner
from tests.integration import keyring_session

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def real_keyring(aws_env: Any,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[keyring_session.KeyringSession]:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    # credential_process must run this venv's `gangway`.
    monkeypatch.setenv("PATH", os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]))
    session = keyring_session.start(aws_env.home, dict(os.environ))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    try:
        yield session
    finally:
        keyring.set_keyring(previous)
        session.stop()


def test_protect_then_restore_keys(qtbot: Any, aws_env: Any, real_keyring: Any) -> None:
    store = open_secret_store()
    assert store.real
    service = CredentialService(store)
    tasks = TaskRunner()
    pane = ProfilesPane(service, ProfileWriter(store), tasks, MfaBroker(service),
                        CredentialsBridge(), keyring_real=store.real)
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.loaded, timeout=15000):
            pane.reload()
        assert not pane.keyring_frame.isVisibleTo(pane)  # a real keyring: no notice
        alice = aws_env.sandbox.identities["default"]
        pane.select("default")
        assert pane.actions_by_name["protect"].isEnabled()
        assert not pane.actions_by_name["restore"].isEnabled()
        with qtbot.waitSignal(pane.loaded, timeout=20000):
            pane.actions_by_name["protect"].trigger()
        assert alice.secret_access_key not in aws_env.credentials_file.read_text()
        profile = load_profiles().get("default")
        assert profile is not None and profile.kind is ProfileKind.PROTECTED
        assert pane.selected_name() == "default"
        assert pane.actions_by_name["restore"].isEnabled()
        # botocore runs the credential_process line the pane wrote: the keys come back.
        import botocore.session

        creds = botocore.session.Session(profile="default").get_credentials()
        assert creds is not None and creds.access_key == alice.access_key_id

        with qtbot.waitSignal(pane.loaded, timeout=20000):
            pane.actions_by_name["restore"].trigger()
        assert alice.secret_access_key in aws_env.credentials_file.read_text()
        restored = load_profiles().get("default")
        assert restored is not None and restored.kind is ProfileKind.STATIC
    finally:
        tasks.shutdown()


def test_locked_keyring_is_said_plainly(qtbot: Any, aws_env: Any, real_keyring: Any) -> None:
    store = open_secret_store()
    service = CredentialService(store)
    tasks = TaskRunner()
    broker = MfaBroker(service)
    pane = ProfilesPane(service, ProfileWriter(store), tasks, broker, CredentialsBridge(),
                        keyring_real=store.real)
    qtbot.addWidget(pane)
    try:
        real_keyring.lock()
        with qtbot.waitSignal(pane.loaded, timeout=20000):
            pane.reload()
        model = pane.model
        state = str(model.data(model.index(model.row_of("mfa"), 4)))
        assert state.startswith("unknown: ") and "locked" in state, state
        pane.select("default")
        with qtbot.waitSignal(pane.operation_failed, timeout=20000):
            pane.actions_by_name["protect"].trigger()
        assert "locked" in pane.message_label.text()
        alice = aws_env.sandbox.identities["default"]
        assert alice.secret_access_key in aws_env.credentials_file.read_text()  # kept
    finally:
        broker.cancel_all()
        tasks.shutdown()


def test_first_run_add_keys_puts_them_straight_into_the_keyring(
        qtbot: Any, aws_env: Any, real_keyring: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    store = open_secret_store()
    service = CredentialService(store)
    tasks = TaskRunner()
    pane = ProfilesPane(service, ProfileWriter(store), tasks, MfaBroker(service),
                        CredentialsBridge())
    qtbot.addWidget(pane)
    try:
        with qtbot.waitSignal(pane.loaded, timeout=15000):
            pane.reload()
        assert pane.stack.currentWidget() is pane.guide
        pane.show()
        qtbot.mouseClick(pane.guide.buttons["keys"], Qt.MouseButton.LeftButton)
        editor = pane.editor
        assert editor.kind.currentText() == "Access keys"
        alice = aws_env.sandbox.identities["default"]
        qtbot.keyClicks(editor.name, "work")
        qtbot.keyClicks(editor.key_id, alice.access_key_id)
        qtbot.keyClicks(editor.secret, alice.secret_access_key)
        with qtbot.waitSignal(pane.loaded, timeout=20000):
            editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert pane.stack.currentWidget() is pane.table
        assert "keyring" in pane.message_label.text()
        assert alice.secret_access_key not in credentials.read_text()
        profile = load_profiles().get("work")
        assert profile is not None and profile.kind is ProfileKind.PROTECTED
        import botocore.session

        creds = botocore.session.Session(profile="work").get_credentials()
        assert creds is not None and creds.secret_key == alice.secret_access_key
    finally:
        tasks.shutdown()
