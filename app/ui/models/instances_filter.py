"""Filter-as-you-type over the instance table, fast enough for 10,000 rows.

Terms are whitespace-separated and all must match. A plain term matches the row's precomputed
lowercase search text (name, id, IPs, DNS, region, tags); `tag:Key=Value` matches a tag whose
key equals Key (any case) and whose value contains Value; `tag:Key` matches rows with that tag.
"Only what I can connect to" (on by default) hides rows with no way in.

Sorting is delegated to the source model (one Python key per row, not per comparison).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal

from app.ui.models.instances_model import HANDLED_ROLES, InstancesModel


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


class InstancesFilter(QSortFilterProxyModel):
    only_connectable_changed = Signal(bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._plain: tuple[str, ...] = ()
        self._tags: tuple[tuple[str, str | None], ...] = ()
        self._text = ""
        self._only_connectable = True
        self._source: InstancesModel | None = None
        # Verdicts for every source row, computed in one Python pass per change: Qt then asks
        # filterAcceptsRow once per row, and that call must do no more than an index lookup.
        self._flags: list[bool] = []
        self._flags_gen = -1

    def setSourceModel(self, model: Any) -> None:
        self._source = model if isinstance(model, InstancesModel) else None
        super().setSourceModel(model)

    # --- criteria ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        plain, tags = parse_terms(text)
        if (plain, tags) == (self._plain, self._tags):
            self._text = text
            return
        self._text, self._plain, self._tags = text, plain, tags
        self._refilter()

    @property
    def only_connectable(self) -> bool:
        return self._only_connectable

    def set_only_connectable(self, on: bool) -> None:
        if on == self._only_connectable:
            return
        self._only_connectable = on
        self._refilter()
        self.only_connectable_changed.emit(on)

    def show_all(self) -> None:
        """Clear every criterion (the empty state's 'show all' link)."""
        self._text, self._plain, self._tags = "", (), ()
        self._only_connectable = False
        self._refilter()
        self.only_connectable_changed.emit(False)

    # --- Qt overrides -----------------------------------------------------------------------
    def _refilter(self) -> None:
        self.beginFilterChange()
        self._flags_gen = -1
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _compute(self, src: InstancesModel) -> list[bool]:
        blobs = src.blobs
        n = len(blobs)
        keep = range(n)
        if self._only_connectable:
            conn = src.connectable
            keep = [i for i in keep if conn[i]]  # type: ignore[assignment]
        for term in self._plain:
            keep = [i for i in keep if term in blobs[i]]  # type: ignore[assignment]
        if self._tags:
            keep = [i for i in keep if self._tags_match(src, i)]  # type: ignore[assignment]
        flags = [False] * n
        for i in keep:
            flags[i] = True
        self._flags, self._flags_gen = flags, src.generation
        return flags

    def _tags_match(self, src: InstancesModel, i: int) -> bool:
        tags = {k.lower(): v.lower() for k, v in src.row_at(i).tags}
        for key, value in self._tags:
            have = tags.get(key)
            if have is None or (value is not None and value not in have):
                return False
        return True

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        src = self._source
        if src is None:
            return True
        flags = self._flags
        if self._flags_gen != src.generation or source_row >= len(flags):
            flags = self._compute(src)
        return flags[source_row]

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting asks ~8 roles per cell; the default would map each one to the source (a
        # Python index() call) before the source refuses it. Refuse unhandled roles here.
        if role not in HANDLED_ROLES:
            return None
        return super().data(index, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._source is not None:
            self._source.sort(column, order)
        else:
            super().sort(column, order)
