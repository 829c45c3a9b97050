"""Turn "this action on this instance row" into a terminal running the session.

    actions = SessionActions(tasks, paths, settings, parent=window)
    instances_pane.action_requested.connect(actions.trigger)
    actions.install_shortcuts(view, current_row=pane.current_row)

Dialogs open window-modal with `open()` (never `exec()`), so the event loop keeps running;
the terminal is found and started in a TaskRunner worker (a PATH scan and a fork are not the
GUI thread's job). The command is built by `app.core.launch` as an argv list; the
instance name is only ever a window title.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from app.core import launch as launch_mod
from app.core.actions import Action
from app.core.aws.discovery.rows import InstanceRow
from app.core.aws.sessions.plugin import require_plugin
from app.core.errors import GangwayError
from app.core.launch import (
    Keyless,
    SessionRequest,
    Target,
    command_argv,
    display_command,
    launch,
    shell_request,
    ssh_request,
)
from app.core.paths import Paths
from app.core.procs import which
from app.core.settings import SessionSettings, SettingsStore
from app.core.ssh.ephemeral import EphemeralKey
from app.core.ssh.prefs import SshPrefs, SshPrefsStore
from app.core.ssh.proxycommand import Mode
from app.core.terminals import start
from app.ui.errors import error_text
from app.ui.icons import dress
from app.ui.tasks import Task, TaskRunner

log = logging.getLogger(__name__)

# The actions this module handles (the Instances pane also emits tunnels and RDP).
HANDLED = frozenset({Action.SHELL, Action.SHELL_REASON, Action.SHELL_COMMAND, Action.SSH,
                     Action.SFTP, Action.SCP, Action.COPY_SSH})
# Shortcuts on the instances view (Enter opens the default action, a shell).
SHORTCUTS: tuple[tuple[str, Action], ...] = (
    ("Return", Action.SHELL), ("Enter", Action.SHELL), ("Ctrl+Shift+R", Action.SHELL_REASON),
    ("Ctrl+Shift+E", Action.SHELL_COMMAND), ("Ctrl+Shift+S", Action.SSH),
    ("Ctrl+Shift+F", Action.SFTP), ("Ctrl+Shift+U", Action.SCP),
    ("Ctrl+Shift+C", Action.COPY_SSH),
)


@dataclass(frozen=True)
class Launched:
    """A terminal that was started; `proc` is kept so tests and the bench can wait for it."""

    request: SessionRequest
    argv: tuple[str, ...]
    pid: int
    proc: subprocess.Popen[bytes]


def check_capability(action: Action, row: InstanceRow) -> None:
    """Refuse early, with the reason discovery found (stopped, agent too old, denied)."""
    if row.capabilities.can(action):
        return
    who = f"{row.name} ({row.instance_id})" if row.name else row.instance_id
    why = row.capabilities.why_not(action)
    # The reason says what to do; the hint says where every check and its fix are.
    hint = "“Diagnose connection…” in the instance's menu shows each check and its fix."
    raise GangwayError(f"{action.label} is not possible on {who}: {why}.", hint)


def start_terminal(req: SessionRequest, settings: SessionSettings,
                   gangway: Sequence[str] | None = None,
                   keys: EphemeralKey | None = None) -> Launched:
    """Worker side: check the tools this launch needs, then start the terminal."""
    if req.pushes_key and keys is not None:
        keys.ensure()  # before ssh starts: ssh reads the key file as it starts
    uses_plugin = req.action is Action.SHELL or req.mode is Mode.BUILTIN
    if uses_plugin:
        require_plugin()
    elif which("aws") is None:
        raise GangwayError("The AWS CLI (aws) was not found on PATH, and AWS CLI mode needs it.",
                           "Install the AWS CLI v2, or switch to the built-in mode in "
                           "Settings > Terminal.")
    spec = launch(req, choice=settings.terminal or None, template=settings.template or None,
                  gangway=gangway)
    proc = start(spec)
    log.info("started terminal pid %d for %s on %s", proc.pid, req.action.value,
             req.target.instance_id)
    return Launched(req, spec.argv, proc.pid, proc)


class SessionActions(QObject):
    """Handles `action_requested(action, row)`; emits what happened, shows errors plainly."""

    launched = Signal(object)  # Launched
    failed = Signal(object)  # exception
    copied = Signal(str)

    def __init__(self, tasks: TaskRunner, paths: Paths, settings: SettingsStore,
                 parent: QWidget | None = None, *,
                 profile: Callable[[InstanceRow], str] | None = None,
                 gangway: Sequence[str] | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.paths = paths
        self.settings_store = settings
        self.prefs = SshPrefsStore(paths.data_dir)
        self.keys = EphemeralKey(paths.data_dir)
        self.parent_widget = parent
        self.profile_of = profile or (lambda _row: "default")
        self.gangway = list(gangway) if gangway else None
        self.dialog: QWidget | None = None  # the dialog currently open (tests drive it)
        self.error_box: QMessageBox | None = None
        self.shortcuts: list[QShortcut] = []

    # --- entry points --------------------------------------------------------------------

    def settings(self) -> SessionSettings:
        return self.settings_store.load().sessions

    def trigger(self, action: Action | str, row: InstanceRow) -> None:
        """Slot for the Instances pane. Unknown actions (tunnels, RDP) are left to others."""
        action = Action(action)
        if action not in HANDLED:
            return
        try:
            check_capability(action, row)
            if action is Action.COPY_SSH:
                self.copy_ssh_command(row)
            elif action is Action.SHELL_COMMAND:
                self._ask_command(row)
            elif action in (Action.SHELL, Action.SHELL_REASON):
                if action is Action.SHELL_REASON or self.settings().ask_reason:
                    self._ask_reason(row)
                else:
                    self.launch(self.request(Action.SHELL, row))
            elif action in (Action.SSH, Action.SFTP):
                self._open_ssh_dialog(action, row)
            elif action is Action.SCP:
                self._open_scp_dialog(row)
        except Exception as exc:
            self.show_error(exc)

    def keyless(self) -> Keyless:
        return Keyless(str(self.keys.private_path), self.settings().keyless)

    def target(self, row: InstanceRow) -> Target:
        return Target(row.instance_id, row.region, self.profile_of(row), name=row.name)

    def request(self, action: Action, row: InstanceRow, *, reason: str | None = None,
                command: str | None = None) -> SessionRequest:
        """The core request for `row`, with the remembered ssh choices and current mode."""
        target, mode = self.target(row), self.settings().mode
        if action is Action.SHELL:
            return shell_request(target, mode, reason=reason, command=command)
        prefs = self.prefs.get(target.profile, row.region, row.instance_id)
        return ssh_request(action, target, mode, prefs, reason=reason, keyless=self.keyless())

    def launch(self, req: SessionRequest) -> Task:
        """Start the terminal in a worker; `launched` or an error dialog follows."""
        task = self.tasks.submit(start_terminal, req, self.settings(), self.gangway,
                                 self.keys, name=f"launch {req.action.value}")
        task.result.connect(self._launched)
        task.error.connect(self.show_error)
        return task

    def _launched(self, launched: object) -> None:
        self.launched.emit(launched)

    def copy_ssh_command(self, row: InstanceRow) -> str:
        req = self.request(Action.SSH, row)
        argv, env = command_argv(req, gangway=self.gangway)
        text = display_command(argv, env)
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    # --- dialogs ---------------------------------------------------------------------------

    def _ask_reason(self, row: InstanceRow, command: str | None = None) -> None:
        dlg = QInputDialog(self.parent_widget)
        dlg.setWindowTitle("Reason for this session")
        dlg.setLabelText("Reason (recorded by Session Manager for audit; optional):")
        dlg.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.textValueSelected.connect(
            lambda text: self.launch(self.request(Action.SHELL, row, reason=text.strip(),
                                                  command=command)))
        self.dialog = dlg
        dlg.open()

    def _ask_command(self, row: InstanceRow) -> None:
        dlg = QInputDialog(self.parent_widget)
        dlg.setWindowTitle("Run a command")
        dlg.setLabelText("Command to run on the instance (instead of a shell), through "
                         f"{launch_mod.COMMAND_DOCUMENT}:")
        dlg.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        reason = self.settings().ask_reason

        def accepted(text: str) -> None:
            if text.strip():
                if reason:
                    self._ask_reason(row, command=text.strip())
                else:
                    self.launch(self.request(Action.SHELL, row, command=text.strip()))

        dlg.textValueSelected.connect(accepted)
        self.dialog = dlg
        dlg.open()

    def _open_ssh_dialog(self, action: Action, row: InstanceRow) -> None:
        from app.ui.dialogs.ssh_options_dialog import SshOptionsDialog

        target = self.target(row)
        dlg = SshOptionsDialog(row, target, self.settings().mode, action,
                               self.prefs.get(target.profile, row.region, row.instance_id),
                               gangway=self.gangway, keyless=self.keyless(),
                               parent=self.parent_widget)
        dlg.launch_requested.connect(self._ssh_dialog_accepted)
        self.dialog = dlg
        dlg.open()

    def _ssh_dialog_accepted(self, row: InstanceRow, prefs: SshPrefs, req: SessionRequest
                             ) -> None:
        self.prefs.put(req.target.profile, row.region, row.instance_id, prefs)
        self.launch(req)

    def _open_scp_dialog(self, row: InstanceRow) -> None:
        from app.ui.dialogs.scp_dialog import ScpDialog

        target = self.target(row)
        keyless = self.keyless()
        dlg = ScpDialog(row, target, self.settings().mode,
                        self.prefs.get(target.profile, row.region, row.instance_id),
                        gangway=self.gangway, keyless=keyless, parent=self.parent_widget)
        # scp runs from the dialog, not a terminal: have the key on disk before it starts.
        self.tasks.submit(self.keys.ensure, name="ephemeral key")
        self.dialog = dlg
        dlg.open()

    def show_error(self, exc: object) -> None:
        """The error as a window-modal, non-blocking message box (plain text, with its hint)."""
        if not isinstance(exc, BaseException):
            exc = GangwayError(str(exc))
        message, hint = error_text(exc)
        box = QMessageBox(QMessageBox.Icon.Warning, "Gangway", message,
                          QMessageBox.StandardButton.Ok, self.parent_widget)
        dress(box)
        box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote hostile names
        if hint:
            box.setInformativeText(hint)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()
        self.failed.emit(exc)

    # --- keyboard --------------------------------------------------------------------------

    def install_shortcuts(self, view: QWidget,
                          current_row: Callable[[], InstanceRow | None]) -> list[QShortcut]:
        """Enter = shell, Ctrl+Shift+S = SSH, ... on `view` (the instances table)."""
        made = []
        for keys, action in SHORTCUTS:
            sc = QShortcut(QKeySequence(keys), view)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(lambda a=action: self._shortcut(a, current_row))
            made.append(sc)
        self.shortcuts += made
        return made

    def _shortcut(self, action: Action, current_row: Callable[[], InstanceRow | None]) -> None:
        row = current_row()
        if row is not None:
            self.trigger(action, row)
