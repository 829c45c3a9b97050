"""Session actions: capability checks, launch through a (recording) terminal, errors, copy,
keyboard shortcuts and the reason prompt. Real Qt, real core, real processes; no sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QTableView, QWidget
from pytestqt.qtbot import QtBot

from app.core.launch import Action, display_command
from app.core.paths import Paths
from app.core.ssh.prefs import SshPrefs
from app.core.ssh.proxycommand import Mode
from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog
from app.ui.session_actions import Launched, SessionActions
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import make_row
from tests.ui.session_factory import make_actions, recorder_template, wait_for_json

HOSTILE = "$(touch /tmp/pwned) `id` <b>web</b>; rm -rf ~ 'x' \"y\""


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.for_root(tmp_path / "gw").ensure()


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    r = TaskRunner()
    yield r  # type: ignore[misc]
    r.shutdown()


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A session-manager-plugin that answers --version, first on PATH (the launch checks it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    plugin = bin_dir / "session-manager-plugin"
    plugin.write_text("#!/bin/sh\necho 1.2.694.0\n")
    plugin.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return plugin


def launched_by(qtbot: QtBot, actions: SessionActions, trigger) -> Launched:  # type: ignore[no-untyped-def]
    """Run `trigger` and wait for the terminal to be started (a list, not waitSignal: no
    disconnecting from inside the emission)."""
    got: list[Launched] = []
    actions.launched.connect(got.append)
    trigger()
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    got[0].proc.wait(timeout=15)  # the recording "terminal" exits at once: reap it
    return got[0]


def error_of(qtbot: QtBot, actions: SessionActions) -> QMessageBox:
    qtbot.waitUntil(lambda: actions.error_box is not None and actions.error_box.isVisible(),
                    timeout=10_000)
    box = actions.error_box
    assert box is not None
    return box


def test_shell_launch_runs_gangway_session_in_the_terminal(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        plugin_on_path: Path) -> None:
    template, out = recorder_template(tmp_path)
    actions = make_actions(paths, runner, template=template, profile="prod")
    row = make_row(HOSTILE, n=7, region="eu-west-1")
    launched = launched_by(qtbot, actions, lambda: actions.trigger("shell", row))
    launched.proc.wait(timeout=10)
    argv = wait_for_json(out)["argv"]
    assert argv == [sys.executable, "-m", "app", "session", "--profile", "prod", "--region",
                    "eu-west-1", "--target", row.instance_id]
    # The hostile name never reaches the command (it is only ever a window title).
    assert all("pwned" not in a for a in argv)


def test_ssh_dialog_launches_with_builtin_proxy_and_remembers_choices(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        plugin_on_path: Path) -> None:
    template, out = recorder_template(tmp_path)
    actions = make_actions(paths, runner, template=template)
    row = make_row("web-1.prod", n=1)
    key = tmp_path / "id_test"
    key.write_text("not really a key")
    actions.trigger("ssh", row)
    dlg = actions.dialog
    assert isinstance(dlg, SshOptionsDialog)
    dlg.user.setText("ec2-user")
    dlg.agent.setChecked(False)
    dlg.key.setText(str(key))
    dlg.port.setValue(2222)
    dlg.extra.setText("-o ServerAliveInterval=30")
    dlg.command.setText("echo 'hello world'")
    dlg.reason.setText("deploy 42")
    preview = dlg.preview.toPlainText()
    assert "ProxyCommand=" in preview and "proxy --profile default" in preview
    assert "--reason" in preview and "ServerAliveInterval=30" in preview
    launched_by(qtbot, actions, dlg.connect_button.click)
    argv = wait_for_json(out)["argv"]
    assert argv[0].endswith("ssh")
    assert f"IdentityFile={key}" in argv and "IdentitiesOnly=yes" in argv
    assert "User=ec2-user" in argv and "ServerAliveInterval=30" in argv
    assert argv[argv.index("-p") + 1] == "2222"
    proxy = next(a for a in argv if a.startswith("ProxyCommand="))
    assert "proxy --profile default --region us-east-1 --reason 'deploy 42' '%h' %p" in proxy
    assert argv[-3:] == ["--", row.instance_id, "echo 'hello world'"]
    # Remembered for this instance and as the profile's default (the command is per launch).
    again = actions.prefs.get("default", row.region, row.instance_id)
    assert (again.user, again.identity_file, again.port, again.use_agent) == (
        "ec2-user", str(key), 2222, False)
    assert again.remote_command == ()
    other = actions.prefs.get("default", "eu-west-1", "i-0000000000000abcd")
    assert other.user == "ec2-user"
    assert (paths.data_dir / "ssh_options.json").stat().st_mode & 0o777 == 0o600


def test_aws_cli_mode_sets_profile_in_the_environment(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws = tmp_path / "bin" / "aws"
    fake_aws.parent.mkdir()
    fake_aws.write_text("#!/bin/sh\nexit 0\n")
    fake_aws.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_aws.parent}{os.pathsep}{os.environ['PATH']}")
    template, out = recorder_template(tmp_path)
    actions = make_actions(paths, runner, template=template, mode=Mode.CLI, profile="team")
    row = make_row("db", n=3)
    actions.trigger("sftp", row)
    dlg = actions.dialog
    assert isinstance(dlg, SshOptionsDialog)
    assert not dlg.reason.isEnabled()  # the documented CLI form has no reason
    assert dlg.preview.toPlainText().startswith("AWS_PROFILE=team ")
    launched_by(qtbot, actions, dlg.accept)
    rec = wait_for_json(out)
    assert rec["argv"][0].endswith("sftp")
    assert any("aws ssm start-session --target %h" in a for a in rec["argv"])
    assert rec["aws_env"] == {"AWS_PROFILE": "team", "AWS_REGION": "us-east-1"}


def test_capability_missing_is_refused_with_the_reason(
        qtbot: QtBot, paths: Paths, runner: TaskRunner) -> None:
    actions = make_actions(paths, runner)
    row = make_row("old-agent", n=4, agent="2.3.612.0")
    actions.trigger("ssh", row)
    box = error_of(qtbot, actions)
    assert "its SSM agent 2.3.612.0 is too old for this (needs 2.3.672.0); update the agent " \
        "on the instance." in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "“Diagnose connection…” in the instance's menu" in box.informativeText()
    assert actions.dialog is None
    stopped = make_row(HOSTILE, n=5, state="stopped")
    actions.trigger("shell", stopped)
    box = error_of(qtbot, actions)
    assert "the instance is stopped" in box.text() and HOSTILE in box.text()


def test_missing_plugin_gives_the_install_hint(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    actions = make_actions(paths, runner, template="xterm -e {command}")
    with qtbot.waitSignal(actions.failed, timeout=10_000):
        actions.trigger("shell", make_row("web", n=8))
    box = error_of(qtbot, actions)
    assert "session-manager-plugin was not found" in box.text()
    assert "session-manager-plugin.deb" in box.informativeText()


def test_no_terminal_found_says_what_to_do(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, plugin_on_path: Path) -> None:
    actions = make_actions(paths, runner, terminal="no-such-terminal")
    with qtbot.waitSignal(actions.failed, timeout=10_000):
        actions.trigger("shell", make_row("web", n=9))
    box = error_of(qtbot, actions)
    assert "'no-such-terminal' was not found" in box.text()
    assert "{command}" in box.informativeText()


def test_bad_custom_template_is_reported(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, plugin_on_path: Path) -> None:
    actions = make_actions(paths, runner, template="myterm -e 'unclosed {command}")
    with qtbot.waitSignal(actions.failed, timeout=10_000):
        actions.trigger("shell", make_row("web", n=10))
    assert "custom terminal command is not valid" in error_of(qtbot, actions).text()


def test_copy_ssh_command_puts_a_pasteable_line_on_the_clipboard(
        qtbot: QtBot, paths: Paths, runner: TaskRunner) -> None:
    actions = make_actions(paths, runner, mode=Mode.CLI, profile="ops")
    row = make_row(HOSTILE, n=11)
    actions.prefs.put("ops", row.region, row.instance_id, SshPrefs(user="ubuntu"))
    with qtbot.waitSignal(actions.copied):
        actions.trigger("copy-ssh", row)
    text = QGuiApplication.clipboard().text()
    req = actions.request(Action.SSH, row)
    assert req.ssh.user == "ubuntu"
    assert text.startswith("AWS_PROFILE=ops AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 ")
    assert row.instance_id in text and "User=ubuntu" in text and "pwned" not in text
    # On Windows the line is for PowerShell, with the variables set its way.
    win = display_command(["ssh", "a b"], {"AWS_PROFILE": "x y"}, system="Windows")
    assert win.startswith("$env:AWS_PROFILE='x y'; ") and win.endswith("& 'ssh' 'a b'")


def test_shortcuts_on_the_instances_view(
        qtbot: QtBot, paths: Paths, runner: TaskRunner) -> None:
    actions = make_actions(paths, runner, ask_reason=True)
    host = QWidget()
    view = QTableView(host)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    view.setFocus()
    row = make_row("web", n=12)
    actions.install_shortcuts(view, lambda: row)
    host.activateWindow()
    qtbot.waitUntil(view.hasFocus)
    # Enter = the default action (shell); with "ask for a reason" on, the prompt comes first.
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert isinstance(actions.dialog, QInputDialog)
    actions.dialog.reject()
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert isinstance(actions.dialog, SshOptionsDialog)
    assert actions.dialog.connect_button.text() == "Connect"
    actions.dialog.reject()
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert isinstance(actions.dialog, SshOptionsDialog)
    assert actions.dialog.connect_button.text() == "Open SFTP"
    actions.dialog.reject()


def test_reason_prompt_passes_the_reason_to_start_session(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        plugin_on_path: Path) -> None:
    template, out = recorder_template(tmp_path)
    actions = make_actions(paths, runner, template=template, ask_reason=True)
    actions.trigger("shell", make_row("web", n=13))
    dlg = actions.dialog
    assert isinstance(dlg, QInputDialog)
    dlg.setTextValue("ticket OPS-1; $(whoami)")
    launched_by(qtbot, actions, dlg.accept)
    argv = wait_for_json(out)["argv"]
    assert argv[-2:] == ["--reason", "ticket OPS-1; $(whoami)"]


def test_unknown_actions_are_left_to_other_handlers(
        qtbot: QtBot, paths: Paths, runner: TaskRunner) -> None:
    actions = make_actions(paths, runner)
    actions.trigger("port-forward", make_row("web", n=14))
    actions.trigger("rdp", make_row("win", n=15, platform="Windows"))
    assert actions.dialog is None and actions.error_box is None


def test_run_a_command_uses_start_interactive_command(
        qtbot: QtBot, paths: Paths, runner: TaskRunner, tmp_path: Path,
        plugin_on_path: Path) -> None:
    template, out = recorder_template(tmp_path)
    actions = make_actions(paths, runner, template=template)
    row = make_row("web", n=16)
    actions.trigger("shell-command", row)
    dlg = actions.dialog
    assert isinstance(dlg, QInputDialog)
    dlg.setTextValue("df -h; echo \"it's\" $(hostname)")
    launched_by(qtbot, actions, dlg.accept)
    argv = wait_for_json(out)["argv"]
    i = argv.index("--document")
    assert argv[i:i + 4] == ["--document", "AWS-StartInteractiveCommand", "--parameters",
                             '{"command": ["df -h; echo \\"it\'s\\" $(hostname)"]}']
    # An empty command launches nothing.
    later: list[object] = []
    actions.launched.connect(later.append)
    actions.trigger("shell-command", row)
    assert isinstance(actions.dialog, QInputDialog) and actions.dialog is not dlg
    actions.dialog.setTextValue("   ")
    actions.dialog.accept()
    assert actions.error_box is None
    # The next real command is the first launch after the blank one: had the blank one
    # launched, it would have come first.
    actions.trigger("shell-command", row)
    actions.dialog.setTextValue("uptime")
    with qtbot.waitSignal(actions.launched, timeout=10000):
        actions.dialog.accept()
    # Every launch task has finished and its signals are delivered: only the real one.
    qtbot.waitUntil(lambda: runner.pool.activeThreadCount() == 0, timeout=10000)
    QApplication.processEvents()
    assert [la.request.parameters for la in later] == [{"command": ["uptime"]}]
    assert actions.error_box is None
    later[0].proc.wait(15)


def test_the_context_menu_shows_the_keys_the_table_answers_to(qtbot):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QWidget

    from app.ui.panes.instances_menu import MENU_KEYS, build_menu
    from app.ui.session_actions import SHORTCUTS
    from tests.ui.instances_factory import make_row

    # The menu shows exactly the keys SessionActions installs on the table.
    installed = {action: QKeySequence(keys).toString() for keys, action in SHORTCUTS
                 if keys != "Enter"}
    assert {a: QKeySequence(k).toString() for a, k in MENU_KEYS.items()} == installed
    parent = QWidget()
    menu = build_menu(parent, make_row("web-1", n=1), favourite=False,
                      on_action=lambda a, r: None, on_favourite=lambda r: None)
    shown = {a.text(): a.shortcut().toString() for a in menu.actions() if a.text()}
    assert shown["Open shell"] == "Return" and shown["SSH"] == "Ctrl+Shift+S"
