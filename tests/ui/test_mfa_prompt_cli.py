"""The standalone MFA dialog of `gangway credentials`: 6 digits only, plain text, cancel = 1."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QLineEdit

from app.ui.dialogs.mfa_prompt_cli import main

ARGS = ["--profile", "<b>prod</b> ü", "--serial", "arn:aws:iam::1:mfa/me", "--attempt", "2",
        "--error", "AWS rejected the code."]


def visible_dialog() -> QDialog:
    return next(w for w in QApplication.topLevelWidgets()
                if isinstance(w, QDialog) and w.isVisible())


def test_typed_code_is_printed(qtbot: Any, capsys: Any) -> None:
    seen: dict[str, Any] = {}

    def fill() -> None:
        dialog = visible_dialog()
        labels = dialog.findChildren(QLabel)
        seen["formats"] = {label.textFormat() for label in labels}
        seen["texts"] = [label.text() for label in labels]
        edit = dialog.findChild(QLineEdit)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.keyClicks(edit, "12a34")
        seen["ok_early"] = ok.isEnabled()
        qtbot.keyClicks(edit, "567")  # the validator keeps digits, at most 6
        seen["text"] = edit.text()
        ok.click()

    QTimer.singleShot(50, fill)
    assert main(ARGS) == 0
    assert capsys.readouterr().out == "123456\n"
    assert seen["text"] == "123456" and seen["ok_early"] is False
    assert seen["formats"] == {Qt.TextFormat.PlainText}
    assert "Profile: <b>prod</b> ü" in seen["texts"] and "AWS rejected the code." in seen["texts"]


def test_cancel_exits_1_and_prints_nothing(qtbot: Any, capsys: Any) -> None:
    QTimer.singleShot(50, lambda: visible_dialog().reject())
    assert main(ARGS) == 1
    assert capsys.readouterr().out == ""
