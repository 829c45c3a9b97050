"""SSH / SFTP options for one instance: user, key or ssh-agent, port, extra options, reason.

Shows, as plain text, the exact command that will run in the terminal, updated as the user
types; Connect stays disabled while a field is invalid, and the reason is shown beside it.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.actions import Action
from app.core.aws.discovery.rows import InstanceRow
from app.core.launch import (
    KEYLESS_NOTE,
    Keyless,
    SessionRequest,
    Target,
    command_argv,
    display_command,
    ssh_request,
)
from app.core.ssh.argv import SshArgumentError
from app.core.ssh.prefs import SshPrefs
from app.core.ssh.proxycommand import Mode
from app.ui.errors import error_text
from app.ui.icons import dress
from app.ui.widgets.colours import error_css

HEADER_WIDTH = 520


def elided(text: str, width: int, label: QWidget) -> str:
    """One line of hostile text, cut with an ellipsis to fit `width` pixels."""
    return QFontMetrics(label.font()).elidedText(" ".join(text.split()),
                                                 Qt.TextElideMode.ElideMiddle, width)


class SshOptionsDialog(QDialog):
    launch_requested = Signal(object, object, object)  # InstanceRow, SshPrefs, SessionRequest

    def __init__(self, row: InstanceRow, target: Target, mode: Mode, action: Action,
                 prefs: SshPrefs, *, gangway: Sequence[str] | None = None,
                 keyless: Keyless | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row, self.target, self.mode, self.action = row, target, mode, action
        self.keyless = keyless
        self.profile = target.profile
        self.gangway = list(gangway) if gangway else None
        self.request: SessionRequest | None = None
        verb = "SFTP" if action is Action.SFTP else "SSH"
        self.setWindowTitle(f"{verb} over Session Manager")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(HEADER_WIDTH + 60)

        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        who = f"{row.name} ({row.instance_id})" if row.name else row.instance_id
        full = f"{verb} to {who}\nRegion {row.region}, profile {target.profile}"
        self.header.setText("\n".join(elided(line, HEADER_WIDTH, self.header)
                                      for line in full.splitlines()))
        self.header.setToolTip("<p style='white-space:pre-wrap'>" + html.escape(full) + "</p>")

        self.user = QLineEdit(prefs.user)
        self.user.setPlaceholderText("ssh's default (e.g. ec2-user, ubuntu)")
        self.key = QLineEdit(prefs.identity_file)
        self.key.setPlaceholderText("~/.ssh/id_ed25519")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.agent = QCheckBox("Use ssh-agent (and ssh's default keys)")
        self.agent.setChecked(prefs.use_agent)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.browse)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(prefs.port if 0 < prefs.port < 65536 else 22)
        self.extra = QLineEdit(prefs.extra)
        self.extra.setPlaceholderText("-o ServerAliveInterval=30")
        self.command = QLineEdit()
        self.command.setPlaceholderText("optional: run this instead of a login shell")
        self.command.setEnabled(action is Action.SSH)
        self.reason = QLineEdit()
        self.reason.setMaxLength(256)
        self.reason.setPlaceholderText("optional, recorded by Session Manager")
        if mode is Mode.CLI:
            self.reason.setEnabled(False)
            self.reason.setPlaceholderText("only in the built-in mode (Settings > Terminal)")

        form = QFormLayout()
        form.addRow("User:", self.user)
        form.addRow("Key file:", key_row)
        form.addRow("", self.agent)
        form.addRow("Port:", self.port)
        form.addRow("Extra options:", self.extra)
        form.addRow("Remote command:", self.command)
        form.addRow("Reason:", self.reason)

        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(error_css(self.palette()))
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setFixedHeight(96)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(
            "Open SFTP" if action is Action.SFTP else "Connect",
            QDialogButtonBox.ButtonRole.AcceptRole)
        dress(self.buttons, {self.connect_button: "folder" if action is Action.SFTP
                             else "sessions"})
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(QLabel("Command that will run in the terminal:"))
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)

        for edit in (self.user, self.key, self.extra, self.command, self.reason):
            edit.textChanged.connect(self.update_preview)
        self.port.valueChanged.connect(self.update_preview)
        self.agent.toggled.connect(self.update_preview)
        self.update_preview()

    def prefs(self) -> SshPrefs:
        """The fields; the remote command is split like a shell would, into argv words."""
        try:
            command = tuple(shlex.split(self.command.text())) if self.command.isEnabled() else ()
        except ValueError as exc:
            raise SshArgumentError(f"The remote command cannot be read: {exc}.",
                                   "Check its quotes.") from exc
        return SshPrefs(user=self.user.text().strip(), identity_file=self.key.text().strip(),
                        use_agent=self.agent.isChecked(), port=self.port.value(),
                        extra=self.extra.text(), remote_command=command)

    def update_preview(self) -> None:
        agent = self.agent.isChecked()
        self.key.setEnabled(not agent)
        self.browse.setEnabled(not agent)
        try:
            req = ssh_request(self.action, self.target, self.mode, self.prefs(),
                              reason=self.reason.text().strip() or None, keyless=self.keyless)
            argv, env = command_argv(req, gangway=self.gangway)
        except Exception as exc:
            message, hint = error_text(exc)
            self.request = None
            self.problem.setText(f"{message} {hint}".strip())
            self.problem.show()
            self.preview.setPlainText("")
            self.connect_button.setEnabled(False)
            return
        self.request = req
        self.problem.setText("")
        self.problem.hide()
        note = KEYLESS_NOTE + "\n" if req.pushes_key else ""
        self.preview.setPlainText(note + display_command(argv, env))
        self.connect_button.setEnabled(True)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a private key",
                                              self.key.text() or "~/.ssh")
        if path:
            self.key.setText(path)
            self.agent.setChecked(False)

    def accept(self) -> None:
        self.update_preview()
        if self.request is None:
            return
        self.launch_requested.emit(self.row, self.prefs(), self.request)
        super().accept()
