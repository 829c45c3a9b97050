"""The MFA dialog `gangway credentials` shows when no Gangway window runs.

Started as `python -m app.ui.dialogs.mfa_prompt_cli --profile NAME --serial ARN` by
`app.core.aws.mfa.dialog_prompt`; prints the 6-digit code on stdout and exits 0, or exits 1
when cancelled. Never reads stdin. All text is plain (profile names are user input).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.ui.icons import dress
from app.ui.widgets.colours import error_css


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gangway-mfa-prompt")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--role", default="")
    parser.add_argument("--attempt", type=int, default=1)
    parser.add_argument("--error", default="")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QRegularExpression, Qt
    from PySide6.QtGui import QRegularExpressionValidator
    from PySide6.QtWidgets import (
        QApplication,
        QDialog,
        QDialogButtonBox,
        QLabel,
        QLineEdit,
        QVBoxLayout,
    )

    app = QApplication.instance() or QApplication([sys.argv[0]])
    dialog = QDialog()
    dialog.setWindowTitle("Gangway: MFA code")
    layout = QVBoxLayout(dialog)

    def label(text: str) -> QLabel:
        widget = QLabel(text)
        widget.setTextFormat(Qt.TextFormat.PlainText)
        widget.setWordWrap(True)
        layout.addWidget(widget)
        return widget

    label(f"Profile: {args.profile}")
    label(f"MFA device: {args.serial}")
    if args.role:
        label(f"Role: {args.role}")
    if args.error:
        label(args.error).setStyleSheet(error_css(dialog.palette()))
    code = QLineEdit()
    code.setPlaceholderText("6-digit code")
    code.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}")))
    code.setMaxLength(6)
    layout.addWidget(code)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    dress(buttons)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setEnabled(False)
    code.textChanged.connect(lambda text: ok.setEnabled(len(text) == 6))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    del app
    if not accepted or len(code.text()) != 6:
        return 1
    sys.stdout.write(code.text() + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
