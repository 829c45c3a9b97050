"""The Instances pane: every instance a profile may reach, across regions, with reasons.

Discovery runs on the TaskRunner; each region's rows arrive as a progress signal and are
inserted without resetting the table. Everything shown from AWS (names, tags, error messages)
is hostile text: labels are PlainText, tooltips escaped, menu text has `&` doubled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QMenu,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials.source import CredentialSource
from app.core.aws.discovery.permissions import PermissionCache
from app.core.aws.discovery.rows import InstanceRow, RegionResult
from app.core.ssh.favourites import Favourites
from app.ui.errors import error_text
from app.ui.models import instances_model as im
from app.ui.models.instances_filter import InstancesFilter
from app.ui.models.instances_model import InstancesModel
from app.ui.panes.instances_discovery import discover_job
from app.ui.panes.instances_frame import ALL_REGIONS, BANNERS_AT, DEFAULT_REGION, InstancesFrame
from app.ui.panes.instances_menu import build_menu
from app.ui.panes.instances_states import InstancesStatesMixin
from app.ui.tasks import Task, TaskRunner
from app.ui.widgets.colours import BANNER_CSS
from app.ui.widgets.text_cells import CachedTextDelegate

# Each column fits its widest usual value in the view's font (an IP is not cut short), and
# all of them fit the default window with room for a tag; Name and Tags take what is left.
# Access has a chip icon before its text.
# (An id's digits are wider than its hex letters.)
_SAMPLES = {im.COL_ID: ("i-00000000000000000",), im.COL_REGION: ("ap-southeast-2",),
            im.COL_STATE: ("stopped", "running"), im.COL_SSM: ("connection lost",),
            im.COL_ACCESS: ("agent offline", "not permitted", "no SSM agent"),
            im.COL_PLATFORM: ("Windows",), im.COL_PRIVATE_IP: ("172.31.255.255",),
            im.COL_PUBLIC_IP: ("172.31.255.255",), im.COL_AGENT: ("3.3.1142.0",)}
_FIXED = {im.COL_FAV: 28, im.COL_NAME: 160}
_PADDING, _ICON = 10, 22


def column_widths(cells: QFontMetrics, header: QFontMetrics,
                  titles: Callable[[int], str]) -> dict[int, int]:
    widths = dict(_FIXED)
    for col, samples in _SAMPLES.items():
        text = max(cells.horizontalAdvance(s) for s in samples)
        widths[col] = _PADDING + max(text + (_ICON if col == im.COL_ACCESS else 0),
                                     header.horizontalAdvance(titles(col)))
    return widths


def _plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class InstancesPane(InstancesStatesMixin):
    action_requested = Signal(str, object)  # (action, InstanceRow)
    profile_changed = Signal(str)
    refreshed = Signal()  # a refresh finished (or failed); not emitted when cancelled
    diagnose_requested = Signal(object)  # InstanceRow: "why can't I connect?"

    def __init__(self, runner: TaskRunner, source: CredentialSource, favourites: Favourites,
                 permissions: PermissionCache, *, profiles: Sequence[str] = (),
                 frame: InstancesFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.session_for: Callable[[str], Any] = source.session
        self.favourites_store = favourites
        self.permission_cache = permissions
        self.task: Task | None = None
        self.region_errors: dict[str, str] = {}
        self.regions_total = 0
        self.regions_done = 0
        self.last_refreshed: float | None = None
        self.account = ""  # the caller's account, from the last discovery (for IAM fixes)
        self.default_regions: tuple[str, ...] = ()  # Settings > Instances; () = the profile's
        self.auto_refresh = QTimer(self)
        self.auto_refresh.timeout.connect(self._auto_refresh)

        self.model = InstancesModel(favourites.load(), self)
        self.proxy = InstancesFilter(self)
        self.proxy.setSourceModel(self.model)
        # The frame (the two rows of controls, "Reading…") may have painted first, before
        # this pane existed: adopted as it is, so nothing on screen moves.
        self.frame = frame if frame is not None else InstancesFrame()
        self._build()
        self.set_profiles(profiles)
        self.profiles_known = bool(profiles)  # the list arrives later from a worker
        self._update_state()

    # --- construction -----------------------------------------------------------------------
    def _build(self) -> None:
        f = self.frame
        self.profile_box, self.region_box = f.profile_box, f.region_box
        self.refresh_button, self.cancel_button = f.refresh_button, f.cancel_button
        self.progress, self.filter_edit = f.progress, f.filter_edit
        self.only_connectable, self.count_label = f.only_connectable, f.count_label
        self.refreshed_label = f.refreshed_label
        for label in (self.refreshed_label, self.count_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.profile_box.currentTextChanged.connect(self._profile_picked)
        self.refresh_button.clicked.connect(self.refresh)
        self.cancel_button.clicked.connect(self.cancel)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.filter_edit.returnPressed.connect(self.open_first)
        self.only_connectable.setChecked(self.proxy.only_connectable)
        self.only_connectable.toggled.connect(self.proxy.set_only_connectable)
        self.proxy.only_connectable_changed.connect(self.only_connectable.setChecked)

        self.banner = QFrame()
        self.banner.setObjectName("regionErrors")
        self.banner.setStyleSheet(BANNER_CSS.format(name="regionErrors"))
        self.banner_label = _plain_label()
        self.banner_label.setWordWrap(True)
        banner_layout = QVBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 6, 8, 6)
        banner_layout.addWidget(self.banner_label)
        self.banner.setVisible(False)
        # Why permissions could not be checked (e.g. no iam:SimulatePrincipalPolicy).
        self.permission_note = _plain_label()
        self.permission_note.setWordWrap(True)
        self.permission_note.setStyleSheet("color: palette(placeholder-text);")
        self.permission_note.setVisible(False)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.filter_edit.setFocus)

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(CachedTextDelegate(self.view, self.proxy.cell_text,
                                                     im.muted_text))
        # Access carries a chip (DecorationRole), which the cached delegate does not draw.
        self.view.setItemDelegateForColumn(im.COL_ACCESS, QStyledItemDelegate(self.view))
        # Qt's default indicator is column 0 descending; start with names A to Z.
        self.view.horizontalHeader().setSortIndicator(im.COL_NAME, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(self._double_clicked)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform row heights
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.view.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSortIndicatorShown(True)
        bold = QFont(hh.font())
        bold.setBold(True)  # header titles are drawn bold
        widths = column_widths(self.view.fontMetrics(), QFontMetrics(bold), lambda col: str(
            self.model.headerData(col, Qt.Orientation.Horizontal)))
        for col, width in widths.items():
            hh.resizeSection(col, width)

        self._build_states()

        for at, widget in enumerate((self.banner, self.permission_note), BANNERS_AT):
            f.column.insertWidget(at, widget)
        # The pane's own margins now (the style's: a window's or a child's), as before it
        # had a frame; the frame painted alone with the same ones, as a child.
        f.column.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(f)
        f.show()  # adopted from the window's stack, which had it shown
        # A region's rows arrive as an insertion and a re-sort; update the counts and the page
        # once, after both.
        self._state_timer = QTimer(self)
        self._state_timer.setSingleShot(True)
        self._state_timer.setInterval(0)
        self._state_timer.timeout.connect(self._update_state)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved,
                       self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._state_timer.start)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._first_look()

    def _first_look(self) -> None:
        # The first time the pane is on screen with a profile, list without asking for a click.
        if self.isVisible() and self.profile and self.last_refreshed is None and not self.busy:
            self.refresh()

    # --- profiles & regions -----------------------------------------------------------------
    def set_profiles(self, names: Sequence[str]) -> None:
        self.profiles_known = True  # from here on an empty list means "none at all"
        self.profile_box.set_names(names)
        self._update_state()
        self._first_look()

    @property
    def profile(self) -> str:
        return self.profile_box.currentText()

    def set_profile(self, name: str) -> None:
        self.profile_box.setCurrentText(name)

    def _profile_picked(self, name: str) -> None:
        self.cancel()
        self.model.clear()
        self.region_errors.clear()
        self._show_errors()
        self.last_refreshed = None
        self.refreshed_label.setText("")
        self.profile_changed.emit(name)
        self._update_state()
        if name:
            self.refresh()  # the user picked it: show its instances without another click

    def set_regions(self, regions: Sequence[str] = (), all_regions: bool = False) -> None:
        """Choose what the next refresh searches (one region, or all enabled ones)."""
        if all_regions:
            self.region_box.setCurrentText(ALL_REGIONS)
        elif regions:
            if self.region_box.findText(regions[0]) < 0:
                self.region_box.addItem(regions[0])
            self.region_box.setCurrentText(regions[0])
        else:
            self.region_box.setCurrentText(DEFAULT_REGION)

    def _search_all(self) -> None:
        self.set_regions(all_regions=True)
        self.refresh()

    # --- discovery --------------------------------------------------------------------------
    def refresh(self) -> None:
        profile = self.profile
        if not profile:
            self._update_state()
            return
        self.cancel()
        choice = self.region_box.currentText()
        regions = (self.default_regions if choice == DEFAULT_REGION else
                   () if choice == ALL_REGIONS else (choice,))
        self.model.clear()
        self.region_errors.clear()
        self._show_errors()
        self.regions_total = self.regions_done = 0
        factory = self._factory(profile)
        task = self.runner.submit(discover_job, factory, regions, choice == ALL_REGIONS,
                                  self.permission_cache, name="discover")
        self.task = task
        # Bound methods, not lambdas: Qt drops them with the pane, so a discovery that ends
        # after the pane is gone delivers nothing (a lambda would touch deleted widgets).
        task.progress.connect(self._task_progress)
        task.result.connect(self._task_result)
        task.error.connect(self._task_error)
        self.progress.setRange(0, 0)  # busy until the region count is known
        self._set_busy(True)

    def _factory(self, profile: str) -> Callable[[], Any]:
        session_for = self.session_for
        return lambda: session_for(profile)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._set_busy(False)

    @property
    def busy(self) -> bool:
        return self.task is not None

    def _task_progress(self, item: object) -> None:
        self._on_progress(cast(Task, self.sender()), item)

    def _task_result(self, inventory: object) -> None:
        self._on_done(cast(Task, self.sender()), None, inventory)

    def _task_error(self, exc: object) -> None:
        self._on_done(cast(Task, self.sender()), exc)

    def _on_progress(self, task: Task, item: object) -> None:
        if task is not self.task:
            return  # a cancelled refresh still reporting
        if isinstance(item, tuple) and item and item[0] == "regions":
            self.regions_total = len(item[1])
            self.progress.setRange(0, max(1, self.regions_total))
            self.progress.setValue(0)
            return
        if not isinstance(item, RegionResult):
            return
        self.regions_done += 1
        self.progress.setValue(self.regions_done)
        if item.error is not None:
            message, hint = error_text(item.error)
            self.region_errors[item.region] = f"{message} {hint}".strip()
            self._show_errors()
        else:
            self.model.add_rows(item.rows)
        self._update_state()

    def _on_done(self, task: Task, exc: object, inventory: object = None) -> None:
        if task is not self.task:
            return
        principal = getattr(inventory, "principal", None)
        self.account = str(getattr(principal, "account", "") or "")
        note = getattr(inventory, "permission_note", "")
        self.permission_note.setText(f"Permissions not checked: {note}" if note else "")
        self.permission_note.setVisible(bool(note))
        self.task = None
        self._set_busy(False)
        if isinstance(exc, BaseException):
            message, hint = error_text(exc)
            self.error_state.set_text("Could not list instances", f"{message}\n{hint}".strip())
        else:
            self.last_refreshed = time.time()
            self.refreshed_label.setText(
                "Last refreshed " + time.strftime("%H:%M:%S", time.localtime(self.last_refreshed)))
        self._failed = isinstance(exc, BaseException)
        self._update_state()
        self.refreshed.emit()

    def _set_busy(self, busy: bool) -> None:
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        self._update_state()

    def _show_errors(self) -> None:
        if not self.region_errors:
            self.banner.setVisible(False)
            self.banner_label.setText("")
            return
        lines = [f"{len(self.region_errors)} region(s) could not be searched; the others "
                 "are listed below."]
        # Each message names its region already ("Region eu-west-1: ...").
        lines += [text if region in text else f"{region}: {text}"
                  for region, text in sorted(self.region_errors.items())]
        self.banner_label.setText("\n".join(lines))
        self.banner.setVisible(True)

    def show_all(self) -> None:
        self.filter_edit.clear()
        self.proxy.show_all()

    # --- rows & actions ---------------------------------------------------------------------
    def row_for(self, index: QModelIndex) -> InstanceRow | None:
        row = index.data(im.ROW_ROLE) if index.isValid() else None
        return row if isinstance(row, InstanceRow) else None

    def selected_row(self) -> InstanceRow | None:
        indexes = self.view.selectionModel().selectedRows()
        return self.row_for(indexes[0]) if indexes else None

    def _double_clicked(self, index: QModelIndex) -> None:
        row = self.row_for(index)
        if row is None:
            return
        if index.column() == im.COL_FAV:
            self.toggle_favourite(row)
            return
        self.open_row(row)

    def open_first(self) -> None:
        """Enter in the filter: the first row shown, as a double-click would open it."""
        row = self.row_for(self.proxy.index(0, im.COL_NAME))
        if row is not None:
            self.view.selectRow(0)
            self.open_row(row)

    def open_row(self, row: InstanceRow) -> None:
        default = "rdp" if row.platform.lower().startswith("windows") else "shell"
        if row.capabilities.can(default) or row.capabilities.can("shell"):
            self.action_requested.emit(default if row.capabilities.can(default) else "shell", row)

    def build_menu(self, row: InstanceRow) -> QMenu:
        return build_menu(self, row, favourite=self.model.is_favourite(row),
                          on_action=self.action_requested.emit,
                          on_favourite=self.toggle_favourite,
                          on_diagnose=self.diagnose_requested.emit)

    def _context_menu(self, pos: QPoint) -> None:
        row = self.row_for(self.view.indexAt(pos))
        if row is not None:
            self.build_menu(row).popup(self.view.viewport().mapToGlobal(pos))

    def apply_settings(self, regions: tuple[str, ...], refresh_minutes: float) -> None:
        """Settings > Instances, applied at once: the regions the next refresh searches, and
        a timer that refreshes while the pane has a profile (0 = only when asked)."""
        self.default_regions = regions
        if refresh_minutes > 0:
            self.auto_refresh.start(int(refresh_minutes * 60_000))
        else:
            self.auto_refresh.stop()

    def _auto_refresh(self) -> None:
        if self.profile and not self.busy and self.isVisible():
            self.refresh()

    def set_plugin_missing(self, missing: bool) -> None:
        """Say in the Access column that nothing connects until the plugin is installed."""
        self.model.set_plugin_missing(missing)

    # --- favourites -------------------------------------------------------------------------
    def toggle_favourite(self, row: InstanceRow) -> None:
        self.model.set_favourite(row, not self.model.is_favourite(row))
        self.favourites_store.save(self.model.favourites)
