"""Filter-as-you-type over the instance table, fast enough for 10,000 rows.

Terms are whitespace-separated and all must match. A plain term matches the row's precomputed
lowercase search text (name, id, IPs, DNS, region, tags); `tag:Key=Value` matches a tag whose
key equals Key (any case) and whose value contains Value; `tag:Key` matches rows with that tag.
"Only what I can connect to" (on by default) hides rows with no way in.

Not a QSortFilterProxyModel: that one asks Python `filterAcceptsRow` once per source row on
every keystroke, reports the result as hundreds of row-range removals, and maps each painted
cell's every role back to the source through Python. Here the shown rows are a list of source
rows computed in one Python pass (only the shown rows when the text grows), a change is one
layout change (persistent indexes, so the selection, follow their rows), and a painted cell
costs two Python calls: `index()` and `multiData()`, which answers all the delegate's roles
from the source's precomputed text.

Sorting is delegated to the source model (one Python key per row, not per comparison).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.ui.models.instances_model import HANDLED_ROLES, NCOLS, InstancesModel

AnyIndex = QModelIndex | QPersistentModelIndex
Criteria = tuple[tuple[str, ...], tuple[tuple[str, str | None], ...], bool]
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)


def parse_terms(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str | None], ...]]:
    """('web prod tag:Env=pr') -> (('web', 'prod'), (('env', 'pr'),))."""
    plain: list[str] = []
    tags: list[tuple[str, str | None]] = []
    for term in text.lower().split():
        if term.startswith("tag:") and len(term) > 4:
            key, eq, value = term[4:].partition("=")
            tags.append((key, value if eq else None))
        else:
            plain.append(term)
    return tuple(plain), tuple(tags)


def narrows(old: Criteria, new: Criteria) -> bool:
    """Whether every row `new` accepts is also accepted by `old` (typing on, the usual case):
    then only the rows shown now need looking at."""
    (old_plain, old_tags, old_conn), (new_plain, new_tags, new_conn) = old, new
    return ((new_conn or not old_conn)
            and all(tag in new_tags for tag in old_tags)
            and all(any(term in longer for longer in new_plain) for term in old_plain))


class InstancesFilter(QAbstractTableModel):
    only_connectable_changed = Signal(bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._plain: tuple[str, ...] = ()
        self._tags: tuple[tuple[str, str | None], ...] = ()
        self._text = ""
        self._only_connectable = True
        self._source: InstancesModel | None = None
        self._map: list[int] = []  # the source rows shown, ascending (the source's order)
        # During a change: our persistent indexes and, for each, its source cell (which the
        # source moves along if it reorders or removes rows).
        self._held: tuple[list[QModelIndex], list[QPersistentModelIndex]] | None = None

    # --- source -----------------------------------------------------------------------------
    def setSourceModel(self, model: InstancesModel) -> None:
        self.beginResetModel()
        if self._source is not None:
            for signal, slot in self._wiring(self._source):
                signal.disconnect(slot)
        self._source = model
        for signal, slot in self._wiring(model):
            signal.connect(slot)
        self._map = self._matching(range(model.rowCount()))
        self.endResetModel()

    def _wiring(self, model: InstancesModel) -> list[tuple[Any, Any]]:
        return [(model.modelAboutToBeReset, self.beginResetModel),
                (model.modelReset, self._source_reset),
                (model.layoutAboutToBeChanged, self._hold),
                (model.layoutChanged, self._source_moved),
                (model.rowsAboutToBeRemoved, self._hold),
                (model.rowsRemoved, self._source_moved),
                (model.rowsInserted, self._source_inserted),
                (model.dataChanged, self._source_changed)]

    def sourceModel(self) -> InstancesModel | None:
        return self._source

    def _source_rows(self) -> int:
        return len(self._source.blobs) if self._source is not None else 0

    def _source_reset(self) -> None:
        self._map = self._matching(range(self._source_rows()))
        self.endResetModel()

    def _source_moved(self, *_: object) -> None:
        """Rows were reordered or removed there (announced: _hold ran): match again, and let
        persistent indexes follow their rows."""
        self._apply(self._matching(range(self._source_rows())))

    def _source_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        # InstancesModel only appends (a region's rows, streamed in): the new rows that match
        # are appended here too, as row insertions.
        new = self._matching(range(first, last + 1))
        if new:
            at = len(self._map)
            self.beginInsertRows(QModelIndex(), at, at + len(new) - 1)
            self._map.extend(new)
            self.endInsertRows()

    def _source_changed(self, top_left: QModelIndex, bottom_right: QModelIndex,
                        roles: Sequence[int] = ()) -> None:
        lo = bisect_left(self._map, top_left.row())
        hi = bisect_left(self._map, bottom_right.row() + 1) - 1
        if lo <= hi:
            self.dataChanged.emit(self.index(lo, top_left.column()),
                                  self.index(hi, bottom_right.column()), list(roles))

    # --- criteria ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        plain, tags = parse_terms(text)
        self._text = text
        self._set_criteria(plain, tags, self._only_connectable)

    @property
    def only_connectable(self) -> bool:
        return self._only_connectable

    def set_only_connectable(self, on: bool) -> None:
        if on == self._only_connectable:
            return
        self._set_criteria(self._plain, self._tags, on)
        self.only_connectable_changed.emit(on)

    def show_all(self) -> None:
        """Clear every criterion (the empty state's 'show all' link)."""
        self._text = ""
        self._set_criteria((), (), False)
        self.only_connectable_changed.emit(False)

    def _set_criteria(self, plain: tuple[str, ...], tags: tuple[tuple[str, str | None], ...],
                      only_connectable: bool) -> None:
        old: Criteria = (self._plain, self._tags, self._only_connectable)
        new: Criteria = (plain, tags, only_connectable)
        if new == old:
            return
        self._plain, self._tags, self._only_connectable = new
        src = self._source
        if src is None:
            return
        shown = self._matching(self._map if narrows(old, new) else range(len(src.blobs)))
        if shown != self._map:
            self._hold()
            self._apply(shown)

    # --- matching ---------------------------------------------------------------------------
    def _matching(self, candidates: range | list[int]) -> list[int]:
        """The candidate source rows (ascending) that meet every criterion, in one pass per
        criterion over the survivors of the one before."""
        src = self._source
        if src is None:
            return []
        keep = list(candidates)
        if self._only_connectable:
            conn = src.connectable
            keep = [i for i in keep if conn[i]]
        blobs = src.blobs
        for term in self._plain:
            keep = [i for i in keep if term in blobs[i]]
        if self._tags:
            keep = [i for i in keep if self._tags_match(src, i)]
        return keep

    def _tags_match(self, src: InstancesModel, i: int) -> bool:
        tags = {k.lower(): v.lower() for k, v in src.row_at(i).tags}
        for key, value in self._tags:
            have = tags.get(key)
            if have is None or (value is not None and value not in have):
                return False
        return True

    # --- one layout change ------------------------------------------------------------------
    def _hold(self, *_: object) -> None:
        """Before the shown rows change: announce it, note where each persistent index is."""
        self.layoutAboutToBeChanged.emit()
        held = self.persistentIndexList()
        src = self._source
        anchors = [QPersistentModelIndex(src.index(self._map[p.row()], p.column()))
                   if src is not None and p.row() < len(self._map) else QPersistentModelIndex()
                   for p in held]
        self._held = (held, anchors)

    def _apply(self, shown: list[int]) -> None:
        held, anchors = self._held or ([], [])
        self._held = None
        self._map = shown
        moved = []
        for p, anchor in zip(held, anchors, strict=True):
            s = anchor.row() if anchor.isValid() else -1
            at = bisect_left(shown, s) if s >= 0 else len(shown)
            moved.append(self.index(at, p.column()) if at < len(shown) and shown[at] == s
                         else QModelIndex())
        self.changePersistentIndexList(held, moved)
        self.layoutChanged.emit()

    # --- Qt API -----------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._map)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else NCOLS

    def index(self, row: int, column: int,
              parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # The view asks for every painted cell: one Python call, not the default's three.
        if 0 <= row < len(self._map) and 0 <= column < NCOLS and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        src = self._source
        if src is None or orientation != Qt.Orientation.Horizontal:
            return None
        return src.headerData(section, orientation, role)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        src = self._source
        if role not in HANDLED_ROLES or src is None or not index.isValid():
            return None
        r = index.row()
        if r >= len(self._map):
            return None
        if role == _DISPLAY:
            return src.display(self._map[r], index.column())
        return src.value(self._map[r], index.column(), role)

    def cell_text(self, row: int, column: int) -> tuple[str, bool]:
        """What a painted cell shows: its text, and whether it is dimmed (no way in). For
        CachedTextDelegate: row and column are a cell the view paints."""
        src, s = cast(InstancesModel, self._source), self._map[row]  # shown: a source is set
        return src.display(s, column), not src.connectable[s]

    def multiData(self, index: AnyIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData,
                  ) -> None:
        """Every role asked for a cell in one call (the delegate asks seven per cell). Each slot
        is written, unhandled ones cleared: the delegate reuses its span from cell to cell."""
        slots = ([roleDataSpan] if isinstance(roleDataSpan, QModelRoleData)
                 else cast(Iterable[QModelRoleData], roleDataSpan))  # iterable at run time
        for slot in slots:
            slot.setData(self.data(index, slot.role()))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._source is not None:
            self._source.sort(column, order)
