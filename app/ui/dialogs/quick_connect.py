"""Quick connect (Ctrl+K): type a few letters of any instance in any profile, press Enter.

Enter = the item's default action (a shell, or SSH where an SSH user is set); Shift+Enter =
the other one; Alt+Enter = the actions menu; Esc closes. Arrow keys move while typing. The
dialog gets a `PaletteIndex` and a `defaults(item) -> (first, second)` function; it emits
what was chosen and knows nothing about terminals, profiles or tunnels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.core.actions import Action
from app.core.palette import Item, Kind, PaletteIndex

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
LIMIT = 50
Defaults = Callable[[Item], tuple[Action, Action]]
_BADGE = {Kind.COMMAND: "Command", Kind.TUNNEL: "Tunnel"}


def badge(item: Item) -> str:
    if item.favourite:
        return "★ Favourite"
    if item.recent:
        return "Recent"
    return _BADGE.get(item.kind, "")


def _flat(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)  # AWS text, one line


class ResultsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[Item] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _flat(item.title)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _flat(item.detail)
        if role == ITEM_ROLE:
            return item
        return None

    def set_items(self, items: list[Item]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()


class ResultDelegate(QStyledItemDelegate):
    """Two lines: the title, then the detail in the muted colour, a badge on the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
                 ) -> QSize:
        return QSize(option.rect.width(), option.fontMetrics.height() * 2 + 12)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, Item):
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        painter.save()
        if selected:
            painter.fillRect(option.rect, pal.color(QPalette.ColorRole.Highlight))
        text = pal.color(QPalette.ColorRole.HighlightedText if selected
                         else QPalette.ColorRole.Text)
        muted = text if selected else pal.color(QPalette.ColorRole.PlaceholderText)
        r = option.rect.adjusted(10, 4, -10, -4)
        line = option.fontMetrics.height()
        tag = badge(item)
        tag_width = option.fontMetrics.horizontalAdvance(tag) + 8 if tag else 0
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        # An instance with no way in reads dimmed; the detail line says why.
        reachable = item.kind is not Kind.INSTANCE or getattr(item.ref, "connectable", True)
        painter.setPen(text if reachable else muted)
        title = painter.fontMetrics().elidedText(_flat(item.title), Qt.TextElideMode.ElideRight,
                                                 r.width() - tag_width)
        painter.drawText(QRect(r.left(), r.top(), r.width() - tag_width, line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(muted)
        detail = option.fontMetrics.elidedText(_flat(item.detail), Qt.TextElideMode.ElideRight,
                                               r.width())
        painter.drawText(QRect(r.left(), r.top() + line + 2, r.width(), line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), detail)
        if tag:
            painter.drawText(QRect(r.right() - tag_width, r.top(), tag_width, line),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), tag)
        painter.restore()


class QuickConnectDialog(QDialog):
    chosen = Signal(object, object)  # (Action | None, Item): None for commands and tunnels
    menu_requested = Signal(object)  # Item: show its actions menu (Alt+Enter)

    def __init__(self, index: PaletteIndex, defaults: Defaults,
                 menu_for: Callable[[Item, QWidget], QMenu | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.defaults = defaults
        self.menu_for = menu_for
        self.menu: QMenu | None = None
        self.setWindowTitle("Quick connect")
        self.resize(640, 460)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Instance, IP, tag, profile or command…")
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self.search)
        self.edit.installEventFilter(self)
        self.model = ResultsModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(ResultDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the line
        self.list.doubleClicked.connect(lambda _i: self.activate(second=False))
        self.hint = QLabel("Enter: open · Shift+Enter: the other way in · Alt+Enter: more "
                           "actions · Esc: close")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.hint)
        self.search("")

    def set_index(self, index: PaletteIndex) -> None:
        """New data (the background refresh finished): search again, keep the text."""
        self.index = index
        self.search(self.edit.text())

    def search(self, text: str) -> None:
        items = self.index.search(text, LIMIT)
        self.model.set_items(items)
        if items:
            self.list.setCurrentIndex(self.model.index(0))
        self.status.setText("" if items or not len(self.index) else "Nothing matches.")

    def current(self) -> Item | None:
        row = self.list.currentIndex().row()
        return self.model.items[row] if 0 <= row < len(self.model.items) else None

    def step(self, step: int) -> None:
        count = self.model.rowCount()
        if count:
            row = max(0, min(count - 1, self.list.currentIndex().row() + step))
            self.list.setCurrentIndex(self.model.index(row))

    def activate(self, second: bool) -> None:
        item = self.current()
        if item is None:
            return
        action: Action | None = None
        if item.kind is Kind.INSTANCE:
            first, other = self.defaults(item)
            action = other if second else first
        self.accept()
        self.chosen.emit(action, item)

    def show_menu(self) -> None:
        item = self.current()
        if item is None or self.menu_for is None:
            return
        menu = self.menu_for(item, self)
        if menu is None:
            return
        self.menu = menu
        rect = self.list.visualRect(self.list.currentIndex())
        menu.popup(self.list.viewport().mapToGlobal(rect.bottomLeft()))

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if watched is self.edit and isinstance(event, QKeyEvent) and \
                event.type() == QKeyEvent.Type.KeyPress:
            key, mods = event.key(), event.modifiers()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8,
                        Qt.Key.Key_PageUp: -8}[Qt.Key(key)]
                self.step(step)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if mods & Qt.KeyboardModifier.AltModifier:
                    self.show_menu()
                else:
                    self.activate(second=bool(mods & Qt.KeyboardModifier.ShiftModifier))
                return True
        return super().eventFilter(watched, event)
