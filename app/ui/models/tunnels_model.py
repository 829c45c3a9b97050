"""The tunnels table: each saved tunnel (local or the team's) with what it is doing now.

Rows are `TunnelRow`s: a frozen `TunnelSpec` (what it is) and the latest frozen `TunnelStatus`
(what it does). Fed by the tunnels bridge, the way qutebrowser's DownloadModel is fed by its
managers: `set_specs()` when the saved tunnels are re-read, `update_status()` per change (one
row's dataChanged). The On column is a check box: ticking it asks (`switch_requested`); the
tick follows the supervisor's state, not the click. Names and targets are hostile text:
shown flattened to one line, tooltips escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette

from app.core.tunnels.spec import TargetKind, TunnelError, TunnelSpec
from app.core.tunnels.states import TunnelState, TunnelStatus
from app.ui.models.table import AnyIndex, HeaderedTableModel
from app.ui.widgets.state_light import state_icon

COL_ON = 0
COL_STATE = 1
COL_NAME = 2
COL_LOCAL = 3
COL_TARGET = 4
COL_REMOTE = 5
COL_GROUP = 6
COL_EVENT = 7
_HEADERS = ("On", "State", "Name", "Local address", "Target", "Forwards to", "Group",
            "Last event")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the TunnelRow
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # the TunnelState
NAME_ROLE = Qt.ItemDataRole.UserRole + 4

_STATE_ORDER = {TunnelState.FAILED: 0, TunnelState.RECONNECTING: 1, TunnelState.STARTING: 2,
                TunnelState.LISTENING: 3, TunnelState.IDLE: 4, TunnelState.OFF: 5}


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class TunnelRow:
    spec: TunnelSpec
    status: TunnelStatus

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def on(self) -> bool:
        return self.status.state.is_on


def state_text(status: TunnelStatus) -> str:
    """The State column: the word, with the count or the reason that matters."""
    s = status.state
    if s is TunnelState.FAILED:  # the whole reason is in the tooltip and the side panel
        problem = status.problem
        if problem is not None and problem.port_busy:
            return "failed: local port in use"
        return f"failed: {one_line(problem.message, 60)}" if problem else "failed"
    if s is TunnelState.RECONNECTING:  # a snapshot: a countdown here would go stale
        return f"reconnecting, attempt {status.attempt + 1}" if status.attempt else \
            "reconnecting"
    if s is TunnelState.LISTENING and status.connections:
        n = status.connections
        return f"listening, {n} connection{'s' if n != 1 else ''}"
    if status.held:
        return f"{s.value}, {status.held} waiting"
    return status.state_str()


def local_text(row: TunnelRow) -> str:
    if row.status.local_address:
        return row.status.local_address
    spec = row.spec
    host = f"[{spec.bind}]" if ":" in spec.bind else spec.bind
    return f"{host}:{spec.local_port}" if spec.local_port else f"{host}: picked when saved"


def target_text(row: TunnelRow) -> str:
    """What the user typed and, once resolved, which instance it meant and why."""
    typed = one_line(row.spec.target, 80)
    found = row.status.instance_id
    if not found or found == row.spec.target:
        return typed
    try:
        by_id = row.spec.parsed_target().kind is TargetKind.INSTANCE_ID
    except TunnelError:
        by_id = False
    choice = one_line(row.status.choice, 80)
    return typed if by_id else f"{typed} → {found}" + (f" ({choice})" if choice else "")


def remote_text(spec: TunnelSpec) -> str:
    if spec.remote_host:
        return f"{one_line(spec.remote_host, 80)}:{spec.remote_port}"
    return f"instance port {spec.remote_port}"


def event_text(status: TunnelStatus) -> str:
    return one_line(status.warning or status.last_event)


class TunnelsModel(HeaderedTableModel):
    HEADERS = _HEADERS
    switch_requested = Signal(str, bool)  # name, on

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[TunnelRow] = []

    # --- feeding ------------------------------------------------------------------------------

    def set_specs(self, specs: Iterable[TunnelSpec], statuses: Mapping[str, TunnelStatus]) -> None:
        self.beginResetModel()
        self.rows = [TunnelRow(s, statuses.get(s.name) or TunnelStatus(s.name, group=s.group,
                                                                       bind=s.bind))
                     for s in specs]
        self.endResetModel()

    def update_status(self, status: TunnelStatus) -> None:
        for i, row in enumerate(self.rows):
            if row.name == status.name:
                self.rows[i] = TunnelRow(row.spec, status)
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(_HEADERS) - 1))
                return

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.name == name), -1)

    # --- QAbstractTableModel --------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == COL_ON:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_ON:
            return Qt.CheckState.Checked if row.on else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATE:
            return state_icon(row.status.state, _palette())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == Qt.ItemDataRole.AccessibleTextRole and col == COL_ON:
            return f"{'on' if row.on else 'off'}: {one_line(row.name)}"
        if role == SORT_ROLE:
            return self._sort_key(row, col)
        return {ROW_ROLE: row, STATE_ROLE: row.status.state, NAME_ROLE: row.name}.get(role)

    def _sort_key(self, row: TunnelRow, col: int) -> Any:
        if col == COL_STATE:
            return _STATE_ORDER[row.status.state]
        if col == COL_ON:
            return int(row.on)
        return self._display(row, col).lower()

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (not index.isValid() or index.column() != COL_ON
                or role != Qt.ItemDataRole.CheckStateRole):
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked
        row = self.rows[index.row()]
        if on != row.on:
            self.switch_requested.emit(row.name, on)
        return True

    def _display(self, row: TunnelRow, col: int) -> str:
        if col == COL_STATE:
            return state_text(row.status)
        if col == COL_NAME:
            return one_line(row.name) + ("  (shared)" if row.spec.shared else "")
        if col == COL_LOCAL:
            return local_text(row)
        if col == COL_TARGET:
            return target_text(row)
        if col == COL_REMOTE:
            return remote_text(row.spec)
        if col == COL_GROUP:
            return one_line(row.spec.group, 60)
        if col == COL_EVENT:
            return event_text(row.status)
        return ""

    def _tooltip(self, row: TunnelRow, col: int) -> str | None:
        if col == COL_ON:
            return None
        if col == COL_STATE:
            text = str(row.status)
        elif col == COL_NAME and row.spec.shared:
            text = f"{row.name}: from the team catalog (read-only; save a copy to change it)"
        elif col == COL_TARGET and row.status.choice:
            text = f"{row.spec.target}\n{row.status.instance_id}: {row.status.choice}"
        else:
            text = self._display(row, col)
        if not text:
            return None
        # Qt guesses rich text in tooltips: hostile names and reasons are escaped.
        return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"


def _palette() -> QPalette:
    return QGuiApplication.palette()
