"""The MFA prompt: which profile, which device, a 6-digit code.

The dialog does not close when OK is pressed: it says it is checking the code and waits for
the broker to tell it how that went, so a wrong code is shown here ("wrong code, try again")
with the field cleared, not in a new window. Cancel always cancels.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials.types import MfaRequest
from app.ui.icons import dress
from app.ui.widgets.colours import error_css

WRONG_CODE = "Wrong code, try again (wait for the next code on your device)."


def _plain(text: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # profile names are user text
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if hours and not rest:
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{seconds // 60} minutes"


class MfaDialog(QDialog):
    """Emits `code_entered(code)` on OK; the owner calls `show_error()` or `accept()`."""

    code_entered = Signal(str)

    def __init__(self, request: MfaRequest, duration_seconds: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.setWindowTitle("MFA code needed")
        self.setModal(True)
        self.setMinimumWidth(420)

        intro = _plain("Enter the 6-digit code from your MFA device to get temporary "
                       "credentials.")
        self.profile_label = _plain(request.profile)
        bold = QFont(self.profile_label.font())
        bold.setBold(True)
        self.profile_label.setFont(bold)
        self.device_label = _plain(request.serial)
        form = QFormLayout()
        form.addRow("Profile:", self.profile_label)
        if request.role_arn:
            self.role_label = _plain(request.role_arn)
            form.addRow("Role:", self.role_label)
        form.addRow("Device:", self.device_label)

        self.code = QLineEdit()
        self.code.setObjectName("mfa-code")
        self.code.setPlaceholderText("6 digits")
        self.code.setMaxLength(6)
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}"),
                                                           self.code))
        self.code.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        big = QFont(self.code.font())
        big.setPointSizeF(big.pointSizeF() * 1.6)
        big.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.code.setFont(big)
        form.addRow("Code:", self.code)

        self.error_label = _plain()
        self.error_label.setObjectName("mfa-error")
        self.error_label.setStyleSheet(error_css(self.palette()))
        self.error_label.hide()
        self.status_label = _plain()
        self.status_label.setStyleSheet("color: palette(placeholder-text);")
        if duration_seconds:
            self.status_label.setText(
                f"The temporary credentials will last {duration_text(duration_seconds)}.")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        dress(self.buttons)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Continue")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)

        self._checking = False
        self.code.textChanged.connect(self._update_ok)
        self.code.returnPressed.connect(self._submit)
        if request.error:
            self.show_error(WRONG_CODE if "reject" in request.error.lower() else request.error)
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self._checking and len(self.code.text()) == 6
                                  and self.code.text().isdigit())

    def _submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        code = self.code.text()
        self._checking = True
        self.code.setEnabled(False)
        self.error_label.hide()
        self.status_label.setText("Checking the code with AWS…")
        self._update_ok()
        self.code_entered.emit(code)

    def show_error(self, text: str) -> None:
        """A retry: say what went wrong, clear the field, let the user type again."""
        self._checking = False
        self.error_label.setText(text)
        self.error_label.show()
        self.status_label.setText("")
        self.code.setEnabled(True)
        self.code.clear()
        self.code.setFocus()
        self._update_ok()

    @property
    def checking(self) -> bool:
        return self._checking
