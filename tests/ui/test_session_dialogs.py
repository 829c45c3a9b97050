"""SSH options, SCP and terminal settings dialogs: validation, hostile text, remembered choices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from app.core.paths import Paths
from app.core.settings import SessionSettings, SettingsStore
from app.core.ssh.argv import SshArgumentError
from app.core.ssh.prefs import SshPrefs, SshPrefsStore, parse_extra_options
from app.core.ssh.proxycommand import Mode
from app.core.store import JsonStore
from app.ui.dialogs.scp_dialog import ScpDialog, human_size
from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog
from app.ui.dialogs.terminal_settings import TerminalSettingsDialog
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import make_row
from tests.ui.session_factory import make_actions

LONG_HOSTILE = "<b>bold</b> $(touch /tmp/pwned) " + "n" * 255


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.for_root(tmp_path / "gw").ensure()


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    r = TaskRunner()
    yield r  # type: ignore[misc]
    r.shutdown()


# --- extra options ---------------------------------------------------------------------------

def test_extra_options_are_split_like_a_shell() -> None:
    assert parse_extra_options("") == ()
    assert parse_extra_options("-o ServerAliveInterval=30 -oCompression=yes "
                               "'SetEnv=A=b c'") == (
        "ServerAliveInterval=30", "Compression=yes", "SetEnv=A=b c")


@pytest.mark.parametrize("text", [
    "-o ProxyCommand=sh", "-oProxyCommand=sh", "-o 'proxycommand nc %h %p'",
    "LocalCommand=touch /tmp/x", "-o PermitLocalCommand=yes", "-o ProxyJump=evil",
    "-o KnownHostsCommand=/bin/sh", "-o Match=exec", "-o PKCS11Provider=/tmp/x.so",
])
def test_options_that_run_local_commands_are_refused(text: str) -> None:
    with pytest.raises(SshArgumentError, match="not allowed"):
        parse_extra_options(text)


@pytest.mark.parametrize(("text", "match"), [
    ("-o 'unclosed", "cannot be read"),
    ("-A", "only ssh options"),
    ("-o", "needs an option"),
    ("-o 'Key=a\nb'", "line break"),
    ("-o =x", "not an ssh option"),
])
def test_malformed_extra_options_say_why(text: str, match: str) -> None:
    with pytest.raises(SshArgumentError, match=match):
        parse_extra_options(text)


def test_prefs_store_per_instance_then_profile_and_survives_corruption(tmp_path: Path) -> None:
    store = SshPrefsStore(tmp_path)
    assert store.get("p", "r", "i-1") == SshPrefs()
    store.put("p", "r", "i-1", SshPrefs(user="a", port=2200, use_agent=True))
    store.put("p", "r", "i-2", SshPrefs(user="b"))
    assert store.get("p", "r", "i-1").user == "a"
    assert store.get("p", "r", "i-3").user == "b"  # the profile's last choice
    assert store.get("other", "r", "i-1") == SshPrefs()
    (tmp_path / "ssh_options.json").write_text("{not json")
    assert store.get("p", "r", "i-1") == SshPrefs()  # corrupt file kept aside, not fatal
    assert list(tmp_path.glob("ssh_options.json.corrupt-*"))
    (tmp_path / "ssh_options.json").write_text(json.dumps(
        {"instances": {"p\x1fr\x1fi-1": {"user": 5, "port": "x"}}}))
    assert store.get("p", "r", "i-1").port == 22


def test_prefs_validation(tmp_path: Path) -> None:
    with pytest.raises(SshArgumentError, match="not a valid login name"):
        SshPrefs(user="-oProxyCommand=x").validate()
    with pytest.raises(SshArgumentError, match="No key file"):
        SshPrefs(use_agent=False).validate()
    with pytest.raises(SshArgumentError, match="does not exist"):
        SshPrefs(use_agent=False, identity_file=str(tmp_path / "missing")).validate()
    with pytest.raises(SshArgumentError, match="out of range"):
        SshPrefs(port=70000).validate()
    opts = SshPrefs(user="ubuntu", extra="-o ServerAliveInterval=5").validate()
    assert opts.user == "ubuntu" and opts.identity_file is None
    assert opts.extra_options == ("ServerAliveInterval=5",)


# --- SSH options dialog ----------------------------------------------------------------------

def make_dialog(qtbot: QtBot, paths: Paths, runner: TaskRunner, name: str = LONG_HOSTILE,
                mode: Mode = Mode.BUILTIN) -> SshOptionsDialog:
    from app.core.actions import Action

    actions = make_actions(paths, runner, mode=mode)
    row = make_row(name, n=21)
    dlg = SshOptionsDialog(row, actions.target(row), mode, Action.SSH, SshPrefs(),
                           gangway=actions.gangway)
    qtbot.addWidget(dlg)
    return dlg


def test_hostile_long_name_is_plain_and_elided(qtbot: QtBot, paths: Paths,
                                               runner: TaskRunner) -> None:
    dlg = make_dialog(qtbot, paths, runner)
    dlg.show()
    assert dlg.header.textFormat() == Qt.TextFormat.PlainText
    assert "<b>bold</b>" in dlg.header.text() and "…" in dlg.header.text()
    assert dlg.width() < 900  # the 255-character name did not stretch the dialog
    for label in dlg.findChildren(QLabel):
        assert label.textFormat() in (Qt.TextFormat.PlainText, Qt.TextFormat.AutoText)
        if label is not dlg.header:
            assert "<b>" not in label.text()
    assert "&lt;b&gt;" in dlg.header.toolTip()
    # The name is a window title at most: the command never contains it.
    assert "pwned" not in dlg.preview.toPlainText()
    assert dlg.preview.isReadOnly() and dlg.connect_button.isEnabled()


def test_bad_fields_disable_connect_and_say_why(qtbot: QtBot, paths: Paths,
                                                runner: TaskRunner, tmp_path: Path) -> None:
    dlg = make_dialog(qtbot, paths, runner, name="web")
    dlg.extra.setText("-o ProxyCommand=sh -c 'id'")
    assert not dlg.connect_button.isEnabled()
    assert "ProxyCommand is not allowed" in dlg.problem.text()
    assert dlg.preview.toPlainText() == ""
    dlg.extra.setText("")
    dlg.user.setText("bad user")
    assert not dlg.connect_button.isEnabled() and "login name" in dlg.problem.text()
    dlg.user.setText("ec2-user")
    dlg.agent.setChecked(False)
    dlg.key.setText(str(tmp_path / "nope"))
    assert "does not exist" in dlg.problem.text()
    dlg.agent.setChecked(True)
    assert not dlg.key.isEnabled() and dlg.connect_button.isEnabled()
    dlg.command.setText("echo 'unclosed")
    assert "remote command cannot be read" in dlg.problem.text()
    with qtbot.assertNotEmitted(dlg.launch_requested):
        dlg.accept()
    assert dlg.result() == 0


# --- SCP dialog ------------------------------------------------------------------------------

def test_scp_dialog_reports_bad_input_without_running(qtbot: QtBot, paths: Paths,
                                                      runner: TaskRunner,
                                                      tmp_path: Path) -> None:
    actions = make_actions(paths, runner)
    row = make_row(LONG_HOSTILE, n=22)
    dlg = ScpDialog(row, actions.target(row), Mode.BUILTIN, SshPrefs(), gangway=actions.gangway)
    qtbot.addWidget(dlg)
    dlg.local.setText(str(tmp_path / "missing.txt"))
    dlg.start()
    assert dlg.process is None and "does not exist" in dlg.status.text()
    assert dlg.start_button.text() == "Upload" and dlg.cancel_button.text() == "Stop"
    dlg.download.setChecked(True)
    assert dlg.start_button.text() == "Download"  # the main button says which way
    dlg.local.setText("")
    dlg.remote.setText("/etc/hostname")
    dlg.start()
    assert dlg.process is None and "where to save" in dlg.status.text()
    dlg.remote.setText("")
    dlg.local.setText(str(tmp_path))
    dlg.start()
    assert dlg.process is None and "Nothing to copy" in dlg.status.text()
    assert human_size(512) == "512 bytes" and human_size(3 * 1024 * 1024) == "3.0 MiB"


# --- terminal settings -----------------------------------------------------------------------

def test_terminal_settings_lists_detected_and_saves(qtbot: QtBot, paths: Paths,
                                                    runner: TaskRunner, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's terminals, as the user has them: xterm and konsole on PATH.
    bin_dir = tmp_path / "terminals"
    bin_dir.mkdir()
    for name in ("xterm", "konsole"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("TERMINAL", raising=False)
    raw = JsonStore(paths.settings_file)
    raw.save({"other": {"kept": True}})
    store = SettingsStore(paths.settings_file)
    dlg = TerminalSettingsDialog(runner, store)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.task.finished, timeout=10_000)
    qtbot.waitUntil(lambda: dlg.terminal.count() == 3, timeout=10_000)
    # Gangway's preference order, after the "automatic" entry.
    assert [dlg.terminal.itemData(i) for i in range(1, dlg.terminal.count())] == [
        "konsole", "xterm"]
    save = dlg.buttons.button(QDialogButtonBox.StandardButton.Save)
    dlg.template.setText("myterm -e 'unclosed")
    assert not save.isEnabled() and "not valid" in dlg.problem.text()
    dlg.template.setText("myterm --hold")
    assert not save.isEnabled() and "{command}" in dlg.problem.text()
    dlg.template.setText("myterm --hold -e {command}")
    assert save.isEnabled()
    dlg.cli.setChecked(True)
    dlg.ask_reason.setChecked(True)
    dlg.accept()
    saved = store.load().sessions
    assert saved == SessionSettings(Mode.CLI, True, "", "myterm --hold -e {command}")
    assert raw.load()["other"] == {"kept": True}


def test_settings_with_a_bad_stored_mode_fall_back(paths: Paths) -> None:
    raw = JsonStore(paths.settings_file)
    store = SettingsStore(paths.settings_file)
    raw.save({"sessions": {"mode": "telnet", "ask_reason": True, "terminal": 7}})
    assert store.load().sessions == SessionSettings(Mode.BUILTIN, True, "", "")
    raw.save({"sessions": "nonsense"})
    assert store.load().sessions == SessionSettings()
