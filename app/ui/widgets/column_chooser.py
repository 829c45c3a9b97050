"""Right-click a table's header: a menu of its columns to show or hide (the first stays)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView


def column_menu(view: QTableView) -> QMenu:
    header = view.horizontalHeader()
    model = header.model()
    menu = QMenu(view)
    menu.setTitle("Columns")
    for col in range(header.count()):
        name = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
        if col == 0 and name in ("", "★"):
            name = "★ Favourite"
        action = QAction(name.replace("&", "&&"), menu)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(col))
        shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        action.setEnabled(not (len(shown) == 1 and col in shown))  # never hide the last one
        action.toggled.connect(lambda on, c=col: header.setSectionHidden(c, not on))
        menu.addAction(action)
    return menu


def install_column_chooser(view: QTableView) -> None:
    header = view.horizontalHeader()
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def popup(pos: QPoint) -> None:
        menu = column_menu(view)
        view.setProperty("column_menu", menu)  # tests and scenes find it here
        menu.popup(header.mapToGlobal(pos))

    header.customContextMenuRequested.connect(popup)
