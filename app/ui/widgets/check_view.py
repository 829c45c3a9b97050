"""One check on screen: a status chip (icon and word), what was found, and its fix (commands
with Copy, links that open, an IAM statement as JSON with Copy)."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.checks import Check, Status
from app.ui.icons import icon, tinted
from app.ui.widgets.colours import state_colour

_WORDS = {Status.OK: "OK", Status.WARN: "Attention", Status.MISSING: "Missing"}
_ICON_NAMES = {Status.OK: "ok", Status.WARN: "warn", Status.MISSING: "missing"}


def status_word(status: Status) -> str:
    return _WORDS[status]


def _plain(text: str, *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def links_label(links: tuple[str, ...]) -> QLabel:
    """Clickable links (opened by the desktop's browser); the URLs are escaped anyway."""
    label = QLabel(" · ".join(f'<a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>'
                              for u in links))
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(True)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    return label


class CopyLine(QWidget):
    """A command to paste into a terminal, and a button that copies it."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(text)
        self.edit.setReadOnly(True)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setCursorPosition(0)
        self.button = QPushButton(icon("copy"), "Copy")
        self.button.clicked.connect(self.copy)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())
        self.button.setText("Copied")


class CheckView(QFrame):
    def __init__(self, check: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setObjectName("check")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 6, 10, 6)
        grid.setHorizontalSpacing(10)
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        name = _ICON_NAMES[check.status]
        icon.setPixmap(tinted(name, state_colour(name, self.palette()), size))
        icon.setToolTip(status_word(check.status))
        grid.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        head = QHBoxLayout()
        self.name_label = _plain(check.name, wrap=False)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.status_label = _plain(status_word(check.status), wrap=False)
        self.status_label.setObjectName("chip")
        # The chip in its state's colour (text and border), next to the icon of the same.
        colour = state_colour(name, self.palette()).name()
        self.status_label.setStyleSheet(
            f"QLabel#chip {{ color: {colour}; border: 1px solid {colour}; border-radius: 8px;"
            " padding: 0px 6px; }")
        head.setSpacing(8)
        head.addWidget(self.name_label)
        head.addWidget(self.status_label)
        self.detail_label = _plain(check.detail)
        self.detail_label.setStyleSheet("color: palette(placeholder-text);")
        body = QVBoxLayout()
        body.setSpacing(4)
        if check.ok:  # a passing check is one line: what was found is enough
            self.detail_label.setWordWrap(False)
            head.addWidget(self.detail_label, 1)
        else:
            head.addStretch(1)
            body.addWidget(self.detail_label)
        grid.addLayout(head, 0, 1)
        self.copy_lines: list[CopyLine] = []
        self.statement_edit: QPlainTextEdit | None = None
        if not check.ok:
            self._add_fix(body)
        if body.count():
            grid.addLayout(body, 1, 1)
        grid.setColumnStretch(1, 1)

    def _add_fix(self, body: QVBoxLayout) -> None:
        check = self.check
        if check.hint:
            body.addWidget(_plain(check.hint))
        for command in check.fix.commands:
            line = CopyLine(command)
            self.copy_lines.append(line)
            body.addWidget(line)
        if check.fix.statement is not None:
            text = json.dumps(check.fix.statement, indent=2)
            edit = QPlainTextEdit(text)
            edit.setReadOnly(True)
            edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            lines = text.count("\n") + 1
            edit.setFixedHeight(min(lines, 14) * edit.fontMetrics().lineSpacing() + 16)
            copy = QPushButton(icon("copy"), "Copy statement")
            copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
            self.statement_edit = edit
            body.addWidget(edit)
            body.addWidget(copy, 0, Qt.AlignmentFlag.AlignLeft)
        if check.fix.links:
            self.links_label = links_label(check.fix.links)
            body.addWidget(self.links_label)
