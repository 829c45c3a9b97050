"""The window remembers itself: geometry, the last page, and each table's columns (which are
shown, their order and widths) and sort.

Kept with QSettings in an INI file in Gangway's data directory, not in the typed settings:
these are opaque Qt byte strings (saveGeometry, QHeaderView.saveState) that only Qt reads,
with no range to check and nothing for the Settings dialog to show. A state written by
another Qt version or a broken file is ignored (Qt refuses it) and the defaults stay.
The window has no splitters yet; a splitter added later goes in `headers`' neighbour,
saved the same way (saveState/restoreState).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QTableView

FILE = "window.ini"


class WindowState:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE
        self.qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.qs.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def restore(self, window: QMainWindow, tables: Mapping[str, QTableView],
                page: Callable[[str], object] | None = None) -> None:
        geometry = self._bytes("window/geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        self.restore_tables(tables)
        if page is not None:
            last = self.page()
            if last:
                page(last)

    def page(self) -> str:
        """The page the window showed last ("" if none): the one start-up builds first."""
        last = self.qs.value("window/page")
        return last if isinstance(last, str) else ""

    def restore_tables(self, tables: Mapping[str, QTableView]) -> None:
        """Columns and sort, once the tables exist (their panes are built after the first
        paint)."""
        for name, view in tables.items():
            state = self._bytes(f"tables/{name}")
            header = view.horizontalHeader()
            if state is not None and header.restoreState(state):
                # The sort indicator came back; the model must sort to match it.
                view.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def save(self, window: QMainWindow, tables: Mapping[str, QTableView], page: str) -> None:
        self.qs.setValue("window/geometry", window.saveGeometry())
        self.qs.setValue("window/page", page)
        for name, view in tables.items():
            self.qs.setValue(f"tables/{name}", view.horizontalHeader().saveState())
        self.qs.sync()
        if self.path.exists():
            self.path.chmod(0o600)


def column_names(header: QHeaderView) -> list[str]:
    model = header.model()
    return [str(model.headerData(i, header.orientation()) or "") for i in range(header.count())]
