"""A delegate for big read-only text tables: plain cells drawn from cached QStaticText.

The stock delegate lays every painted cell's text out afresh (itemize, shape, elide: about
half of a 10,000-row table's repaint) and asks the model seven roles for it. Here a plain cell
(enabled, not selected, focused or hovered) costs a lookup: its text, elided to the column's
width, is laid out once and kept, and drawn where and in the colour the style would draw it.
Every other cell is painted by QStyledItemDelegate as before, so selection, focus and tooltips
look and behave as they always did; so are texts with line breaks or other unprintable
characters (hostile names), which the stock delegate shows in its own way.

`cell_text(row, column) -> (text, dimmed)` says what a cell shows; `dimmed_colour()` is the
colour the model's ForegroundRole gives a dimmed cell (any other cell has none). For a model
whose cells have no font, alignment, background, decoration or check-state roles.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

AnyIndex = QModelIndex | QPersistentModelIndex
CellText = Callable[[int, int], tuple[str, bool]]
# Font metrics, text margin, line height, the pens (by 2 * active + dimmed), and whether cells
# may be drawn here at all: left to right, in the painter's font the option's (static text is
# laid out in the one, elided with the other).
_Metrics = tuple[QFontMetrics, int, int, tuple[QColor, ...], bool]
_LIMIT = 8192  # laid-out texts kept: a few screens of cells at every column width
# State flags as ints: bit operations on PySide's enum flags cost more than drawing a cell.
_STATE = QStyle.StateFlag
_PLAIN_MASK = (_STATE.State_Selected.value | _STATE.State_HasFocus.value
               | _STATE.State_MouseOver.value | _STATE.State_Enabled.value)
_PLAIN = _STATE.State_Enabled.value
_ACTIVE = _STATE.State_Active.value
_LTR = Qt.LayoutDirection.LeftToRight
# What changes how a cell looks: then everything kept is laid out again.
_RESTYLE = (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationFontChange, QEvent.Type.ApplicationPaletteChange,
            QEvent.Type.LayoutDirectionChange)


class CachedTextDelegate(QStyledItemDelegate):
    def __init__(self, view: QAbstractItemView, cell_text: CellText,
                 dimmed_colour: Callable[[], QColor]) -> None:
        super().__init__(view)
        self._view = view
        self._cell_text = cell_text
        self._dimmed_colour = dimmed_colour
        # (text, width) -> the elided text laid out, or None: the stock delegate draws it.
        self._texts: dict[tuple[str, int], QStaticText | None] = {}
        self._metrics: _Metrics | None = None
        view.installEventFilter(self)  # font, style and palette changes reach the view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _RESTYLE:
            self.forget()
        return False

    def kept(self) -> set[str]:
        """The texts kept laid out (drawn here, not by the stock delegate)."""
        return {text for (text, _), static in self._texts.items() if static is not None}

    def forget(self) -> None:
        """Drop every laid-out text (the font, style or palette changed)."""
        self._texts.clear()
        self._metrics = None

    def _measure(self, painter: QPainter, option: QStyleOptionViewItem) -> _Metrics:
        view = self._view
        metrics = QFontMetrics(option.font)
        # Where the style puts a cell's text: a margin each side, centred vertically.
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                          view) + 1
        palette, dimmed = option.palette, self._dimmed_colour()
        pens = (palette.color(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Text), dimmed,
                palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text), dimmed)
        usable = option.direction == _LTR and painter.font() == option.font
        self._metrics = (metrics, margin, metrics.height(), pens, usable)
        return self._metrics

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        state = option.state.value
        if (state & _PLAIN_MASK) != _PLAIN:
            super().paint(painter, option, index)
            return
        text, dimmed = self._cell_text(index.row(), index.column())
        if not text:
            return  # the view has drawn the row's background already
        metrics, margin, height, pens, usable = self._metrics or self._measure(painter, option)
        rect = option.rect
        width = rect.width() - 2 * margin
        key = (text, width)
        try:
            static = self._texts[key]
        except KeyError:
            static = self._layout(metrics, text, width, option) if usable else None
        if static is None:
            super().paint(painter, option, index)
            return
        pen = painter.pen()
        painter.setPen(pens[(2 if state & _ACTIVE else 0) + dimmed])
        painter.drawStaticText(rect.x() + margin, rect.y() + (rect.height() - height) // 2,
                               static)
        painter.setPen(pen)

    def _layout(self, metrics: QFontMetrics, text: str, width: int,
                option: QStyleOptionViewItem) -> QStaticText | None:
        if len(self._texts) >= _LIMIT:
            self._texts.clear()
        static = None
        if text.isprintable():
            static = QStaticText(metrics.elidedText(text, option.textElideMode, width))
            static.setTextFormat(Qt.TextFormat.PlainText)
        self._texts[(text, width)] = static
        return static
