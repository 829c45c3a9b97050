"""The exception hook's calm dialog with "Copy details", and the About box's versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from app.ui.crash import make_hook
from app.ui.dialogs.about import AboutDialog
from app.ui.tasks import TaskRunner


def _raise() -> None:
    raise ValueError("bad <b>thing</b>")


def test_unhandled_exception_shows_a_calm_dialog_with_copyable_details(qtbot: Any,
                                                                      tmp_path: Path) -> None:
    quits: list[bool] = []
    hook = make_hook(lambda: None, tmp_path / "gangway.log", lambda: quits.append(True))
    try:
        _raise()
    except ValueError:
        hook(*sys.exc_info())  # type: ignore[arg-type]
    dialog = hook.dialogs[0]  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.isVisible)
    assert "keeps running" in dialog.text()
    assert "ValueError: bad <b>thing</b>" in dialog.informativeText()  # plain text
    assert dialog.textFormat() == Qt.TextFormat.PlainText
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Traceback") and "in _raise" in copied
    assert dialog.isVisible()  # copying does not close it
    try:  # a second error while the first is on screen: no second window
        _raise()
    except ValueError:
        hook(*sys.exc_info())  # type: ignore[arg-type]
    assert len(hook.dialogs) == 1  # type: ignore[attr-defined]
    hook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert quits == [True]
    dialog.button(QMessageBox.StandardButton.Close).click()
    assert not dialog.isVisible()


def test_about_lists_gangway_qt_boto3_and_the_plugin(qtbot: Any, aws_env: Any) -> None:
    tasks = TaskRunner()
    try:
        dialog = AboutDialog(tasks)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: "checking" not in dialog.informativeText(), timeout=10000)
        text = dialog.informativeText()
        for name in ("Gangway:", "Qt: 6.", "PySide6:", "boto3: 1.", "session-manager-plugin: "):
            assert name in text, name
        assert str(aws_env.sandbox.plugin_dir) in text  # the plugin on PATH, with its version
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == text
    finally:
        tasks.shutdown(timeout_ms=10000)
