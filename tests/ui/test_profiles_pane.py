"""The Profiles pane with real core services on the sandbox's AWS files and STS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app.core.aws.credentials.service import CredentialService
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.view import load_view
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import MemoryStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.mfa_broker import MfaBroker
from app.ui.models.profiles_model import (
    COL_ACCOUNT,
    COL_KIND,
    COL_NAME,
    COL_STATE,
    ProfilesModel,
)
from app.ui.panes.profiles_pane import KEYRING_NOTICE, ProfilesPane
from app.ui.tasks import TaskRunner

HOSTILE = '<b>bold</b> & <img src=x> ü'


class Env:
    def __init__(self, qtbot: Any, aws_env: Any, notes: list[tuple[str, str]]) -> None:
        self.store = MemoryStore()
        self.service = CredentialService(self.store)
        self.tasks = TaskRunner()
        self.broker = MfaBroker(self.service)
        self.service.prompt = self.broker.prompt
        self.expiry = CredentialsBridge()
        self.expiry.expiring.connect(lambda t, x: notes.append((t, x)))
        self.pane = ProfilesPane(self.service, ProfileWriter(self.store), self.tasks,
                                 self.broker, self.expiry, keyring_real=self.store.real)
        qtbot.addWidget(self.pane)
        self.pane.resize(1000, 600)
        self.pane.show()
        self.qtbot = qtbot
        self.aws = aws_env

    def reload(self) -> None:
        with self.qtbot.waitSignal(self.pane.loaded, timeout=15000):
            self.pane.reload()

    def state(self, name: str) -> str:
        model = self.pane.model
        return str(model.data(model.index(model.row_of(name), COL_STATE)))

    def names(self) -> list[str]:
        return [r.name for r in self.pane.model.rows()]


@pytest.fixture
def notes() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def env(qtbot: Any, aws_env: Any, notes: list[tuple[str, str]]) -> Env:
    e = Env(qtbot, aws_env, notes)
    e.reload()
    yield e
    e.broker.cancel_all()
    e.tasks.shutdown()


def test_model_passes_qtmodeltester(qtmodeltester: Any, aws_env: Any) -> None:
    model = ProfilesModel()
    view = load_view(CredentialService(MemoryStore()))
    model.set_rows(view.rows)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == len(view.rows) > 5


def test_lists_every_sandbox_profile_with_its_state(env: Env) -> None:
    assert set(env.aws.sandbox.profiles) <= set(env.names())
    env.qtbot.waitUntil(lambda: env.state("default") == "valid", timeout=20000)  # quiet check
    assert env.state("mfa") == "needs MFA"
    assert env.state("sso") == "needs SSO login"
    model = env.pane.model
    assert model.data(model.index(model.row_of("role"), COL_ACCOUNT)) == "123456789012"
    assert env.pane.stack.currentWidget() is env.pane.table
    # MemoryStore: the honest notice, and no Protect keys.
    assert env.pane.keyring_frame.isVisible()
    assert env.pane.keyring_label.text() == KEYRING_NOTICE
    env.pane.select("default")
    assert not env.pane.actions_by_name["protect"].isEnabled()


def test_enter_mfa_code_makes_state_valid_until(env: Env) -> None:
    assert env.pane.select("mfa")
    action = env.pane.actions_by_name["mfa"]
    assert action.isEnabled()
    action.trigger()
    env.qtbot.waitUntil(lambda: env.broker.open_dialog("mfa") is not None, timeout=15000)
    dialog = env.broker.open_dialog("mfa")
    assert dialog is not None
    env.qtbot.keyClicks(dialog.code, env.aws.sandbox.totp())
    with env.qtbot.waitSignal(env.pane.loaded, timeout=20000):
        env.qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert env.state("mfa").startswith("valid until "), env.state("mfa")
    assert "left)" in env.state("mfa")


def test_check_identity_fills_account_column(env: Env) -> None:
    env.pane.select("default")
    env.pane.actions_by_name["identity"].trigger()
    model = env.pane.model
    env.qtbot.waitUntil(lambda: "alice" in str(model.data(
        model.index(model.row_of("default"), COL_ACCOUNT))), timeout=20000)
    assert str(model.data(model.index(model.row_of("default"), COL_ACCOUNT))).startswith(
        "123456789012")


def test_identity_error_is_worded(env: Env) -> None:
    env.pane.select("unknown")  # keys STS does not know: InvalidClientTokenId
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=20000):
        env.pane.actions_by_name["identity"].trigger()
    assert env.pane.message_label.isVisible()
    assert env.pane.message_label.text() == (
        "Checking profile 'unknown': AWS rejected the credentials (InvalidClientTokenId: The "
        "security token included in the request is invalid.). AWS does not take these keys "
        "(deleted, deactivated or mistyped): create new access keys in IAM and enter them in "
        "the profile.")


def test_hostile_names_are_plain_text(env: Env) -> None:
    with env.aws.config_file.open("a", encoding="utf-8") as f:
        f.write(f'\n[profile "{HOSTILE}"]\nregion = eu-west-1\n')
    env.reload()
    assert HOSTILE in env.names()
    model = env.pane.model
    row = model.row_of(HOSTILE)
    assert model.data(model.index(row, COL_NAME)) == HOSTILE
    tip = str(model.data(model.index(row, COL_NAME), Qt.ItemDataRole.ToolTipRole))
    assert "<b>" not in tip and "&lt;b&gt;" in tip  # escaped, shown literally
    env.pane.select(HOSTILE)
    env.pane.actions_by_name["delete"].trigger()
    box = env.pane.confirm_box
    assert box.textFormat() == Qt.TextFormat.PlainText and HOSTILE in box.text()
    with env.qtbot.waitSignal(env.pane.loaded, timeout=15000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert HOSTILE not in env.names()
    assert HOSTILE not in load_profiles()


def test_malformed_file_banner_keeps_other_profiles(env: Env) -> None:
    text = env.aws.config_file.read_text()
    env.aws.config_file.write_text(text + "\nthis line is broken\n[profile mfa]\nregion = x\n")
    env.reload()
    pane = env.pane
    assert pane.problems_frame.isVisible()
    problems = pane.problems_label.text()
    assert pane.problems_label.textFormat() == Qt.TextFormat.PlainText
    lines = len(text.splitlines())
    assert f"{env.aws.config_file}:{lines + 2}:" in problems
    assert "appears twice" in problems
    assert set(env.aws.sandbox.profiles) <= set(env.names())


def test_bad_encoding_is_named_and_profiles_still_load(env: Env) -> None:
    env.aws.credentials_file.write_bytes(env.aws.credentials_file.read_bytes() + b"\n# \xff\xfe\n")
    env.reload()
    assert str(env.aws.credentials_file) in env.pane.problems_label.text()
    assert "default" in env.names()


def test_file_changed_on_disk_is_refused_with_reload(env: Env) -> None:
    env.aws.config_file.write_text(env.aws.config_file.read_text()
                                   + "\n[profile added-elsewhere]\nregion = eu-west-1\n")
    before = env.aws.config_file.read_text()
    env.pane.select("default")
    # As a user does it: Duplicate, type a name, press Enter.
    env.pane.actions_by_name["duplicate"].trigger()
    dialog = env.pane.name_dialog
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    env.qtbot.keyClicks(edit, "copy-of-default")
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=15000):
        env.qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert env.pane.changed_frame.isVisible()
    assert "changed by another program" in env.pane.changed_label.text()
    assert env.aws.config_file.read_text() == before  # nothing was written
    with env.qtbot.waitSignal(env.pane.loaded, timeout=15000):
        env.pane.changed_reload.click()
    assert not env.pane.changed_frame.isVisible()
    assert "added-elsewhere" in env.names()


def test_no_profiles_shows_the_first_run_guide(qtbot: Any, aws_env: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none-credentials"))
    e = Env(qtbot, aws_env, [])
    try:
        e.reload()
        assert e.pane.stack.currentWidget() is e.pane.guide  # tests/ui/test_first_run.py
        assert set(e.pane.guide.buttons) == {"sso", "keys", "open"}
        assert not e.pane.problems_frame.isVisible()
    finally:
        e.tasks.shutdown()


def test_expiry_notification_once(env: Env, notes: list[tuple[str, str]]) -> None:
    env.aws.sandbox.control.expire_credentials(all=True, cap_seconds=240)
    env.pane.select("mfa")
    env.pane.enter_mfa()
    env.qtbot.waitUntil(lambda: env.broker.open_dialog("mfa") is not None, timeout=15000)
    dialog = env.broker.open_dialog("mfa")
    assert dialog is not None
    env.qtbot.keyClicks(dialog.code, env.aws.sandbox.totp())
    with env.qtbot.waitSignal(env.pane.loaded, timeout=20000):
        dialog.ok_button.click()
    env.expiry.tick()
    env.expiry.tick()
    assert len(notes) == 1 and "mfa" in notes[0][0]
    assert env.service.status("mfa").expires is not None


def model_chip(env: Env, name: str) -> Any:
    model = env.pane.model
    icon = model.data(model.index(model.row_of(name), COL_STATE), Qt.ItemDataRole.DecorationRole)
    return icon.pixmap(16).toImage()


def test_tray_section_lists_remaining_time(env: Env) -> None:
    from PySide6.QtWidgets import QMenu

    from app.ui.tray import credentials_section

    menu = QMenu()
    credentials_section(env.expiry)(menu)
    texts = [a.text() for a in menu.actions()]
    assert "mfa: needs MFA" in texts
    assert any(t.startswith("sso: needs SSO login") for t in texts)
    # Each line wears the Profiles pane's chip: an amber one for "needs MFA".
    mfa = next(a for a in menu.actions() if a.text() == "mfa: needs MFA")
    assert not mfa.icon().isNull() and mfa.icon().pixmap(16).toImage() == model_chip(env, "mfa")


def test_protected_profile_kind_in_list(env: Env) -> None:
    """A profile whose keys Gangway protects (its own credential_process) is listed as such."""
    from app.core.aws.profiles.names import credential_process_value

    with env.aws.config_file.open("a") as f:
        f.write("\n[profile vault]\nregion = eu-west-1\n"
                f"credential_process = {credential_process_value('vault')}\n")
    env.reload()
    model = env.pane.model
    assert model.data(model.index(model.row_of("vault"), COL_KIND)) == "protected keys"
    assert model.data(model.index(model.row_of("mfa"), COL_KIND)) == "static keys + MFA"
    assert model.data(model.index(model.row_of("default"), COL_KIND)) == "static keys"
    env.pane.select("vault")
    assert env.pane.actions_by_name["restore"].isEnabled()
    assert not env.pane.actions_by_name["protect"].isEnabled()


def test_settings_change_durations_for_the_next_code(qtbot: Any, aws_env: Any,
                                                     tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from app.core.settings import SettingsStore
    from app.ui.dialogs.settings_dialog import SettingsDialog

    settings = SettingsStore(tmp_path / "settings.json")
    e = Env(qtbot, aws_env, [])
    e.pane.settings = settings
    try:
        e.reload()
        assert e.pane.actions_by_name["settings"].isEnabled()
        e.pane.actions_by_name["settings"].trigger()
        dialog = e.pane.settings_dialog
        assert isinstance(dialog, SettingsDialog)
        assert dialog.session_hours.value() == 12 and dialog.role_hours.value() == 1
        dialog.session_hours.setValue(2)
        dialog.buttons.accepted.emit()
        assert settings.load().credentials.session_token_hours == 2
        assert e.service.durations.session_token == 2 * 3600
        e.pane.enter_mfa("mfa")
        qtbot.waitUntil(lambda: e.broker.open_dialog("mfa") is not None, timeout=15000)
        mfa = e.broker.open_dialog("mfa")
        assert mfa is not None
        qtbot.keyClicks(mfa.code, aws_env.sandbox.totp())
        with qtbot.waitSignal(e.pane.loaded, timeout=20000):
            mfa.ok_button.click()
        expires = e.service.status("mfa").expires
        assert expires is not None
        left = (expires - datetime.now(UTC)).total_seconds()
        assert 3600 < left <= 2 * 3600  # the sandbox honours DurationSeconds
    finally:
        e.tasks.shutdown()


def test_duplicate_and_rename_through_the_name_dialog(env: Env) -> None:
    env.pane.select("role")
    env.pane.actions_by_name["duplicate"].trigger()
    dialog = env.pane.name_dialog
    assert dialog.textValue() == "role-copy"
    dialog.setTextValue("role copy ü")
    with env.qtbot.waitSignal(env.pane.loaded, timeout=15000):
        dialog.accept()
    copy = load_profiles().get("role copy ü")
    assert copy is not None and copy.get("role_arn") == env.aws.sandbox.operator_role_arn
    assert env.pane.selected_name() == "role copy ü"

    env.pane.actions_by_name["rename"].trigger()
    env.pane.name_dialog.setTextValue("bad\tname")
    env.pane.name_dialog.accept()
    assert "tabs" in env.pane.message_label.text()
    assert "role copy ü" in load_profiles()

    env.pane.actions_by_name["rename"].trigger()
    env.pane.name_dialog.setTextValue("ops")
    with env.qtbot.waitSignal(env.pane.loaded, timeout=15000):
        env.pane.name_dialog.accept()
    profiles = load_profiles()
    assert "ops" in profiles and "role copy ü" not in profiles
    assert "ops" in env.names()


def test_network_down_is_worded(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    env.pane.select("jumpbox-only")
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=60000) as blocker:
        env.pane.actions_by_name["identity"].trigger()
    from app.core.errors import NetworkError

    assert isinstance(blocker.args[0], NetworkError)
    assert env.pane.message_label.text().startswith(blocker.args[0].message)


def test_pasted_temporary_keys_are_not_called_valid(env: Env) -> None:
    # The quiet first check finds STS refusing the token: "expired", advice for pasted keys.
    env.qtbot.waitUntil(lambda: env.state("expired") == "expired", timeout=20000)
    model = env.pane.model
    tip = str(model.data(model.index(model.row_of("expired"), COL_STATE),
                         Qt.ItemDataRole.ToolTipRole))
    assert "temporary keys pasted into the file" in tip and "MFA" not in tip
    env.pane.select("expired")  # STS says the token expired: the check says so plainly
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=20000):
        env.pane.actions_by_name["identity"].trigger()
    assert "expired" in env.pane.message_label.text().lower()
    assert "MFA" not in env.pane.message_label.text()  # it has no MFA device


def test_rejected_keys_never_show_valid(env: Env) -> None:
    # "unknown": keys STS does not know. Shown once, checked quietly, never "valid".
    assert env.state("unknown") in ("keys not checked yet", "broken: AWS rejected the keys")
    env.qtbot.waitUntil(lambda: env.state("unknown") == "broken: AWS rejected the keys",
                        timeout=20000)
    assert not env.pane.message_label.isVisible()  # quietly
    model = env.pane.model
    tip = str(model.data(model.index(model.row_of("unknown"), COL_STATE),
                         Qt.ItemDataRole.ToolTipRole))
    assert "create new access keys" in tip


def test_a_refused_check_identity_updates_the_row(env: Env) -> None:
    env.qtbot.waitUntil(lambda: env.state("default") == "valid", timeout=20000)
    creds = env.aws.credentials_file
    secret = env.aws.sandbox.identities["default"].secret_access_key
    creds.write_text(creds.read_text().replace(secret, "wrong" + secret[5:], 1))
    env.pane.select("default")
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=20000):
        env.pane.actions_by_name["identity"].trigger()
    assert "rejected" in env.pane.message_label.text()
    env.qtbot.waitUntil(lambda: env.state("default") == "broken: AWS rejected the keys",
                        timeout=20000)


def test_cli_and_window_word_every_state_alike(env: Env) -> None:
    import json
    import subprocess
    import sys

    for name in ("default", "unknown", "expired", "jumpbox-only"):
        env.qtbot.waitUntil(lambda name=name: env.state(name) != "keys not checked yet",
                            timeout=20000)
    done = subprocess.run([sys.executable, "-m", "app", "profiles", "--json", "--check"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    cli = {p["name"]: p["state_text"] for p in json.loads(done.stdout)["profiles"]}
    window = {name: env.state(name) for name in env.names()}
    assert cli == window
    assert cli["role"] == "obtained when used" and cli["expired"] == "expired"


def test_name_dialog_shows_hostile_name_as_plain_text(env: Env) -> None:
    from PySide6.QtWidgets import QLabel

    with env.aws.config_file.open("a", encoding="utf-8") as f:
        f.write(f'\n[profile "{HOSTILE}"]\nregion = eu-west-1\n')
    env.reload()
    env.pane.select(HOSTILE)
    env.pane.actions_by_name["rename"].trigger()
    labels = [w for w in env.pane.name_dialog.findChildren(QLabel) if HOSTILE in w.text()]
    assert labels and all(w.textFormat() == Qt.TextFormat.PlainText for w in labels)
    env.pane.name_dialog.reject()


def test_remaining_time_is_reworded_on_tick(env: Env) -> None:
    from datetime import UTC, datetime, timedelta

    from app.core.aws.credentials.types import CredentialState, CredentialStatus
    from app.core.aws.profiles.view import ProfileRow
    from app.ui.bridges.credentials import TICK_MS

    env.expiry.start()
    assert env.expiry.timer.interval() == TICK_MS == 30_000 and env.expiry.timer.isActive()
    now = datetime.now(UTC)
    view = env.pane.view
    assert view is not None
    mfa = next(r for r in view.rows if r.name == "mfa")
    status = CredentialStatus(CredentialState.VALID_UNTIL, now + timedelta(hours=2, minutes=5))
    env.pane.model.replace_row(ProfileRow(mfa.profile, status))
    model, row = env.pane.model, env.pane.model.row_of("mfa")
    index = model.index(row, COL_STATE)
    env.pane.tick(now)
    assert model.data(index).endswith("(2 h 05 min left)")
    env.pane.tick(now + timedelta(hours=2))
    assert model.data(index).endswith("(5 min left)")
    assert model.data(index, Qt.ItemDataRole.ForegroundRole) is None
    env.pane.tick(now + timedelta(hours=3))
    assert model.data(index) == "expired"
    assert model.data(index, Qt.ItemDataRole.ForegroundRole) is not None


def test_keyring_is_probed_in_the_first_load_not_at_construction(qtbot: Any,
                                                                  aws_env: Any) -> None:
    from app.core.lazy_store import LazySecretStore

    store = LazySecretStore(MemoryStore)
    service = CredentialService(store)
    tasks = TaskRunner()
    pane = ProfilesPane(service, ProfileWriter(store), tasks, MfaBroker(service),
                        CredentialsBridge())
    qtbot.addWidget(pane)
    try:
        assert not store.opened and not pane.keyring_frame.isVisibleTo(pane)
        with qtbot.waitSignal(pane.loaded, timeout=15000):
            pane.reload()
        assert store.opened and pane.keyring_real is False
        assert pane.keyring_frame.isVisibleTo(pane)
        with pytest.raises(AttributeError):
            store.real = True
    finally:
        tasks.shutdown()


def test_role_with_mfa_asks_once_for_the_role(env: Env) -> None:
    env.pane.select("role-mfa")
    env.pane.actions_by_name["mfa"].trigger()
    env.qtbot.waitUntil(lambda: env.broker.open_dialog("role-mfa") is not None, timeout=15000)
    dialog = env.broker.open_dialog("role-mfa")
    assert dialog is not None
    assert dialog.role_label.text() == env.aws.sandbox.admin_role_arn
    env.qtbot.keyClicks(dialog.code, env.aws.sandbox.totp())
    with env.qtbot.waitSignal(env.pane.loaded, timeout=20000):
        dialog.ok_button.click()
    assert env.state("role-mfa").startswith("valid until ")
    assert env.broker.dialogs_shown == 1


def test_filter_narrows_the_profiles_list(env: Env) -> None:
    pane = env.pane
    env.qtbot.keyClicks(pane.filter_edit, "MFA")
    shown = {pane.proxy.index(i, COL_NAME).data() for i in range(pane.proxy.rowCount())}
    assert shown == {"mfa", "role-mfa"}  # by name and by kind ("assume role + MFA")
    pane.filter_edit.clear()
    assert pane.proxy.rowCount() == len(env.names())


def test_messages_go_to_the_status_bar_and_the_table_stays_put(env: Env, tmp_path: Path) -> None:
    from app.core.paths import Paths
    from app.ui.main_window import MainWindow

    window = MainWindow(Paths.for_root(tmp_path / "gw"), [("Profiles", env.pane)])
    env.qtbot.addWidget(window)
    window.show()
    env.pane.status_sink = window.show_message
    top = env.pane.table.mapTo(window, env.pane.table.rect().topLeft())
    env.pane.select("unknown")
    with env.qtbot.waitSignal(env.pane.operation_failed, timeout=20000):
        env.pane.actions_by_name["identity"].trigger()
    message = window.statusBar().currentMessage()
    assert message.startswith("Problem: ") and "Traceback" not in message
    assert not env.pane.message_label.isVisible()
    assert env.pane.table.mapTo(window, env.pane.table.rect().topLeft()) == top


def test_state_chips_have_a_colour_and_an_icon(env: Env) -> None:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus
    from app.ui.models.profiles_model import state_kind

    # "expired" no longer shares "needs MFA"'s look.
    assert state_kind(CredentialStatus(CredentialState.EXPIRED), None) == "missing"
    assert state_kind(CredentialStatus(CredentialState.NEEDS_MFA), None) == "warn"
    assert state_kind(CredentialStatus(CredentialState.VALID), None) == "ok"
    model = env.pane.model

    def chip(name: str) -> tuple[Any, Any]:
        index = model.index(model.row_of(name), COL_STATE)
        brush = model.data(index, Qt.ItemDataRole.ForegroundRole)
        icon = model.data(index, Qt.ItemDataRole.DecorationRole)
        return (brush.color().name() if brush else None), icon.pixmap(16).toImage()

    mfa_colour, mfa_icon = chip("mfa")
    valid_colour, valid_icon = chip("default")
    assert mfa_colour is not None and valid_colour is None  # only what needs acting on
    assert not mfa_icon.isNull() and not valid_icon.isNull()
    assert mfa_icon != valid_icon  # a different shape, not only a different colour
    # On a selected row the chip is drawn in the highlighted text colour, not sunk into it.
    from PySide6.QtGui import QIcon

    selected = model.data(model.index(model.row_of("mfa"), COL_STATE),
                          Qt.ItemDataRole.DecorationRole).pixmap(16, QIcon.Mode.Selected)
    assert selected.toImage() != mfa_icon


def test_a_profile_without_credentials_has_no_state_chip(qapp: Any) -> None:
    from app.core.aws.credentials.types import CredentialState, CredentialStatus
    from app.core.aws.profiles.model import Profile, ProfileKind
    from app.core.aws.profiles.view import ProfileRow
    from app.ui.models.profiles_model import ProfilesModel

    model = ProfilesModel()
    settings_only = Profile("defaults", ProfileKind.NONE, "eu-west-1", {"region": "eu-west-1"})
    keys = Profile("keys", ProfileKind.STATIC, "eu-west-1", {"aws_access_key_id": "***"})
    model.set_rows([ProfileRow(settings_only, CredentialStatus(CredentialState.VALID)),
                    ProfileRow(keys, CredentialStatus(CredentialState.VALID))])
    deco = Qt.ItemDataRole.DecorationRole
    assert model.index(0, COL_STATE).data() == ""
    assert model.index(0, COL_STATE).data(deco) is None  # nothing to be valid: no green tick
    assert model.index(1, COL_STATE).data() == "valid"
    assert not model.index(1, COL_STATE).data(deco).isNull()


def test_toolbar_has_the_everyday_actions_with_icons_and_the_rest_under_more(env: Env) -> None:
    pane = env.pane
    shown = [a.text() for a in pane.toolbar.actions() if a.text() and not a.isSeparator()]
    assert shown == ["New", "Edit", "Delete", "Enter MFA code", "SSO login", "Check identity",
                     "Reload", "Settings…"]
    assert all(not a.icon().isNull() for a in pane.toolbar.actions() if a.text())
    more = [a.text() for a in pane.more_menu.actions() if not a.isSeparator()]
    assert more == ["Duplicate", "Rename", "Protect keys", "Restore keys"]
    assert pane.more_button.menu() is pane.more_menu
