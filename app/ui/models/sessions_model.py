"""The sessions table: AWS's active and recent sessions merged with Gangway's history.

Rows are frozen `SessionRecord`s from core. Target shows the instance name (when the
Instances pane knows it) and id; every string from AWS or history is displayed as data only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QIcon, QPalette

from app.core.aws.sessions.api import SessionRecord
from app.ui.icons import chip
from app.ui.models.table import AnyIndex, HeaderedTableModel
from app.ui.widgets.colours import state_colour

# Status (how it ended) comes early: it is what people look for, and must not scroll away.
COL_TIME = 0
COL_STATUS = 1
COL_PROFILE = 2
COL_TARGET = 3
COL_DOCUMENT = 4
COL_REASON = 5
COL_SESSION = 6
_HEADERS = ("Started", "Status", "Profile", "Target", "Document", "Reason", "Session ID")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2



def time_text(when: datetime | None) -> str:
    if when is None:
        return ""
    local = when.astimezone() if when.tzinfo else when
    return local.strftime("%Y-%m-%d %H:%M:%S")


def status_text(rec: SessionRecord) -> str:
    """What state it is in, or how it ended (core's words, shared with the CLI)."""
    return rec.status_words


# Each state's chip: the icon (resources/ui-icons) and its colour (colours.state_colour;
# "muted" is the palette's placeholder text, for sessions that simply ended).
_CHIPS = {"ok": ("ok", "ok"), "warn": ("warn", "warn"), "failed": ("missing", "missing"),
          "busy": ("refresh", "info"), "ended": ("stop", "muted")}


def status_kind(rec: SessionRecord) -> str:
    """ok (active), busy (connecting, ending), warn (disconnected, non-zero exit), failed,
    ended (ended, terminated)."""
    words = rec.status_words
    if rec.active:
        return "ok" if words == "Active" else "warn" if rec.status == "Disconnected" else "busy"
    if rec.status == "Terminating":
        return "busy"
    if words.startswith("Failed"):
        return "failed"
    return "warn" if words.startswith("Ended with exit code") else "ended"


def status_chip(rec: SessionRecord, palette: QPalette) -> tuple[QIcon, QColor | None]:
    """The Status cell's icon and text colour (None: the normal text colour)."""
    kind = status_kind(rec)
    name, hue = _CHIPS[kind]
    colour = (palette.color(QPalette.ColorRole.PlaceholderText) if hue == "muted"
              else state_colour(hue, palette))
    return chip(name, colour), None if kind in ("ok", "ended") else colour


def one_line(text: str) -> str:
    return " ".join(text.split())


class SessionsModel(HeaderedTableModel):
    HEADERS = _HEADERS
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[SessionRecord] = []
        self.names: dict[str, str] = {}

    def set_rows(self, rows: Iterable[SessionRecord]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def set_names(self, names: Mapping[str, str]) -> None:
        """Instance id -> Name tag, for the Target column."""
        self.names = dict(names)
        if self.rows:
            self.dataChanged.emit(self.index(0, COL_TARGET),
                                  self.index(len(self.rows) - 1, COL_TARGET))

    def record(self, row: int) -> SessionRecord:
        return self.rows[row]

    def target_text(self, rec: SessionRecord) -> str:
        name = one_line(self.names.get(rec.target, ""))
        return f"{name} ({rec.target})" if name else rec.target

    # --- QAbstractTableModel -------------------------------------------------------------
    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        rec = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(rec, col)
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_TARGET, COL_REASON, COL_STATUS,
                                                             COL_SESSION, COL_DOCUMENT):
            # Qt guesses rich text in tooltips; a leading plain-text marker is not enough,
            # so hostile text is escaped.
            import html

            return ("<p style='white-space:pre-wrap'>"
                    + html.escape(self._display(rec, col)) + "</p>")
        if role == SORT_ROLE:
            if col == COL_TIME:
                return rec.start.timestamp() if rec.start else 0.0
            return self._display(rec, col).lower()
        if role == ROW_ROLE:
            return rec
        if col == COL_STATUS and role == Qt.ItemDataRole.DecorationRole:
            return status_chip(rec, QGuiApplication.palette())[0]
        if col == COL_STATUS and role == Qt.ItemDataRole.ForegroundRole:
            colour = status_chip(rec, QGuiApplication.palette())[1]
            return None if colour is None else QBrush(colour)
        return None

    def _display(self, rec: SessionRecord, col: int) -> str:
        if col == COL_TIME:
            return time_text(rec.start)
        if col == COL_PROFILE:
            return one_line(rec.profile)
        if col == COL_TARGET:
            return self.target_text(rec)
        if col == COL_DOCUMENT:
            return rec.document
        if col == COL_REASON:
            return one_line(rec.reason)
        if col == COL_SESSION:
            return rec.session_id
        if col == COL_STATUS:
            return status_text(rec)
        return ""
