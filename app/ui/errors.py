"""How errors are worded for people: what happened, then what to do. Never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import GangwayError
from app.ui.icons import dress


def error_text(exc: BaseException) -> tuple[str, str]:
    """(message, hint) for any exception; unknown ones get a generic, honest hint."""
    if isinstance(exc, GangwayError):
        return exc.message, exc.hint
    return (f"Something unexpected went wrong ({type(exc).__name__}: {exc}).",
            "The details are in the log file (Help > Open log folder).")


def show_error(parent: QWidget | None, exc: BaseException, title: str = "Gangway") -> None:
    message, hint = error_text(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    # Messages may quote hostile text (tag values, file contents): never render rich text.
    box.setTextFormat(Qt.TextFormat.PlainText)
    if hint:
        box.setInformativeText(hint)
    dress(box)
    box.exec()
