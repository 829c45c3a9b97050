"""Settings: how long temporary credentials last (the `credentials` section of the settings).

A profile's own `duration_seconds` still wins for its role.
"""

from __future__ import annotations

from dataclasses import fields

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

from app.core.settings import CredentialSettings, Settings, SettingsStore
from app.ui.icons import dress
from app.ui.widgets.colours import error_css
from app.ui.widgets.settings_form import NumberBox


def _hours(low: float, high: float, value: float) -> QDoubleSpinBox:
    box = NumberBox()
    box.setRange(low, high)
    box.setDecimals(2)
    box.setSingleStep(0.25)
    box.setSuffix(" h")
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    """Edits the credentials settings; `saved(Settings)` after a successful write."""

    saved = Signal(object)

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        self.setMinimumWidth(460)
        self.current: Settings = settings.load()
        current = self.current.credentials
        defaults = CredentialSettings()
        meta = {f.name: f.metadata for f in fields(CredentialSettings)}
        # AWS limits: GetSessionToken 15 min..36 h, AssumeRole 15 min..12 h (role maximum).
        self.session_hours = _hours(meta["session_token_hours"]["min"],
                                    meta["session_token_hours"]["max"],
                                    current.session_token_hours)
        self.role_hours = _hours(meta["role_hours"]["min"], meta["role_hours"]["max"],
                                 current.role_hours)
        group = QGroupBox("Temporary credentials")
        form = QFormLayout(group)
        form.addRow("After an MFA code (session token):", self.session_hours)
        form.addRow("Assumed roles:", self.role_hours)
        note = QLabel(f"Defaults: {defaults.session_token_hours:g} h and "
                      f"{defaults.role_hours:g} h. A profile's own duration_seconds wins for "
                      "its role; AWS refuses more than the role's maximum session duration.")
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        form.addRow(note)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(error_css(self.palette()))
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        dress(buttons)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def value(self) -> CredentialSettings:
        return CredentialSettings(self.session_hours.value(), self.role_hours.value())

    def save(self) -> None:
        try:
            saved = self.settings.update(credentials=self.value())
        except OSError as exc:
            self.error.setText(f"The settings could not be saved ({exc.strerror or exc}).")
            self.error.show()
            return
        self.current = saved
        self.saved.emit(saved)
        self.accept()
