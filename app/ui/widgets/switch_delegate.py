"""A switch drawn for a check-state column: a pill that is filled (knob right) when on.

It reads the model's CheckStateRole and, on a click or Space, writes the opposite back with
setData (the model decides what that means: the tunnels model asks the supervisor). Colours
come from the palette: the highlight when on, the placeholder text's colour when off, so it
shows on light and dark palettes alike (Fusion's item check box all but vanishes on dark).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

AnyIndex = QModelIndex | QPersistentModelIndex
TRACK = QSize(30, 16)


class SwitchDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        # The row background (selection, alternate colours) as the style draws it, no text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.features &= ~QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        on = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect
        track = QRectF(rect.x() + (rect.width() - TRACK.width()) / 2,
                       rect.y() + (rect.height() - TRACK.height()) / 2,
                       TRACK.width(), TRACK.height())
        radius = track.height() / 2
        accent = pal.color(QPalette.ColorRole.HighlightedText if selected
                           else QPalette.ColorRole.Highlight)
        muted = pal.color(QPalette.ColorRole.HighlightedText if selected
                          else QPalette.ColorRole.PlaceholderText)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if on:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            painter.drawRoundedRect(track, radius, radius)
            knob_colour = pal.color(QPalette.ColorRole.Highlight if selected
                                    else QPalette.ColorRole.Base)
            knob_x = track.right() - track.height() + 2
        else:
            painter.setPen(QPen(muted, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(track.adjusted(0.75, 0.75, -0.75, -0.75), radius, radius)
            knob_colour = muted
            knob_x = track.left() + 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(knob_colour)
        painter.drawEllipse(QRectF(knob_x, track.top() + 2, track.height() - 4,
                                   track.height() - 4))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(TRACK.width() + 16, TRACK.height() + 8)

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem,
                    index: AnyIndex) -> bool:
        if not index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            return False
        if isinstance(event, QMouseEvent):
            if event.type() != QEvent.Type.MouseButtonRelease or \
                    event.button() != Qt.MouseButton.LeftButton or \
                    not option.rect.contains(event.position().toPoint()):
                return event.type() in (QEvent.Type.MouseButtonPress,
                                        QEvent.Type.MouseButtonDblClick)
        elif isinstance(event, QKeyEvent):
            if event.type() != QEvent.Type.KeyPress or event.key() not in (
                    Qt.Key.Key_Space, Qt.Key.Key_Select):
                return False
        else:
            return False
        on = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        new = Qt.CheckState.Unchecked if on else Qt.CheckState.Checked
        setter = getattr(model, "setData", None)
        return bool(setter(index, new.value, Qt.ItemDataRole.CheckStateRole)) if setter else False
