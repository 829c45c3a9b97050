"""A centred 'nothing here yet' message that says what will appear and how to get it.

The title sits at the same height on every pane (a `TitlePage`: a fixed share of the pane's
height, not centred with the text below it), so switching panes does not make it jump.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.icons import icon
from app.ui.widgets.title_page import TitlePage

_TEXT_WIDTH = 520


class EmptyState(TitlePage):
    action = Signal()

    def __init__(self, title: str, text: str, action_text: str | None = None,
                 parent: QWidget | None = None, *, icon_name: str = "") -> None:
        row = QHBoxLayout()
        super().__init__(row, parent)
        # The text column sits between horizontal stretches rather than being added with an
        # alignment: an aligned widget gets its size hint, which ignores word-wrapped height
        # and cuts wrapped text to one line.
        column = QWidget()
        column.setMaximumWidth(_TEXT_WIDTH)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        self.title_label = QLabel(title)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title_label.setFont(font)
        self.text_label = QLabel(text)
        self.text_label.setStyleSheet("color: palette(placeholder-text);")
        for label in (self.title_label, self.text_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # may quote hostile names
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            inner.addWidget(label)
        self.button: QPushButton | None = None
        if action_text:
            self.button = QPushButton(icon(icon_name), action_text) if icon_name \
                else QPushButton(action_text)
            self.button.clicked.connect(self.action)
            inner.addSpacing(8)
            inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)

        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)

    def set_text(self, title: str, text: str) -> None:
        self.title_label.setText(title)
        self.text_label.setText(text)
