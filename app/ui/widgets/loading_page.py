"""The "Reading…" page a pane's light frame paints first (`app/ui/panes/*_frame.py`).

Laid out as an `EmptyState` with this title and no text (a `TitlePage`: the title at the
same height as every pane's), but from plain parts: no alignment flag and no text format, so
it builds none of the `Qt` namespace's enums (PySide6 makes all ~100 of them on first use,
~13 ms the window's first paint need not wait for). Stretches centre the title instead.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.ui.widgets.title_page import TitlePage


def loading_page(title: str) -> QWidget:
    label = QLabel(title)  # static text: no markup to guard against
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    label.setFont(font)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(label)
    row.addStretch(1)
    column = QVBoxLayout()
    column.setContentsMargins(0, 0, 0, 0)
    column.addLayout(row)
    column.addWidget(QLabel())  # where an EmptyState's text goes: the same height
    return TitlePage(column)
