"""From the GUI to a login: Instances pane row -> action -> a real xterm (under Xvfb) running
ssh -> ProxyCommand (`gangway proxy`, or the Debian AWS CLI) -> plugin stand-in -> real sshd.

The remote command writes a proof file, which the test waits for. Also: an scp round trip
through the SCP dialog's code path, and a shell session whose plugin invocation is checked
against the real plugin's contract (argv, environment, no secret on argv).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from app.core.aws.discovery.rows import InstanceRow
from app.core.paths import Paths
from app.core.settings import SessionSettings, SettingsStore
from app.core.ssh.prefs import SshPrefs
from app.core.ssh.proxycommand import Mode
from app.ui.dialogs.scp_dialog import ScpDialog
from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog
from app.ui.panes.instances_pane import InstancesPane
from app.ui.session_actions import Launched, SessionActions
from app.ui.tasks import TaskRunner
from tests.conftest import require_program
from tests.packaging import desktop
from tests.ui.instances_factory import instances_pane

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]
# Qt itself stays offscreen; only the terminals draw on the Xvfb display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

VENV_BIN = str(Path(sys.executable).parent)
DEBIAN_AWS = "/usr/bin/aws"


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    """A private X server (skip when Xvfb is missing; fail under CI=true)."""
    with desktop.xvfb_display() as display:
        yield display


@pytest.fixture
def gui_env(aws_env, sshd, xvfb_display: str, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
            qtbot: QtBot) -> Iterator[dict[str, object]]:
    require_program("xterm")
    monkeypatch.setenv("DISPLAY", xvfb_display)
    # `gangway` must be this venv's console script; the plugin stand-in stays first.
    path = aws_env.env["PATH"].split(os.pathsep)
    monkeypatch.setenv("PATH", os.pathsep.join([path[0], VENV_BIN, *path[1:]]))
    paths = Paths.default().ensure()
    runner = TaskRunner()
    launched: list[Launched] = []
    yield {"paths": paths, "runner": runner, "launched": launched, "aws_env": aws_env,
           "sshd": sshd}
    for item in launched:  # close the terminals (own session: kill the whole group)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(item.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            item.proc.wait(10)
    runner.shutdown()


def build(qtbot: QtBot, env: dict[str, object], mode: Mode = Mode.BUILTIN
          ) -> tuple[InstancesPane, SessionActions]:
    paths, runner = env["paths"], env["runner"]
    assert isinstance(paths, Paths) and isinstance(runner, TaskRunner)
    settings = SettingsStore(paths.settings_file)
    settings.update(sessions=SessionSettings(mode=mode, terminal="xterm"))
    pane = instances_pane(runner, paths, profiles=["default"])
    qtbot.addWidget(pane)
    actions = SessionActions(runner, paths, settings, pane, profile=lambda _row: pane.profile)
    pane.action_requested.connect(actions.trigger)
    launched = env["launched"]
    assert isinstance(launched, list)
    actions.launched.connect(launched.append)
    actions.failed.connect(lambda exc: pytest.fail(f"launch failed: {exc}"))
    pane.refresh()
    qtbot.waitUntil(lambda: not pane.busy and pane.model.rowCount() > 0, timeout=30_000)
    return pane, actions


def row_named(pane: InstancesPane, name: str) -> InstanceRow:
    return next(r for r in pane.model.rows if r.name == name)


def choose(pane: InstancesPane, row: InstanceRow, action: str) -> None:
    """Pick `action` from the row's context menu, as a user would."""
    menu = pane.build_menu(row)
    item = next(a for a in menu.actions() if isinstance(a, QAction) and a.data() == action)
    assert item.isEnabled()
    item.trigger()


def known_hosts(tmp_path: Path, sshd) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "known_hosts"
    path.write_text(f"* {sshd.host_key_pub}\n")
    return path


def wait_file(path: Path, timeout: float = 60.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written within {timeout}s")


def ssh_through_dialog(qtbot: QtBot, env: dict[str, object], mode: Mode, tmp_path: Path
                       ) -> tuple[InstanceRow, str]:
    sshd = env["sshd"]
    pane, actions = build(qtbot, env, mode)
    row = row_named(pane, "web-1.prod")
    proof = tmp_path / f"proof-{mode.value}.txt"
    choose(pane, row, "ssh")
    dlg = actions.dialog
    assert isinstance(dlg, SshOptionsDialog)
    dlg.user.setText(sshd.user)  # type: ignore[attr-defined]
    dlg.agent.setChecked(False)
    dlg.key.setText(str(sshd.client_key))  # type: ignore[attr-defined]
    dlg.extra.setText(f"-o UserKnownHostsFile={known_hosts(tmp_path, sshd)} -o BatchMode=yes")
    dlg.command.setText(f"sh -c 'echo logged-in-as-$(id -un) > {proof}'")
    preview = dlg.preview.toPlainText()
    launched = env["launched"]
    assert isinstance(launched, list)
    before = len(launched)
    dlg.connect_button.click()
    qtbot.waitUntil(lambda: len(launched) > before, timeout=20_000)
    assert launched[-1].argv[0].endswith("xterm")
    assert wait_file(proof) == f"logged-in-as-{sshd.user}"  # type: ignore[attr-defined]
    return row, preview


def test_ssh_from_the_gui_with_the_builtin_proxy(qtbot: QtBot, gui_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    row, preview = ssh_through_dialog(qtbot, gui_env, Mode.BUILTIN, tmp_path)
    # The preview is the argv quoted for sh: the quoted '%h' inside the quoted option.
    assert (f"'ProxyCommand={VENV_BIN}/gangway proxy --profile default --region us-east-1 "
            "'\\''%h'\\'' %p'") in preview
    aws_env = gui_env["aws_env"]
    rec = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert json.loads(rec["argv"][5]) == {"Target": row.instance_id,
                                          "DocumentName": "AWS-StartSSHSession",
                                          "Parameters": {"portNumber": ["22"]}}
    assert rec["response_via_env"] and rec["response_env_set"]
    secret = aws_env.sandbox.identities["default"].secret_access_key
    assert all(secret not in a for a in rec["argv"])


def test_ssh_from_the_gui_in_aws_cli_mode(qtbot: QtBot, gui_env, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    require_program(DEBIAN_AWS)
    # Debian's awscli 2.9 predates AWS_ENDPOINT_URL_<SERVICE> (CLI 2.13): a two-line `aws`
    # hands the real CLI the same endpoint; everything else is the real CLI and its real
    # plugin invocation. It and /usr/bin come before any pyenv shim named `aws`.
    shim = tmp_path / "aws-shim"
    shim.mkdir()
    (shim / "aws").write_text(
        f'#!/bin/sh\nexec {DEBIAN_AWS} --endpoint-url "$AWS_ENDPOINT_URL_SSM" "$@"\n')
    (shim / "aws").chmod(0o755)
    parts = os.environ["PATH"].split(os.pathsep)
    monkeypatch.setenv("PATH", os.pathsep.join([str(shim), *parts[:2], "/usr/bin", *parts[2:]]))
    row, preview = ssh_through_dialog(qtbot, gui_env, Mode.CLI, tmp_path)
    assert preview.startswith("AWS_PROFILE=default ")
    assert "aws ssm start-session --target %h --document-name AWS-StartSSHSession" in preview
    rec = [r for r in gui_env["aws_env"].sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert json.loads(rec["argv"][5])["Target"] == row.instance_id


def test_scp_round_trip_through_the_dialog(qtbot: QtBot, gui_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sshd = gui_env["sshd"]
    pane, actions = build(qtbot, gui_env)
    row = row_named(pane, "web-1.prod")
    actions.prefs.put("default", row.region, row.instance_id, SshPrefs(
        user=sshd.user, identity_file=str(sshd.client_key), use_agent=False,
        extra=f"-o UserKnownHostsFile={known_hosts(tmp_path, sshd)}"))
    source = tmp_path / "local file.bin"
    payload = os.urandom(200_000) + b"end"
    source.write_bytes(payload)
    remote = tmp_path / "remote-side" / "copy.bin"
    remote.parent.mkdir()
    choose(pane, row, "scp")
    dlg = actions.dialog
    assert isinstance(dlg, ScpDialog)
    dlg.local.setText(str(source))
    dlg.remote.setText(str(remote))
    with qtbot.waitSignal(dlg.finished_copy, timeout=60_000) as done:
        dlg.start_button.click()
        assert dlg.bar.maximum() == 0  # busy while scp runs
    assert done.args[0] == 0, (done.args[1], dlg.stderr[-2000:])
    assert "Done" in dlg.status.text() and "sent" in dlg.status.text()
    assert remote.read_bytes() == payload

    back = tmp_path / "downloads"
    back.mkdir()
    dlg.download.setChecked(True)
    dlg.remote.setText(str(remote))
    dlg.local.setText(str(back))
    with qtbot.waitSignal(dlg.finished_copy, timeout=60_000) as done:
        dlg.start_button.click()
    assert done.args[0] == 0, (done.args[1], dlg.stderr[-2000:])
    assert (back / "copy.bin").read_bytes() == payload

    # Cancel: a big upload is stopped, and the dialog says so and can copy again.
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: cheap to make, slow to send
    dlg.upload.setChecked(True)
    dlg.local.setText(str(big))
    dlg.remote.setText(str(remote.parent / "big.bin"))
    with qtbot.waitSignal(dlg.finished_copy, timeout=30_000) as done:
        dlg.start_button.click()
        assert "2.0 GiB" in dlg.status.text()
        qtbot.wait(300)
        dlg.cancel_button.click()
    assert done.args == [-1, "Cancelled."]
    assert dlg.start_button.isEnabled() and not dlg.cancel_button.isEnabled()


def test_shell_session_reaches_the_plugin_with_its_contract(qtbot: QtBot, gui_env) -> None:  # type: ignore[no-untyped-def]
    aws_env = gui_env["aws_env"]
    pane, _actions = build(qtbot, gui_env)
    row = row_named(pane, "bastion")
    before = len(aws_env.sandbox.plugin_records())
    started = len(gui_env["launched"])
    choose(pane, row, "shell")
    qtbot.waitUntil(lambda: len(gui_env["launched"]) > started, timeout=20_000)
    end = time.monotonic() + 60
    records: list[dict[str, object]] = []
    while time.monotonic() < end and not records:
        records = [r for r in aws_env.sandbox.plugin_records()[before:] if len(r["argv"]) > 5]
        time.sleep(0.1)
    assert records, "the plugin was never started"
    rec = records[-1]
    argv = rec["argv"]
    assert isinstance(argv, list)
    assert argv[1] == "AWS_SSM_START_SESSION_RESPONSE" and rec["response_env_set"]
    assert argv[2] == "us-east-1" and argv[3] == "StartSession" and argv[4] == ""
    assert json.loads(argv[5]) == {"Target": row.instance_id}
    assert str(argv[6]).startswith(aws_env.env["AWS_ENDPOINT_URL_SSM"].rstrip("/"))
    names = set(rec["aws_env_names"])  # type: ignore[arg-type]
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= names
    assert "AWS_PROFILE" not in names
    secret = aws_env.sandbox.identities["default"].secret_access_key
    assert all(secret not in str(a) for a in argv)
    # The terminal's process tree runs `gangway session` for that instance.
    launched = gui_env["launched"][-1]
    out = subprocess.run(["ps", "-ww", "-o", "args=", "--ppid", str(launched.pid)],
                         capture_output=True, text=True, check=False).stdout
    assert f"session --profile default --region us-east-1 --target {row.instance_id}" in out


def test_run_a_command_from_the_keyboard(qtbot: QtBot, gui_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+Shift+E on the selected row -> AWS-StartInteractiveCommand in an xterm; the
    plugin stand-in runs the command as the agent would, and it leaves its proof."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QInputDialog

    pane, actions = build(qtbot, gui_env)
    actions.install_shortcuts(pane.view, pane.selected_row)
    row = row_named(pane, "web-1.prod")
    pane.filter_edit.setText(row.instance_id)
    pane.show()
    qtbot.waitExposed(pane)
    pane.view.selectRow(0)
    pane.view.setFocus()
    qtbot.waitUntil(pane.view.hasFocus)
    assert pane.selected_row() == row
    qtbot.keyClick(pane.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    dlg = actions.dialog
    assert isinstance(dlg, QInputDialog)
    proof = tmp_path / "command-proof.txt"
    dlg.setTextValue(f"echo ran-on-$(uname -s) > {proof}")
    launched = gui_env["launched"]
    dlg.accept()
    qtbot.waitUntil(lambda: bool(launched), timeout=20_000)
    assert wait_file(proof) == "ran-on-Linux"
    rec = [r for r in gui_env["aws_env"].sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert json.loads(rec["argv"][5]) == {
        "Target": row.instance_id, "DocumentName": "AWS-StartInteractiveCommand",
        "Parameters": {"command": [f"echo ran-on-$(uname -s) > {proof}"]}}
