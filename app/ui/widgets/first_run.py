"""The first run: no AWS profile yet. Three ways to get one, and what the doctor found.

Emits what the user chose; the Profiles pane owns the dialogs and writes (this widget has no
services). `set_checks()` shows the doctor's result in one line per problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.checks import Check, Status
from app.ui.icons import icon, tinted
from app.ui.widgets.colours import state_colour

_WIDTH = 620
_WAY_ICONS = {"sso": "login", "keys": "key", "open": "folder"}
WAYS = (
    ("sso", "Sign in with AWS SSO (IAM Identity Center)",
     "Paste your organisation's start URL. Gangway signs you in, finds every account and role "
     "you may use, and creates a profile for each.", "Import from SSO…"),
    ("keys", "Add access keys",
     "An access key ID and secret key from IAM. They go straight into the OS keyring, never "
     "into a file.", "Add access keys…"),
    ("open", "Use a config file you already have",
     "An AWS config file from a backup or a colleague; Gangway copies it to your AWS config.",
     "Open config file…"),
)


def _label(text: str, *, bold: bool = False, muted: bool = False, scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    font = label.font()
    font.setBold(bold)
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    if muted:
        label.setStyleSheet("color: palette(placeholder-text);")
    return label


class FirstRunGuide(QWidget):
    chosen = Signal(str)  # "sso" | "keys" | "open"
    doctor_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QWidget()
        column.setMaximumWidth(_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(10)
        self.title_label = _label("Welcome to Gangway", bold=True, scale=1.35)
        inner.addWidget(self.title_label)
        inner.addWidget(_label("Gangway reaches your servers through AWS Systems Manager, "
                               "with an AWS profile. You have none yet; pick one way to start:",
                               muted=True))
        self.buttons: dict[str, QPushButton] = {}
        self.way_texts: dict[str, QLabel] = {}
        for key, title, text, button_text in WAYS:
            inner.addWidget(self._way(key, title, text, button_text))
        inner.addSpacing(6)
        self.doctor_frame = QFrame()
        doctor = QHBoxLayout(self.doctor_frame)
        doctor.setContentsMargins(0, 0, 0, 0)
        self.doctor_icon = QLabel()
        self.doctor_label = _label("Checking this computer…", muted=True)
        self.doctor_button = QPushButton(icon("doctor"), "Open the doctor")
        self.doctor_button.clicked.connect(self.doctor_requested)
        self.doctor_button.setVisible(False)
        doctor.addWidget(self.doctor_icon, 0, Qt.AlignmentFlag.AlignTop)
        doctor.addWidget(self.doctor_label, 1)
        doctor.addWidget(self.doctor_button, 0, Qt.AlignmentFlag.AlignTop)
        inner.addWidget(self.doctor_frame)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 6)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def set_keyring(self, real: bool) -> None:
        """Say honestly where keys go on this machine."""
        self.way_texts["keys"].setText(
            "An access key ID and secret key from IAM. They go straight into the OS keyring, "
            "never into a file." if real else
            "An access key ID and secret key from IAM. This computer has no OS keyring, so "
            "they go into your AWS credentials file (0600) until one is available.")

    def _way(self, key: str, title: str, text: str, button_text: str) -> QFrame:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(frame)
        grid.setContentsMargins(12, 10, 12, 10)
        grid.addWidget(_label(title, bold=True), 0, 0)
        self.way_texts[key] = _label(text, muted=True)
        grid.addWidget(self.way_texts[key], 1, 0)
        button = QPushButton(icon(_WAY_ICONS.get(key, "")), button_text)
        button.clicked.connect(lambda _=False, k=key: self.chosen.emit(k))
        grid.addWidget(button, 0, 1, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(0, 1)
        self.buttons[key] = button
        return frame

    def set_checks(self, checks: Sequence[Check]) -> None:
        """The doctor's answer, in a sentence: what is missing, or that all is well."""
        missing = [c for c in checks if c.status is Status.MISSING]
        warn = [c for c in checks if c.status is Status.WARN]
        if missing:
            text = ("Missing on this computer: " + ", ".join(c.name for c in missing)
                    + ". The doctor shows how to install "
                    + ("it." if len(missing) == 1 else "them."))
            icon = "missing"
        elif warn:
            text = ("Everything essential is here. Could be better: "
                    + ", ".join(c.name for c in warn) + ".")
            icon = "warn"
        else:
            text = "This computer has everything Gangway needs."
            icon = "ok"
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.doctor_icon.setPixmap(tinted(icon, state_colour(icon, self.palette()), size))
        self.doctor_label.setText(text)
        self.doctor_button.setVisible(bool(missing or warn))
