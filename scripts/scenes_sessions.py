"""Screenshot scenes of the session actions, their dialogs and the Sessions pane.

Registered with `scripts/screenshots.py` (listed in its SCENE_MODULES). Every scene drives the
real widgets against the sandbox: real discovery, real StartSession/DescribeSessions.
The empty Sessions pane is registered first, before any scene starts a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.core.aws.discovery.rows import InstanceRow
    from app.ui.panes.instances_pane import InstancesPane
    from app.ui.panes.sessions_pane import SessionsPane
    from app.ui.session_actions import SessionActions

LONG_HOSTILE = "<b>bold</b> $(touch /tmp/pwned) " + "n" * 200
_state: dict[str, Any] = {}


def _instances(ctx: Ctx) -> InstancesPane:
    """The window's Instances pane when it is wired, else a real one built the same way."""
    from app.ui.panes.instances_pane import InstancesPane

    pane = ctx.app.panes.instances
    if not isinstance(pane, InstancesPane):
        pane = _state.get("instances")
        if pane is None:
            s = ctx.app.services
            pane = InstancesPane(s.tasks, s.credentials, s.favourites, s.permissions,
                                 profiles=["default"])
            pane.resize(1180, 640)
            _state["instances"] = pane
    if pane.model.rowCount() == 0:
        if not pane.profile:
            pane.set_profiles(["default"])
        pane.refresh()
        if not ctx.wait_until(lambda: not pane.busy and pane.model.rowCount() > 0, 30):
            ctx.notes.append("sessions: the instances did not load")
    return pane


def _actions(ctx: Ctx, pane: InstancesPane) -> SessionActions:
    from app.ui.session_actions import SessionActions

    actions = getattr(ctx.app, "session_actions", None) or _state.get("actions")
    if actions is None:
        actions = SessionActions(ctx.app.services.tasks, ctx.app.paths, ctx.app.services.settings,
                                 pane, profile=lambda _row: pane.profile)
        _state["actions"] = actions
    return actions  # type: ignore[no-any-return]


def _row(pane: InstancesPane, name: str) -> InstanceRow:
    return next(r for r in pane.model.rows if r.name == name)


def _sessions(ctx: Ctx) -> SessionsPane:
    from app.ui.panes.sessions_pane import SessionsPane

    ctx.app.show_window()
    ctx.app.window.show_pane("Sessions")
    pane = ctx.app.panes.sessions
    assert isinstance(pane, SessionsPane)
    pane.set_profile("default")
    done: list[bool] = []
    pane.refreshed.connect(lambda: done.append(True))
    pane.refresh()
    if not ctx.wait_until(lambda: bool(done), 20):
        ctx.notes.append("sessions: the Sessions pane did not refresh")
    ctx.settle(300)
    return pane


@scene("sessions-pane-empty")
def sessions_pane_empty(ctx: Ctx) -> QWidget:
    _sessions(ctx)
    return ctx.app.window


@scene("sessions-actions-menu")
def actions_menu(ctx: Ctx) -> None:
    from PySide6.QtCore import QPoint

    pane = _instances(ctx)
    if pane is ctx.app.panes.instances:
        # Showing a stacked page directly would paint it over whichever page is current.
        ctx.app.show_window()
        ctx.app.window.show_pane("Instances")
    else:
        pane.show()
        pane.raise_()
    pane.filter_edit.setText("web-1")
    ctx.settle(300)
    row = _row(pane, "web-1.prod")
    view = pane.view
    at = next(i for i in range(pane.proxy.rowCount())
              if pane.row_for(pane.proxy.index(i, 1)) == row)
    view.selectRow(at)
    rect = view.visualRect(pane.proxy.index(at, 1))
    menu = pane.build_menu(row)
    menu.popup(view.viewport().mapToGlobal(QPoint(rect.left() + 60, rect.bottom())))
    ctx.settle(500)
    ctx.save(menu, "sessions-actions-menu")
    ctx.save_screen("sessions-actions-menu-screen")
    menu.hide()
    pane.filter_edit.clear()


@scene("sessions-ssh-dialog")
def ssh_dialog(ctx: Ctx) -> QWidget:
    from dataclasses import replace

    from app.core.actions import Action
    from app.core.ssh.prefs import SshPrefs
    from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog

    pane = _instances(ctx)
    actions = _actions(ctx, pane)
    row = replace(_row(pane, "web-1.prod"), name=LONG_HOSTILE)
    prefs = SshPrefs(user="ec2-user", identity_file="~/.ssh/id_ed25519", use_agent=True,
                     extra="-o ServerAliveInterval=30")
    dlg = SshOptionsDialog(row, actions.target(row), actions.settings().mode, Action.SSH, prefs,
                           gangway=actions.gangway)
    dlg.reason.setText("JIRA-1234 restart nginx")
    dlg.show()
    ctx.settle(400)
    ctx.save(dlg, "sessions-ssh-dialog")
    dlg.extra.setText("-o ProxyCommand=sh -c 'id'")
    ctx.settle(300)
    ctx.save(dlg, "sessions-ssh-dialog-refused-option")
    dlg.extra.setText(prefs.extra)
    _state["dialog"] = dlg
    return None  # type: ignore[return-value]


@scene("sessions-ssh-dialog-keyless")
def ssh_dialog_keyless(ctx: Ctx) -> QWidget:
    """No key chosen: keyless SSH, the preview names the ephemeral key and the push."""
    from app.core.actions import Action
    from app.core.ssh.prefs import SshPrefs
    from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog

    pane = _instances(ctx)
    actions = _actions(ctx, pane)
    row = _row(pane, "web-1.prod")
    dlg = SshOptionsDialog(row, actions.target(row), actions.settings().mode, Action.SSH,
                           SshPrefs(user="ec2-user"), gangway=actions.gangway,
                           keyless=actions.keyless())
    dlg.show()
    ctx.settle(400)
    return dlg


@scene("sessions-scp-dialog")
def scp_dialog(ctx: Ctx) -> QWidget:
    from app.core.ssh.prefs import SshPrefs
    from app.ui.dialogs.scp_dialog import ScpDialog

    pane = _instances(ctx)
    actions = _actions(ctx, pane)
    row = _row(pane, "web-1.prod")
    sshd = ctx.sandbox.sshd
    if sshd is None:
        dlg = ScpDialog(row, actions.target(row), actions.settings().mode, SshPrefs(),
                        gangway=actions.gangway)
        dlg.show()
        ctx.notes.append("sessions: no sshd, the SCP dialog shows a refused missing file")
        dlg.local.setText(str(ctx.app.paths.data_dir / "report.csv"))
        dlg.remote.setText("/tmp/")
        dlg.start()
        return dlg
    # A real upload through the sandbox: the dialog ends showing what was transferred.
    known = ctx.app.paths.data_dir / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    prefs = SshPrefs(user=sshd.user, identity_file=str(sshd.client_key), use_agent=False,
                     extra=f"-o UserKnownHostsFile={known}")
    actions.prefs.put(pane.profile, row.region, row.instance_id, prefs)
    dlg = ScpDialog(row, actions.target(row), actions.settings().mode, prefs,
                    gangway=actions.gangway)
    dlg.show()
    source = ctx.app.paths.data_dir / "report.csv"
    source.write_bytes(b"id,value\n" * 40_000)
    dlg.local.setText(str(source))
    dlg.remote.setText(str(ctx.app.paths.data_dir / "uploaded-report.csv"))
    done: list[int] = []
    dlg.finished_copy.connect(lambda code, _msg: done.append(code))
    dlg.start()
    ctx.settle(200)
    ctx.save(dlg, "sessions-scp-dialog-busy")
    if not ctx.wait_until(lambda: bool(done), 60):
        ctx.notes.append("sessions: the scp upload did not finish")
    _state["scp"] = dlg
    return dlg


@scene("sessions-pane")
def sessions_pane(ctx: Ctx) -> QWidget:
    from app.core.aws.client import client, new_session
    from app.core.aws.sessions import api
    from app.core.aws.sessions.history import SessionHistory
    from app.ui.models import sessions_model as sm

    fleet = ctx.sandbox.fleet
    ssm = client(new_session("default"), "ssm", "us-east-1")
    web, bastion = fleet.by_name("web-1.prod"), fleet.by_name("bastion")
    history = SessionHistory(ctx.app.paths.data_dir)
    active = api.start_session(ssm, web.instance_id, "AWS-StartSSHSession",
                                        {"portNumber": ["22"]}, reason="JIRA-1234 restart nginx")
    history.record_start(profile="default", region="us-east-1", target=web.instance_id,
                         document="AWS-StartSSHSession", reason="JIRA-1234 restart nginx",
                         session_id=active.session_id)
    shell = api.start_session(ssm, bastion.instance_id)
    key = history.record_start(profile="default", region="us-east-1",
                               target=bastion.instance_id, document="",
                               session_id=shell.session_id)
    api.terminate_session(ssm, shell.session_id)
    history.record_end(key, "exit 0")
    failed = history.record_start(profile="default", region="us-east-1",
                                  target=fleet.by_name("offline-1").instance_id,
                                  document="AWS-StartSSHSession", reason="<b>hostile</b> reason")
    # What `gangway proxy` records when StartSession answers TargetNotConnected.
    history.record_end(failed, "error: Cannot start a session on "
                       f"{fleet.by_name('offline-1').instance_id}: its SSM agent lost its "
                       "connection; restart the agent or check the instance's network.")
    pane = _sessions(ctx)
    pane.set_names({n.instance_id: n.name for n in fleet.nodes})
    for i in range(pane.proxy.rowCount()):
        if pane.proxy.index(i, sm.COL_SESSION).data() == active.session_id:
            pane.view.selectRow(i)
    ctx.settle(300)
    return ctx.app.window
