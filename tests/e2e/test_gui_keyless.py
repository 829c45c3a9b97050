"""Keyless SSH from the window: the SSH dialog and the SCP dialog push Gangway's ephemeral key
(setting on, or no key named for the instance), through a real xterm / a real scp, to the
sandbox's real sshd and its AuthorizedKeysCommand. No key of the user's is involved.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.launch import KEYLESS_NOTE
from app.core.ssh.prefs import SshPrefs
from app.ui.dialogs.scp_dialog import ScpDialog
from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog
from tests.e2e.test_gui_ssh import (  # noqa: F401 - fixtures
    build,
    choose,
    gui_env,
    known_hosts,
    row_named,
    wait_file,
    xvfb_display,
)

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only, pytest.mark.needs_program("ssh-keygen")]


@pytest.fixture
def keyless_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    env = request.getfixturevalue("gui_env")
    if env["sshd"].eic_dir is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("the sandbox sshd has no AuthorizedKeysCommand (CI must run as root)")
        pytest.skip("the sandbox sshd's AuthorizedKeysCommand needs root")
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # no agent: only the ephemeral key
    return env


def test_ssh_dialog_pushes_the_ephemeral_key_when_the_setting_is_on(  # type: ignore[no-untyped-def]
        qtbot: QtBot, keyless_env, tmp_path: Path) -> None:
    sshd, aws_env = keyless_env["sshd"], keyless_env["aws_env"]
    pane, actions = build(qtbot, keyless_env)
    store = actions.settings_store
    store.update(sessions=replace(store.load().sessions, keyless=True))
    row = row_named(pane, "web-1.prod")
    proof = tmp_path / "proof-keyless.txt"
    choose(pane, row, "ssh")
    dlg = actions.dialog
    assert isinstance(dlg, SshOptionsDialog)
    dlg.user.setText(sshd.user)
    dlg.extra.setText(f"-o UserKnownHostsFile={known_hosts(tmp_path, sshd)} -o BatchMode=yes")
    dlg.command.setText(f"sh -c 'echo keyless-$(id -un) > {proof}'")
    preview = dlg.preview.toPlainText()
    assert preview.splitlines()[0] == KEYLESS_NOTE == "key: Gangway ephemeral (pushed for 60 s)"
    assert "--push-key=" in preview and "%r" in preview and "gangway_ed25519" in preview
    launched = keyless_env["launched"]
    before = len(launched)
    dlg.connect_button.click()
    qtbot.waitUntil(lambda: len(launched) > before, timeout=20_000)
    assert wait_file(proof) == f"keyless-{sshd.user}"
    pushes = aws_env.sandbox.control.eic_pushes()
    assert [(p["instance_id"], p["os_user"]) for p in pushes] == [(row.instance_id, sshd.user)]

    # With a key named for the instance and the setting off, nothing is pushed.
    store.update(sessions=replace(store.load().sessions, keyless=False))
    choose(pane, row, "ssh")
    dlg = actions.dialog
    assert isinstance(dlg, SshOptionsDialog)
    dlg.agent.setChecked(False)
    dlg.key.setText(str(sshd.client_key))
    assert KEYLESS_NOTE not in dlg.preview.toPlainText()
    assert "--push-key" not in dlg.preview.toPlainText()
    dlg.reject()


def test_scp_dialog_pushes_when_no_key_is_named(  # type: ignore[no-untyped-def]
        qtbot: QtBot, keyless_env, tmp_path: Path) -> None:
    sshd, aws_env = keyless_env["sshd"], keyless_env["aws_env"]
    pane, actions = build(qtbot, keyless_env)
    row = row_named(pane, "web-1.prod")
    actions.prefs.put("default", row.region, row.instance_id, SshPrefs(
        user=sshd.user, extra=f"-o UserKnownHostsFile={known_hosts(tmp_path, sshd)}"))
    source = tmp_path / "keyless upload.bin"
    payload = os.urandom(100_000)
    source.write_bytes(payload)
    remote = tmp_path / "remote.bin"
    choose(pane, row, "scp")
    dlg = actions.dialog
    assert isinstance(dlg, ScpDialog)
    dlg.local.setText(str(source))
    dlg.remote.setText(str(remote))
    with qtbot.waitSignal(dlg.finished_copy, timeout=60_000) as done:
        dlg.start_button.click()
    assert done.args[0] == 0, (done.args[1], dlg.stderr[-2000:])
    assert remote.read_bytes() == payload
    assert dlg.request is not None and dlg.request.pushes_key
    assert len(aws_env.sandbox.control.eic_pushes()) == 1
