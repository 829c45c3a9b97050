"""The global exception hook: log the traceback, then a calm dialog with "Copy details".

    sys.excepthook = make_hook(parent=lambda: window, log_file=paths.log_file, quit=app.quit)

The app keeps running (an exception in a slot ends only that slot). One dialog at a time: a
burst of the same error does not stack windows. KeyboardInterrupt quits politely.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from app import APP_NAME
from app.ui.icons import dress

log = logging.getLogger(__name__)
Hook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


class ErrorDialog(QMessageBox):
    def __init__(self, kind: type[BaseException], exc: BaseException, details: str,
                 log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = details
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(f"{APP_NAME}: something went wrong")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText("Something went wrong inside Gangway. It keeps running, and your files "
                     "and tunnels are not affected.")
        self.setInformativeText(f"{kind.__name__}: {exc}\n\nIf it happens again, please "
                                f"report it with the details (also in {log_file}).")
        self.setDetailedText(details)
        self.copy_button = QPushButton("Copy details")
        self.addButton(self.copy_button, QMessageBox.ButtonRole.ActionRole)
        self.copy_button.clicked.disconnect()  # an action button would close the box
        self.copy_button.clicked.connect(self.copy)
        self.addButton(QMessageBox.StandardButton.Close)
        dress(self, {self.copy_button: "copy"})
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")


def make_hook(parent: Callable[[], QWidget | None], log_file: Path,
              quit_app: Callable[[], None]) -> Hook:
    shown: list[ErrorDialog] = []

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            quit_app()
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        log.critical("unhandled exception:\n%s", details)
        if shown and shown[0].isVisible():
            return  # one at a time
        shown.clear()
        dialog = ErrorDialog(kind, exc, details, log_file, parent())
        shown.append(dialog)
        dialog.open()

    hook.dialogs = shown  # type: ignore[attr-defined]  # for tests
    return hook
