"""The Tunnels pane's frame: its button row and a "Reading…" page, as the settled pane lays
them out.

It needs no services and none of the pane's modules (the book, the supervisor's bridge, the
editor), so the window paints it first when it reopens on Tunnels; the TunnelsPane built
right after adopts this very widget (connects the buttons, adds the problems line, the table
with its details and the empty state). A pane made on its own builds its frame the same way.
Like profiles_frame.py it touches no enum of the `Qt` namespace (its icons are palette
icons, drawn when painted).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.icons import icon
from app.ui.widgets.loading_page import loading_page

BANNERS_AT = 1  # the pane's problems line goes between the buttons and the pages


class TunnelsFrame(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_button = QPushButton(icon("add"), "Add tunnel…")
        self.edit_button = QPushButton(icon("edit"), "Edit…")
        self.remove_button = QPushButton(icon("delete"), "Remove")
        for button in (self.edit_button, self.remove_button):
            button.setEnabled(False)  # until there is a tunnel to edit
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        bar = QHBoxLayout()
        for w in (self.add_button, self.edit_button, self.remove_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        self.loading = loading_page("Reading your tunnels…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.column = QVBoxLayout(self)
        self.column.addLayout(bar)
        self.column.addWidget(self.stack, 1)
