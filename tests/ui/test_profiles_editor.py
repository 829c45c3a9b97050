"""The profile editor: inline validation, and what it writes is read by botocore and STS."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from app.core.aws.credentials.service import CredentialService
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import MemoryStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.dialogs.profile_editor import KIND_ROLE, KIND_SSO, ProfileEditor
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
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.loaded, timeout=15000):
        p.reload()
    yield p
    tasks.shutdown()


def _new(pane: ProfilesPane) -> ProfileEditor:
    pane.actions_by_name["new"].trigger()
    editor = pane.editor
    assert isinstance(editor, ProfileEditor) and editor.isVisible()
    return editor


def test_invalid_fields_get_inline_messages(qtbot: Any, pane: ProfilesPane) -> None:
    editor = _new(pane)
    editor.name.setText("bad[name]")
    editor.key_id.setText("abc")
    editor.region.setCurrentText("Europe")
    editor.buttons.accepted.emit()
    assert editor.isVisible()  # not saved
    assert "brackets" in editor.error_for(editor.name)
    assert "AKIA" in editor.error_for(editor.key_id)
    assert editor.error_for(editor.secret) == "Required."
    assert "region" in editor.error_for(editor.region).lower()
    editor.name.setText("default")
    editor.buttons.accepted.emit()
    assert "already exists" in editor.error_for(editor.name)
    editor.reject()


def test_role_needs_a_source_and_a_role_arn(qtbot: Any, pane: ProfilesPane) -> None:
    editor = _new(pane)
    editor.name.setText("ops")
    editor.kind.setCurrentIndex(KIND_ROLE)
    editor.role_arn.setText("arn:aws:iam::12:role/x")
    editor.source.setCurrentIndex(0)
    editor.duration.setValue(300)
    editor.buttons.accepted.emit()
    assert "role ARN" in editor.error_for(editor.role_arn)
    assert editor.error_for(editor.source)
    assert "900" in editor.error_for(editor.duration)
    editor.kind.setCurrentIndex(KIND_SSO)
    editor.sso_account.setText("12345")
    editor.buttons.accepted.emit()
    assert "12 digits" in editor.error_for(editor.sso_account)
    editor.reject()


def test_static_keys_with_spaces_and_non_ascii_name_work_with_sts(
        qtbot: Any, pane: ProfilesPane, aws_env: Any) -> None:
    alice = aws_env.sandbox.identities["default"]
    editor = _new(pane)
    assert editor.secret.echoMode() == QLineEdit.EchoMode.Password
    editor.name.setText("prod admin ü")
    editor.key_id.setText(alice.access_key_id)
    editor.secret.setText(alice.secret_access_key)
    editor.region.setCurrentText("eu-west-1")
    with qtbot.waitSignal(pane.loaded, timeout=15000):
        editor.buttons.accepted.emit()
    assert pane.selected_name() == "prod admin ü"
    profile = load_profiles().get("prod admin ü")
    assert profile is not None and profile.kind is ProfileKind.STATIC
    assert profile.region == "eu-west-1"
    for path in (aws_env.config_file, aws_env.credentials_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert '[profile "prod admin ü"]' in aws_env.config_file.read_text(encoding="utf-8")
    # botocore's own reading of the files accepts it, and STS knows the keys.
    import botocore.session

    creds = botocore.session.Session(profile="prod admin ü").get_credentials()
    assert creds is not None and creds.access_key == alice.access_key_id
    ident = CredentialService(MemoryStore()).identity("prod admin ü")
    assert ident.arn.endswith("user/alice")


def test_role_profile_written_and_assumable(qtbot: Any, pane: ProfilesPane,
                                            aws_env: Any) -> None:
    editor = _new(pane)
    editor.name.setText("operator")
    editor.kind.setCurrentIndex(KIND_ROLE)
    editor.role_arn.setText(aws_env.sandbox.operator_role_arn)
    editor.source.setCurrentIndex(editor.source.findData("default"))
    editor.session_name.setText("gangway-test")
    with qtbot.waitSignal(pane.loaded, timeout=15000):
        editor.buttons.accepted.emit()
    profile = load_profiles().get("operator")
    assert profile is not None and profile.kind is ProfileKind.ASSUME_ROLE
    assert profile.get("source_profile") == "default"
    assert profile.get("duration_seconds") is None
    ident = CredentialService(MemoryStore()).identity("operator")
    assert "gangway-operator" in ident.arn


def test_edit_keeps_secret_and_unknown_keys_and_renames(qtbot: Any, pane: ProfilesPane,
                                                        aws_env: Any) -> None:
    with aws_env.config_file.open("a") as f:
        f.write("\n[profile keep]\nregion = us-east-1\ncli_pager = less\n")
    with aws_env.credentials_file.open("a") as f:
        f.write("\n[keep]\naws_access_key_id = AKIAKEEPKEEPKEEP0001\n"
                "aws_secret_access_key = keep/secret/0000000000000000000000000001\n")
    with qtbot.waitSignal(pane.loaded, timeout=15000):
        pane.reload()
    pane.select("keep")
    pane.actions_by_name["edit"].trigger()
    editor = pane.editor
    assert editor.secret.text() == "" and editor.secret.placeholderText() == "unchanged"
    assert editor.key_id.text() == "AKIAKEEPKEEPKEEP0001"
    editor.name.setText("kept")
    editor.region.setCurrentText("eu-central-1")
    with qtbot.waitSignal(pane.loaded, timeout=15000):
        editor.buttons.accepted.emit()
    profiles = load_profiles()
    assert "keep" not in profiles
    kept = profiles.get("kept")
    assert kept is not None and kept.region == "eu-central-1"
    assert kept.get("cli_pager") == "less"
    assert profiles.file_keys("kept") == ("AKIAKEEPKEEPKEEP0001",
                                          "keep/secret/0000000000000000000000000001", None)


def test_the_dialog_fits_the_kind_shown(qtbot: Any) -> None:
    """No dead space under a short kind; the role's last field keeps clear of the buttons."""
    editor = ProfileEditor(["default"])
    qtbot.addWidget(editor)
    editor.show()
    qtbot.wait(50)
    keys_height = editor.height()
    editor.kind.setCurrentIndex(KIND_ROLE)
    qtbot.waitUntil(lambda: editor.height() != keys_height, timeout=2000)
    role_height = editor.height()
    assert role_height > keys_height + 60  # four more rows, and the keys page had no gap
    last = editor.session_name
    bottom = last.mapTo(editor, last.rect().bottomLeft()).y()
    assert editor.buttons.geometry().top() - bottom >= 8
    editor.kind.setCurrentIndex(0)
    qtbot.waitUntil(lambda: editor.height() == keys_height, timeout=2000)
