"""Settings > Terminal: which terminal opens sessions, a custom `{command}` template, the
ProxyCommand mode (built-in or AWS CLI) and whether to ask for a reason.

The terminal list comes from `terminals.detect()`, run on a worker (it scans PATH).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core import terminals
from app.core.aws import policies
from app.core.settings import SessionSettings, SettingsStore
from app.core.ssh.proxycommand import Mode
from app.ui.errors import error_text
from app.ui.icons import dress
from app.ui.tasks import TaskRunner
from app.ui.widgets.colours import error_css

AUTO = "Automatic (first one found)"


class TerminalSettingsDialog(QDialog):
    saved = Signal(object)  # SessionSettings

    def __init__(self, runner: TaskRunner, store: SettingsStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = store.load().sessions
        self.found: list[terminals.FoundTerminal] = []
        self.setWindowTitle("Terminal and sessions")
        self.setMinimumWidth(520)

        self.terminal = QComboBox()
        self.terminal.addItem(AUTO, "")
        if self.settings.terminal:
            self.terminal.addItem(f"{self.settings.terminal} (checking…)", self.settings.terminal)
            self.terminal.setCurrentIndex(1)
        self.template = QLineEdit(self.settings.template)
        self.template.setPlaceholderText("e.g. myterm --hold -e {command}")
        self.template.textChanged.connect(self.validate)
        self.builtin = QRadioButton("Built-in (gangway proxy: works with MFA, SSO and roles)")
        self.cli = QRadioButton("AWS CLI (aws ssm start-session, as documented by AWS)")
        group = QButtonGroup(self)
        group.addButton(self.builtin)
        group.addButton(self.cli)
        (self.cli if self.settings.mode is Mode.CLI else self.builtin).setChecked(True)
        self.ask_reason = QCheckBox("Ask for a reason before each shell session")
        self.ask_reason.setChecked(self.settings.ask_reason)
        self.keyless = QCheckBox("Keyless SSH: push Gangway's ephemeral key for 60 s with EC2 "
                                 "Instance Connect")
        help_text = next(f.metadata["help"] for f in dataclasses.fields(SessionSettings)
                         if f.name == "keyless")
        self.keyless.setToolTip(f"{help_text}. Needs {policies.SEND_SSH_PUBLIC_KEY}.")
        self.keyless.setChecked(self.settings.keyless)
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(error_css(self.palette()))

        form = QFormLayout()
        form.addRow("Terminal:", self.terminal)
        form.addRow("Custom command:", self.template)
        form.addRow("", QLabel("{command} is replaced by the session command; it wins over "
                               "the terminal chosen above."))
        form.addRow("SSH proxy:", self.builtin)
        form.addRow("", self.cli)
        form.addRow("", self.ask_reason)
        form.addRow("", self.keyless)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        dress(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.task = runner.submit(terminals.detect, name="detect terminals")
        self.task.result.connect(self.set_found)
        self.validate()

    def set_found(self, found: object) -> None:
        self.found = list(found) if isinstance(found, list) else []
        chosen = self.settings.terminal
        self.terminal.clear()
        self.terminal.addItem(AUTO, "")
        for term in self.found:
            self.terminal.addItem(f"{term.name} ({term.path})", term.kind)
        if chosen:
            index = self.terminal.findData(chosen)
            if index < 0:
                self.terminal.addItem(f"{chosen} (not found)", chosen)
                index = self.terminal.count() - 1
            self.terminal.setCurrentIndex(index)

    def validate(self) -> bool:
        text = self.template.text().strip()
        ok = True
        if text:
            try:
                terminals.custom_template_argv(text, ["true"])
            except Exception as exc:
                message, hint = error_text(exc)
                self.problem.setText(f"{message} {hint}".strip())
                ok = False
        if ok:
            self.problem.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
        return ok

    def value(self) -> SessionSettings:
        return SessionSettings(mode=Mode.CLI if self.cli.isChecked() else Mode.BUILTIN,
                               ask_reason=self.ask_reason.isChecked(),
                               keyless=self.keyless.isChecked(),
                               terminal=str(self.terminal.currentData() or ""),
                               template=self.template.text().strip())

    def accept(self) -> None:
        if not self.validate():
            return
        value = self.value()
        self.store.update(sessions=value)
        self.saved.emit(value)
        super().accept()
