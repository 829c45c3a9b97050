"""The tunnel editor's ssh -L mode: its remote host (optional) and SSH user, checked the way
ssh.argv checks them, and the note saying what the mode does."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from app.core.tunnels.spec import Mode
from app.ui.dialogs.tunnel_editor import TunnelEditor, Values, check
from tests.ui.tunnel_factory import specs

PROFILES = ["default"]


def ssh_values(**kw: Any) -> Values:
    fields: dict[str, Any] = {"name": "db-ssh", "profile": "default", "target": "bastion",
                              "mode": Mode.SSH, "remote_port": "5432", "pick_port": True}
    fields.update(kw)
    return Values(**fields)


def test_ssh_mode_keeps_its_remote_host_and_user() -> None:
    verdict = check(ssh_values(remote_host="10.0.0.5", ssh_user="ec2-user"), specs(), [],
                    PROFILES)
    assert verdict.errors == {}
    assert verdict.spec is not None
    assert (verdict.spec.mode, verdict.spec.remote_host, verdict.spec.ssh_user) == (
        Mode.SSH, "10.0.0.5", "ec2-user")
    assert verdict.spec.document == "AWS-StartSSHSession"
    plain = check(ssh_values(), specs(), [], PROFILES).spec
    assert plain is not None and (plain.remote_host, plain.ssh_user) == ("", "")
    # Another mode drops what only ssh uses.
    port = check(ssh_values(mode=Mode.INSTANCE_PORT, ssh_user="ec2-user"), specs(), [],
                 PROFILES).spec
    assert port is not None and port.ssh_user == "" and port.mode is Mode.INSTANCE_PORT


def test_hostile_ssh_user_and_host_are_errors_on_their_fields() -> None:
    verdict = check(ssh_values(ssh_user="-oProxyCommand=sh"), specs(), [], PROFILES)
    assert verdict.spec is None
    assert "is not a valid login name" in verdict.errors["ssh_user"]
    verdict = check(ssh_values(remote_host="-oProxyCommand=sh"), specs(), [], PROFILES)
    assert verdict.spec is None
    assert "ssh can forward to" in verdict.errors["remote_host"]


def test_the_dialog_shows_the_ssh_rows_and_note(qtbot: Any) -> None:
    dlg = TunnelEditor([], [], PROFILES, Values(profile="default"))
    qtbot.addWidget(dlg)
    assert not dlg.form.isRowVisible(dlg.ssh_user_row)
    assert not dlg.form.isRowVisible(dlg.remote_host_row)
    dlg.mode.setCurrentIndex(dlg.mode.findData(Mode.SSH))
    assert dlg.form.isRowVisible(dlg.ssh_user_row) and dlg.form.isRowVisible(dlg.remote_host_row)
    assert "gangway proxy" in dlg.messages["mode"].text()
    assert "Keyless SSH" in dlg.messages["mode"].text()
    dlg.name.setText("db-ssh")
    dlg.target.setText("bastion")
    dlg.remote_port.setText("5432")
    dlg.ssh_user.setText("bad user")
    assert not dlg.try_save()
    assert "login name" in dlg.messages["ssh_user"].text()
    dlg.ssh_user.setText("ubuntu")
    with qtbot.waitSignal(dlg.saved) as saved:
        dlg.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        assert dlg.try_save()
    spec, original = saved.args
    assert (spec.mode, spec.ssh_user, original) == (Mode.SSH, "ubuntu", "")
