"""Settings: how long temporary credentials last (more sections can join this dialog).

Stored in the app's settings.json (`session_token_hours`, `role_hours`); read back with
`profile_view.durations_from`. A profile's own `duration_seconds` still wins for its role.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials.types import Durations
from app.core.aws.profiles.view import durations_from
from app.core.store import JsonStore


def _hours(low: float, high: float, value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(2)
    box.setSingleStep(0.25)
    box.setSuffix(" h")
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    """Edits the settings document; `saved(doc)` after a successful write."""

    saved = Signal(object)

    def __init__(self, settings: JsonStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        self.setMinimumWidth(460)
        self.doc: dict[str, Any] = settings.load()
        current = durations_from(self.doc)
        defaults = Durations()
        # AWS limits: GetSessionToken 15 min..36 h, AssumeRole 15 min..12 h (role maximum).
        self.session_hours = _hours(0.25, 36, current.session_token / 3600)
        self.role_hours = _hours(0.25, 12, current.role / 3600)
        group = QGroupBox("Temporary credentials")
        form = QFormLayout(group)
        form.addRow("After an MFA code (session token):", self.session_hours)
        form.addRow("Assumed roles:", self.role_hours)
        note = QLabel(f"Defaults: {defaults.session_token // 3600} h and "
                      f"{defaults.role // 3600} h. A profile's own duration_seconds wins for "
                      "its role; AWS refuses more than the role's maximum session duration.")
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        form.addRow(note)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def durations(self) -> Durations:
        return Durations(int(self.session_hours.value() * 3600),
                         int(self.role_hours.value() * 3600))

    def save(self) -> None:
        doc = dict(self.settings.load())
        doc["session_token_hours"] = self.session_hours.value()
        doc["role_hours"] = self.role_hours.value()
        try:
            self.settings.save(doc)
        except OSError as exc:
            self.error.setText(f"The settings could not be saved ({exc.strerror or exc}).")
            self.error.show()
            return
        self.doc = doc
        self.saved.emit(doc)
        self.accept()
