"""A page whose title sits at the same height on every pane: a fixed share of the page's
height from its top, whatever follows the title (EmptyState, the Profiles "Reading…" page).

Free of the Qt namespace's enums, so the window's first paint can use it.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLayout, QSizePolicy, QSpacerItem, QVBoxLayout, QWidget

TITLE_AT = 0.3  # the title's top, as a share of the page's height


class TitlePage(QWidget):
    def __init__(self, body: QLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._outer = QVBoxLayout(self)
        self._top = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self._outer.addItem(self._top)
        self._outer.addLayout(body)
        self._outer.addStretch(1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._top.changeSize(0, int(event.size().height() * TITLE_AT),
                             QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self._outer.invalidate()
        super().resizeEvent(event)
