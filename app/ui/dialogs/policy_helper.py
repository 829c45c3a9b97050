"""Help > IAM policy helper: the policies an administrator attaches for Gangway, as JSON to
copy or save. Account, users and tag arrive filled in from what Gangway knows; the
generator is `app.core.aws.policies` (its statements are checked by policy simulation in
tests/core/test_policies.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.aws import policies
from app.core.store import atomic_write
from app.ui.icons import dress
from app.ui.tasks import TaskRunner

# (key, title, what it is for, which inputs it uses)
KINDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("user", "User policy",
     "For the people who connect: start sessions on the account's instances, list what "
     "Gangway lists, end and resume only their own sessions.", ("account",)),
    ("instance", "Instance profile (the SSM agent)",
     "For the instances' role: what the SSM agent calls so sessions can reach it.", ()),
    ("only-users", "Only these users may connect",
     "A guard for a group or boundary: StartSession is denied to everyone not listed.",
     ("account", "users")),
    ("tagged", "Only instances with a tag",
     "In place of the user policy's StartSessions statement: sessions only on instances "
     "carrying this tag (the documents need no tag).",
     ("account", "tag")),
    ("ports", "Port forwarding only",
     "Tunnels and nothing else: the port-forwarding documents, no shell.", ("account",)),
)


def generate(kind: str, account: str, users: list[str], tag_key: str, tag_value: str
             ) -> dict[str, Any]:
    account = account.strip() or "*"
    if kind == "instance":
        return policies.instance_profile_policy()
    if kind == "only-users":
        return policies.deny_all_but(users or ["USER-NAME"], account)
    if kind == "tagged":
        return policies.tag_restricted(tag_key.strip() or "TAG-KEY", tag_value.strip(), account)
    if kind == "ports":
        return policies.document_scoped(account=account)
    return policies.user_policy(account)


class PolicyHelper(QDialog):
    saved = Signal(str)  # the path written

    def __init__(self, tasks: TaskRunner, *, account: str = "", users: str = "",
                 tag: tuple[str, str] = ("", ""), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setWindowTitle("IAM policy helper")
        self.resize(760, 640)
        self.kind = QComboBox()
        for key, title, _text, _inputs in KINDS:
            self.kind.addItem(title, key)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet("color: palette(placeholder-text);")
        self.account = QLineEdit(account)
        self.account.setPlaceholderText("123456789012 (empty: any account)")
        self.users = QLineEdit(users)
        self.users.setPlaceholderText("alice, bob")
        self.tag_key = QLineEdit(tag[0])
        self.tag_key.setPlaceholderText("Team")
        self.tag_value = QLineEdit(tag[1])
        self.tag_value.setPlaceholderText("web")
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_key)
        tag_row.addWidget(QLabel("="))
        tag_row.addWidget(self.tag_value)
        form = QFormLayout()
        form.addRow("Policy:", self.kind)
        form.addRow("", self.about)
        form.addRow("Account:", self.account)
        form.addRow("IAM users:", self.users)
        form.addRow("Tag:", tag_row)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self.ask_path)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        dress(buttons, {self.copy_button: "copy", self.save_button: "save"})
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.file_dialog: QFileDialog | None = None
        self._inputs = {"account": [self.account], "users": [self.users],
                        "tag": [self.tag_key, self.tag_value]}
        for edit in (self.account, self.users, self.tag_key, self.tag_value):
            edit.textChanged.connect(self.update_output)
        self.kind.currentIndexChanged.connect(self.update_output)
        self.update_output()

    def select(self, key: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(key))

    def document(self) -> dict[str, Any]:
        users = [u.strip() for u in self.users.text().replace(";", ",").split(",") if u.strip()]
        return generate(str(self.kind.currentData()), self.account.text(), users,
                        self.tag_key.text(), self.tag_value.text())

    def text(self) -> str:
        return policies.to_json(self.document())

    def update_output(self, *_: object) -> None:
        key = str(self.kind.currentData())
        _k, _title, about, inputs = next(k for k in KINDS if k[0] == key)
        self.about.setText(about)
        for name, edits in self._inputs.items():
            for edit in edits:
                edit.setEnabled(name in inputs)
        self.output.setPlainText(self.text())
        self.status.setText("")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.status.setText("Copied to the clipboard.")

    def ask_path(self) -> None:
        dialog = QFileDialog(self, "Save the policy", f"gangway-{self.kind.currentData()}.json")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("JSON (*.json)")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(self.save_to)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        dialog.open()

    def save_to(self, path: str) -> None:
        """Written in a worker (0600, atomic; a file that was there is backed up)."""
        task = self.tasks.submit(atomic_write, Path(path), self.text(), name="save policy")
        task.result.connect(lambda _r: self._saved(path))
        task.error.connect(lambda exc: self.status.setText(f"Could not save {path}: {exc}"))

    def _saved(self, path: str) -> None:
        self.status.setText(f"Saved {path}.")
        self.saved.emit(path)
