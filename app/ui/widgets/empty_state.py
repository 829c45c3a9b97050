"""A centred 'nothing here yet' message that says what will appear and how to get it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

_TEXT_WIDTH = 520


class EmptyState(QWidget):
    action = Signal()

    def __init__(self, title: str, text: str, action_text: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
            self.button = QPushButton(action_text)
            self.button.clicked.connect(self.action)
            inner.addSpacing(8)
            inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def set_text(self, title: str, text: str) -> None:
        self.title_label.setText(title)
        self.text_label.setText(text)
