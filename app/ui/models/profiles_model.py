"""The profiles table: one frozen `ProfileRow` per line, state worded by core.

The state column depends on the clock ("2 h 05 min left"); `tick()` repaints it without
reloading anything, and the pane calls it every 30 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QGuiApplication

from app.core.aws.credentials.types import CredentialState, CredentialStatus
from app.core.aws.profiles.view import (
    ProfileRow,
    advice_text,
    identity_text,
    kind_text,
    needs_attention,
    row_state_text,
)
from app.ui.icons import chip
from app.ui.models.instances_model import plain_tooltip
from app.ui.models.table import AnyIndex, HeaderedTableModel
from app.ui.widgets.colours import state_colour

COL_NAME = 0
COL_KIND = 1
COL_REGION = 2
COL_ACCOUNT = 3
COL_STATE = 4
_HEADERS = ("Name", "Kind", "Region", "Account / identity", "Credentials")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2




def state_kind(status: CredentialStatus, now: datetime | None) -> str:
    """The chip for a credentials state: "missing" (expired, broken: it will fail), "warn"
    (needs a code or a login first), "ok" (usable now)."""
    if not needs_attention(status, now):
        return "ok"
    if status.state in (CredentialState.NEEDS_MFA, CredentialState.NEEDS_SSO_LOGIN):
        return "warn"
    return "missing"


class ProfilesModel(HeaderedTableModel):
    HEADERS = _HEADERS
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ProfileRow] = []
        self._now = datetime.now(UTC)

    # --- data in -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[ProfileRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._now = datetime.now(UTC)
        self.endResetModel()

    def replace_row(self, row: ProfileRow) -> None:
        """Swap one profile's row in place (identity checked, state changed)."""
        for i, old in enumerate(self._rows):
            if old.name == row.name:
                self._rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(_HEADERS) - 1))
                return

    def tick(self, now: datetime | None = None) -> None:
        """Re-word the clock-dependent column."""
        self._now = now or datetime.now(UTC)
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_STATE),
                                  self.index(len(self._rows) - 1, COL_STATE))

    # --- data out ----------------------------------------------------------------------------

    def rows(self) -> list[ProfileRow]:
        return list(self._rows)

    def row_at(self, row: int) -> ProfileRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, name: str) -> int:
        for i, row in enumerate(self._rows):
            if row.name == name:
                return i
        return -1

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row = self.row_at(index.row())
        col = index.column()
        if row is None or not 0 <= col < len(_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == SORT_ROLE:
            if col == COL_STATE and row.status.expires is not None:
                return row.status.expires.timestamp()
            return self._display(row, col).lower()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tooltip(row, col))
        if col == COL_STATE and role in (Qt.ItemDataRole.ForegroundRole,
                                          Qt.ItemDataRole.DecorationRole):
            return self._chip(row, role)
        if role == Qt.ItemDataRole.FontRole and col == COL_NAME and row.active:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _chip(self, row: ProfileRow, role: int) -> Any:
        """The state in a colour from the palette's lightness, and an icon with the same
        meaning: expired no longer looks like "needs MFA"."""
        if not self._display(row, COL_STATE):
            return None  # settings only (no credentials): no state, so no chip
        kind = state_kind(row.status, self._now)
        palette = QGuiApplication.palette()
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if kind == "ok" else QBrush(state_colour(kind, palette))
        return chip(kind, state_colour(kind, palette))

    def _display(self, row: ProfileRow, col: int) -> str:
        if col == COL_NAME:
            return row.name
        if col == COL_KIND:
            return kind_text(row.profile)
        if col == COL_REGION:
            return row.profile.region or ""
        if col == COL_ACCOUNT:
            return identity_text(row)
        return row_state_text(row, self._now)

    def _tooltip(self, row: ProfileRow, col: int) -> str:
        if col == COL_NAME:
            extra = " (active: AWS_PROFILE or default)" if row.active else ""
            return row.name + extra
        if col == COL_ACCOUNT and row.identity is not None:
            return f"Account {row.identity.account}\n{row.identity.arn}"
        if col == COL_ACCOUNT:
            return "Not checked yet: use Check identity (sts:GetCallerIdentity)."
        if col == COL_STATE and (advice := advice_text(row, self._now)):
            return f"{self._display(row, col)}\n{advice}"
        return self._display(row, col)
