"""The instance table: rows stream in region by region; favourites stay on top.

Rows are frozen `InstanceRow`s from core. Sorting happens here, in Python, with one key per
row (the filter forwards `sort()`), because a proxy sorting 10,000 rows would call back into
Python for every comparison. Each row's lowercase search text and its cells' display text are
computed once, on insert: the filter scans the one, every painted cell reads the other.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

from app.core.aws.discovery.capabilities import agent_words
from app.core.aws.discovery.permissions import Access
from app.core.aws.discovery.rows import InstanceRow
from app.ui.icons import chip
from app.ui.widgets.colours import state_colour

COL_FAV = 0
COL_NAME = 1
COL_ID = 2
COL_REGION = 3
COL_STATE = 4
COL_SSM = 5
COL_ACCESS = 6
COL_PLATFORM = 7
COL_PRIVATE_IP = 8
COL_PUBLIC_IP = 9
COL_AGENT = 10
COL_TAGS = 11
_HEADERS = ("★", "Name", "Instance ID", "Region", "State", "SSM agent", "Access", "Platform",
            "Private IP", "Public IP", "Agent version", "Tags")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ROW = int(ROW_ROLE)
_SORT = int(SORT_ROLE)
_NCOLS = NCOLS = len(_HEADERS)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _ROW, _SORT, _FOREGROUND, _DECORATION))
HANDLED_ROLES = _ROLES  # the roles data() answers; anything else is None


def row_key(row: InstanceRow) -> tuple[str, str]:
    """Identifies an instance across refreshes (ids are unique per region)."""
    return (row.region, row.instance_id)


def search_blob(row: InstanceRow) -> str:
    parts = [row.name, row.instance_id, row.private_ip, row.public_ip, row.private_dns,
             row.region, row.az, row.platform, row.platform_name]
    parts += [f"{k}={v}" for k, v in row.tags]
    return "\x00".join(parts).lower()


def access_text(row: InstanceRow) -> str:
    """A short answer to 'can I get in?'; the tooltip has the full reasons."""
    if row.connectable:
        return "yes" if row.permission.access is Access.ALLOWED else "maybe"
    if row.state and row.state not in ("running",):
        return row.state
    if not row.managed:
        return "no SSM agent"
    if row.ping_status != "Online":
        return "agent offline"
    if row.permission.access is Access.DENIED:
        return "not permitted"
    return "no"


def agent_text(row: InstanceRow) -> str:
    return agent_words(row.ping_status)


NEEDS_PLUGIN = "needs the session-manager-plugin"


def access_chip(row: InstanceRow, plugin_missing: bool) -> QIcon:
    """A way in (ok); a way in once the plugin is installed, or one whose permission could
    not be checked (warn); or none (missing)."""
    if not row.connectable:
        kind = "missing"
    else:
        kind = "warn" if plugin_missing or row.permission.access is not Access.ALLOWED \
            else "ok"
    return chip(kind, state_colour(kind, QGuiApplication.palette()))


def state_text(row: InstanceRow) -> str:
    return row.state or ("on-premises" if row.hybrid else "")


def tags_text(row: InstanceRow) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.tags if k != "Name")


def plain_tooltip(text: str) -> str:
    """Tooltips guess rich text; escape so hostile text shows literally, line breaks kept."""
    return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"


def explain(row: InstanceRow) -> str:
    """Plain-text explanation of what can and cannot be done, and why."""
    lines = [f"{row.name or row.instance_id} ({row.instance_id}, {row.region})"]
    if row.permission.access is Access.UNKNOWN:
        lines.append(f"Permission: not checked ({row.permission.reason}); AWS may still "
                     "refuse the session")
    elif row.permission.access is Access.DENIED:
        lines.append(f"Permission: denied ({row.permission.reason})")
    else:
        lines.append("Permission: ssm:StartSession allowed")
    for cap in row.capabilities.items:
        label = cap.action.label
        lines.append(f"{label[:1].upper()}{label[1:]}: "
                     + ("yes" if cap.ok else f"no, {cap.reason}"))
    return "\n".join(lines)


# The text of each column after the star, in column order (an index, not an if-chain: this
# runs for every painted cell).
_TEXT: tuple[Callable[[InstanceRow], str], ...] = (
    lambda r: r.name, lambda r: r.instance_id, lambda r: r.region, state_text,
    agent_text, access_text, lambda r: r.platform,
    lambda r: r.private_ip, lambda r: r.public_ip, lambda r: r.agent_version, tags_text)


def row_texts(row: InstanceRow) -> tuple[str, ...]:
    """The display text of every column after the star, in column order."""
    return tuple(text(row) for text in _TEXT)


def _display(row: InstanceRow, col: int, fav: bool) -> str:
    if col == COL_FAV:
        return "★" if fav else ""
    return _TEXT[col - 1](row) if 0 < col <= len(_TEXT) else ""


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in ip.split("."))
    except ValueError:
        return (1 << 9,)


def sort_key(row: InstanceRow, col: int, fav: bool) -> Any:
    if col in (COL_PRIVATE_IP, COL_PUBLIC_IP):
        ip = row.private_ip if col == COL_PRIVATE_IP else row.public_ip
        return (not ip, _ip_key(ip))
    if col == COL_AGENT:
        from app.core.versions import parse_version
        return parse_version(row.agent_version)
    if col == COL_FAV:
        return (not fav, row.name.lower())
    return _display(row, col, fav).lower()


def muted_text() -> QColor:
    """How a row with no way in reads (dimmed: the palette's muted text); read at each paint,
    so a theme switched at run time applies at once."""
    return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)


class InstancesModel(QAbstractTableModel):
    def __init__(self, favourites: Iterable[tuple[str, str]] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[InstanceRow] = []
        self._blobs: list[str] = []
        self._conn: list[bool] = []  # row.connectable, precomputed for the filter
        self._texts: list[tuple[str, ...]] = []  # row_texts(row), precomputed for painting
        self._favs: set[tuple[str, str]] = set(favourites)
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._plugin_missing = False  # no session-manager-plugin here: nothing connects yet

    # --- Qt API -----------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def index(self, row: int, column: int,
              parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # The default index() calls rowCount() and columnCount() back in Python; the proxy
        # maps every painted cell's every role through here, so do it in one call.
        if 0 <= row < len(self._rows) and 0 <= column < _NCOLS and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(_HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return _HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_FAV:
                return "Favourites (pinned to the top)"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The delegate asks ~8 roles per painted cell; refuse the unhandled ones first, cheaply.
        if role not in _ROLES or not index.isValid():
            return None
        r = index.row()
        if r >= len(self._rows):
            return None
        col = index.column()
        if role == _DISPLAY:
            return self.display(r, col)
        return self.value(r, col, role)

    def display(self, r: int, col: int) -> str:
        """Row r's text in column col (r and col in range): what each painted cell asks."""
        if col == COL_FAV:
            return "★" if row_key(self._rows[r]) in self._favs else ""
        if col == COL_ACCESS and self._plugin_missing and self._conn[r]:
            return NEEDS_PLUGIN
        return self._texts[r][col - 1] if col <= len(_TEXT) else ""

    def value(self, r: int, col: int, role: int) -> Any:
        """Row r's data for a role other than DisplayRole (r and col in range)."""
        row = self._rows[r]
        if role == _DECORATION:  # Access is a chip: its colour and its icon say the same
            return access_chip(row, self._plugin_missing) if col == COL_ACCESS else None
        if role == _ROW:
            return row
        if role == _SORT:
            return sort_key(row, col, row_key(row) in self._favs)
        if role == _FOREGROUND:
            return None if self._conn[r] else muted_text()
        if role == _TOOLTIP:
            return self._tooltip(row, col)
        return None

    def _tooltip(self, row: InstanceRow, col: int) -> str:
        if not row.connectable and col not in (COL_ACCESS, COL_STATE, COL_SSM, COL_FAV):
            why = row.capabilities.why_not("shell") or "no way in"
            return plain_tooltip(f"{_display(row, col, False)}\nCannot connect: {why}")
        if col in (COL_ACCESS, COL_STATE, COL_SSM):
            note = ("\nThis computer has no session-manager-plugin: Help > Doctor shows "
                    "how to install it." if self._plugin_missing else "")
            return plain_tooltip(explain(row) + note)
        if col == COL_TAGS:
            return plain_tooltip("\n".join(f"{k} = {v}" for k, v in row.tags))
        if col == COL_FAV:
            return "Toggle favourite (double-click)"
        return plain_tooltip(_display(row, col, False))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self._resort()

    # --- rows -------------------------------------------------------------------------------
    @property
    def rows(self) -> list[InstanceRow]:
        return list(self._rows)

    def row_at(self, i: int) -> InstanceRow:
        return self._rows[i]

    @property
    def blobs(self) -> list[str]:
        """Lowercase search text per row, in row order (read-only, for the filter)."""
        return self._blobs

    @property
    def connectable(self) -> list[bool]:
        """Whether each row has a way in, in row order (read-only, for the filter)."""
        return self._conn

    def _index_rows(self, rows: list[InstanceRow]) -> None:
        """Append the precomputed columns for rows just appended to self._rows."""
        self._blobs.extend(search_blob(r) for r in rows)
        self._conn.extend(r.connectable for r in rows)
        self._texts.extend(row_texts(r) for r in rows)

    def set_rows(self, rows: Iterable[InstanceRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._blobs, self._conn, self._texts = [], [], []
        self._index_rows(self._rows)
        self.endResetModel()
        self._resort()

    def clear(self) -> None:
        self.set_rows(())

    def add_rows(self, rows: Iterable[InstanceRow]) -> None:
        """Append a region's rows (streaming): replaces rows with the same key, no reset."""
        new = list(rows)
        if not new:
            return
        keys = {row_key(r) for r in new}
        stale = [i for i, r in enumerate(self._rows) if row_key(r) in keys]
        for i in reversed(stale):  # rare: a region refreshed twice
            self.beginRemoveRows(QModelIndex(), i, i)
            for column in (self._rows, self._blobs, self._conn, self._texts):
                del column[i]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._index_rows(new)
        self.endInsertRows()
        self._resort()

    def remove_region(self, region: str) -> None:
        keep = [i for i, r in enumerate(self._rows) if r.region != region]
        if len(keep) == len(self._rows):
            return
        self.set_rows(self._rows[i] for i in keep)

    @property
    def plugin_missing(self) -> bool:
        return self._plugin_missing

    def set_plugin_missing(self, missing: bool) -> None:
        if missing == self._plugin_missing:
            return
        self._plugin_missing = missing
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_ACCESS),
                                  self.index(len(self._rows) - 1, COL_ACCESS),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                   Qt.ItemDataRole.DecorationRole])

    # --- favourites -------------------------------------------------------------------------
    def is_favourite(self, row: InstanceRow) -> bool:
        return row_key(row) in self._favs

    @property
    def favourites(self) -> set[tuple[str, str]]:
        return set(self._favs)

    def set_favourite(self, row: InstanceRow, on: bool) -> None:
        key = row_key(row)
        if (key in self._favs) == on:
            return
        if on:
            self._favs.add(key)
        else:
            self._favs.discard(key)
        for i, r in enumerate(self._rows):
            if row_key(r) == key:
                idx = self.index(i, COL_FAV)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DisplayRole])
        self._resort()

    def _resort(self) -> None:
        """Favourites first, then the chosen column; keeps persistent indexes valid."""
        if not self._rows:
            return
        col, order = self._sort if self._sort else (COL_NAME, Qt.SortOrder.AscendingOrder)
        favs = self._favs
        if not favs and self._sort is None:
            return  # arrival order until the user sorts
        desc = order == Qt.SortOrder.DescendingOrder
        keyed = [(sort_key(r, col, row_key(r) in favs), i) for i, r in enumerate(self._rows)]
        keyed.sort(key=lambda kv: kv[0], reverse=desc)
        # Stable partition: favourites on top whatever the order.
        order_idx = ([i for _, i in keyed if row_key(self._rows[i]) in favs]
                     + [i for _, i in keyed if row_key(self._rows[i]) not in favs])
        if order_idx == list(range(len(self._rows))):
            return
        self.layoutAboutToBeChanged.emit()
        old_to_new = {old: new for new, old in enumerate(order_idx)}
        persistent = self.persistentIndexList()
        self._rows = [self._rows[i] for i in order_idx]
        self._blobs = [self._blobs[i] for i in order_idx]
        self._conn = [self._conn[i] for i in order_idx]
        self._texts = [self._texts[i] for i in order_idx]
        self.changePersistentIndexList(
            persistent,
            [self.index(old_to_new[p.row()], p.column()) for p in persistent])
        self.layoutChanged.emit()

