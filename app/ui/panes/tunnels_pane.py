"""The Tunnels pane: saved tunnels with a state light and a switch each, the editor, the log.

    pane = TunnelsPane(services.tunnel_view, services.tasks, services.paths.runtime_dir)
    pane.set_profiles(names); pane.set_inventory(instance_rows)   # values, wired by the app
    pane.forward_port(row, profile)                                # "Forward a port…"
    pane.remote_desktop(row, profile)                              # Windows: tunnel + RDP client

Everything that touches the book or the supervisor goes through the bridge's workers; the
pane only shows what the bridge says. Dialogs open with `open()`, never `exec()`.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.discovery.rows import InstanceRow
from app.core.procs import start_detached
from app.core.rdp import RDP_PORT, RdpLaunch, rdp_launch
from app.core.tunnels.spec import MAX_NAME, Mode, TunnelError, TunnelSpec
from app.core.tunnels.states import LogLine, TunnelStatus
from app.ui.bridges.tunnels import TunnelsBridge
from app.ui.dialogs.tunnel_editor import TunnelEditor, Values
from app.ui.errors import error_text
from app.ui.icons import dress
from app.ui.models.tunnels_model import (
    COL_EVENT,
    COL_ON,
    COL_STATE,
    COL_TARGET,
    ROW_ROLE,
    SORT_ROLE,
    TunnelRow,
    TunnelsModel,
    one_line,
)
from app.ui.panes.tunnels_frame import BANNERS_AT, TunnelsFrame
from app.ui.tasks import Task, TaskRunner
from app.ui.tunnel_open import copy_tunnel, open_tunnel, opens_in_browser
from app.ui.widgets.empty_state import EmptyState
from app.ui.widgets.switch_delegate import SwitchDelegate
from app.ui.widgets.tunnel_details import TunnelDetails

log = logging.getLogger(__name__)

EMPTY_TEXT = ("A tunnel keeps a local port forwarded to a port on an instance, or through it "
              "to a private host such as an RDS database, and comes back by itself when the "
              "session drops. Add one here, pick \"Forward a port…\" on an instance in "
              "Instances, or run: gangway tunnel add NAME --profile P --target TARGET "
              "--remote-port N")


def tunnel_name(base: str, prefix: str = "") -> str:
    """A valid tunnel name from instance text: one line, no leading '-', at most MAX_NAME."""
    text = one_line(f"{prefix}{base}", 200).lstrip("-").strip()
    return text[:MAX_NAME].strip() or "tunnel"


class TunnelsPane(QWidget):
    rdp_launched = Signal(object)  # RdpLaunch

    def __init__(self, bridge: TunnelsBridge, tasks: TaskRunner, files: Path,
                 frame: TunnelsFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge, self.tasks, self.files = bridge, tasks, files
        self.inventory: list[InstanceRow] = []
        self.profiles: list[str] = []
        self.editor: TunnelEditor | None = None  # the dialog open now (tests drive it)
        self.error_box: QMessageBox | None = None
        self.model = TunnelsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        # The frame (the buttons, "Reading…") may have painted first, before this pane
        # existed: adopted as it is, so nothing on screen moves.
        self.frame = frame if frame is not None else TunnelsFrame()
        self._build()
        self.model.switch_requested.connect(self._switch)
        bridge.specs_changed.connect(self._specs_changed)
        bridge.changed.connect(self._status_changed)
        bridge.logged.connect(self._logged)
        bridge.error.connect(self.show_error)
        self._specs_changed()

    def _build(self) -> None:
        f = self.frame
        self.add_button, self.edit_button = f.add_button, f.edit_button
        self.remove_button, self.count_label = f.remove_button, f.count_label
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button.clicked.connect(lambda: self.open_editor(None))
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.problems_label = QLabel()
        self.problems_label.setTextFormat(Qt.TextFormat.PlainText)
        self.problems_label.setWordWrap(True)
        self.problems_label.setVisible(False)

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COL_STATE, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_ON, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for col, width in ((COL_STATE, 190), (2, 150), (3, 130), (COL_TARGET, 200),
                           (5, 180), (6, 80), (COL_EVENT, 160)):
            self.view.setColumnWidth(col, width)
        self.switch_delegate = SwitchDelegate(self.view)
        self.view.setItemDelegateForColumn(COL_ON, self.switch_delegate)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.view.doubleClicked.connect(self._double_clicked)

        self.details = TunnelDetails()
        self.details.open_button.clicked.connect(self.open_selected)
        self.details.copy_button.clicked.connect(self.copy_selected)
        self.details.use_busy_port.clicked.connect(self.use_suggested_port)
        # The table needs the width (eight columns); the selected tunnel's panel sits below.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.details)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([380, 260])

        self.empty = EmptyState("No tunnels saved", EMPTY_TEXT, "Add a tunnel…",
                                icon_name="add")
        self.empty.action.connect(lambda: self.open_editor(None))
        self.stack = f.stack  # its "Reading…" page shows until the pane says more
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        f.column.insertWidget(BANNERS_AT, self.problems_label)
        # The pane's own margins now (the style's: a window's or a child's), as before it
        # had a frame; the frame painted alone with the same ones, as a child.
        f.column.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(f)
        f.show()  # adopted from the window's stack, which had it shown

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.bridge.loaded:
            self.bridge.reload()  # tunnels added meanwhile (`gangway tunnel add`) appear

    # --- values the application passes in ------------------------------------------------------

    def set_profiles(self, names: Sequence[str]) -> None:
        self.profiles = list(names)

    def set_inventory(self, rows: Sequence[InstanceRow]) -> None:
        """The instances the Instances pane listed: the editor checks targets against them."""
        self.inventory = list(rows)

    # --- bridge events -------------------------------------------------------------------------

    def _specs_changed(self) -> None:
        selected = self.selected_name()
        self.model.set_specs(self.bridge.specs(), self.bridge.statuses())
        has = self.model.rowCount() > 0
        # Until the book is read, the frame's "Reading…": not "No tunnels saved".
        self.stack.setCurrentWidget(self.splitter if has else self.empty if self.bridge.loaded
                                    else self.frame.loading)
        for w in (self.edit_button, self.remove_button):
            w.setEnabled(has)
        problems = self.bridge.problems
        self.problems_label.setVisible(bool(problems))
        self.problems_label.setText("\n".join(one_line(p, 300) for p in problems[:5]))
        self._update_count()
        self.select(selected or (self.model.rows[0].name if has else ""))

    def _status_changed(self, status: TunnelStatus) -> None:
        self.model.update_status(status)
        self._update_count()
        if status.name == self.details.name:
            self._show_selected(reload_log=False)

    def _logged(self, line: LogLine) -> None:
        self.details.append(line)

    def _update_count(self) -> None:
        on = sum(1 for r in self.model.rows if r.on)
        self.count_label.setText(f"{on} of {len(self.model.rows)} on" if self.model.rows else "")

    # --- selection -----------------------------------------------------------------------------

    def selected_row(self) -> TunnelRow | None:
        index = self.view.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row if isinstance(row, TunnelRow) else None

    def selected_name(self) -> str:
        row = self.selected_row()
        return row.name if row is not None else ""

    def select(self, name: str) -> None:
        source = self.model.row_of(name)
        if source < 0:
            self._show_selected()
            return
        index = self.proxy.mapFromSource(self.model.index(source, COL_STATE))
        self.view.setCurrentIndex(index)
        self._show_selected()

    def _show_selected(self, reload_log: bool = True) -> None:
        row = self.selected_row()
        if row is None:
            self.details.show_status(None)
            return
        label = ("Open in browser" if opens_in_browser(row.spec) else
                 "Copy command" if row.spec.open else "Copy address")
        lines = self.bridge.log(row.name) if reload_log or row.name != self.details.name else None
        self.details.show_status(row.status, lines, open_label=label)
        self.details.copy_button.setVisible(opens_in_browser(row.spec))

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() != COL_ON:
            self.edit_selected()

    # --- actions -------------------------------------------------------------------------------

    def _switch(self, name: str, on: bool) -> None:
        self.bridge.switch(name, on)

    def switch(self, name: str, on: bool) -> Task | None:
        return self.bridge.switch(name, on)

    def open_selected(self) -> str:
        return open_tunnel(self.bridge, self.selected_name()) if self.selected_name() else ""

    def copy_selected(self) -> str:
        return copy_tunnel(self.bridge, self.selected_name()) if self.selected_name() else ""

    def use_suggested_port(self) -> None:
        row = self.selected_row()
        problem = row.status.problem if row is not None else None
        if row is None or problem is None or not problem.suggested_port:
            return
        self.bridge.save(row.spec.with_changes(local_port=problem.suggested_port), row.name)

    def open_editor(self, spec: TunnelSpec | Values | None) -> TunnelEditor:
        editor = TunnelEditor(self.bridge.specs(), self.inventory, self.profiles, spec, self)
        editor.setWindowModality(Qt.WindowModality.WindowModal)
        editor.saved.connect(self.bridge.save)
        self.editor = editor
        editor.open()
        return editor

    def edit_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_editor(row.spec)

    def remove_selected(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.spec.shared:
            self.show_error(ValueError(f"{row.name} comes from the team catalog; it cannot be "
                                       "removed here."))
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove tunnel",
                          f"Remove the tunnel {one_line(row.name, 80)}?"
                          + (" It is on, and will be switched off." if row.on else ""),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Remove")
        dress(box, {yes: "delete"})
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda b, n=row.name: box.standardButton(b) == QMessageBox.StandardButton.Yes
            and self.bridge.remove(n))
        self.error_box = box
        box.open()

    def forward_port(self, row: InstanceRow, profile: str, *, remote_host: bool = False) -> \
            TunnelEditor:
        """The editor, filled in from an instance ("Forward a port…" in Instances)."""
        # A Name tag survives the instance being replaced; use it when it is unique here.
        named = [r for r in self.inventory if row.name and r.name == row.name]
        target = row.name if row.name and len(named) <= 1 else row.instance_id
        values = Values(name=tunnel_name(row.name or row.instance_id), profile=profile,
                        target=target,
                        mode=Mode.REMOTE_HOST if remote_host else Mode.INSTANCE_PORT)
        editor = self.open_editor(values)
        (editor.remote_host if remote_host else editor.remote_port).setFocus()
        return editor

    def remote_desktop(self, row: InstanceRow, profile: str) -> Task:
        """A tunnel to the instance's 3389 (saved, so it can be switched again) and the RDP
        client pointed at it, in a worker."""
        name = tunnel_name(row.name or row.instance_id, "rdp ")
        spec = self.bridge.spec(name) or TunnelSpec(
            name=name, profile=profile, target=row.instance_id, remote_port=RDP_PORT,
            group="Remote desktop")
        book, supervisor, files = self.bridge.book, self.bridge.supervisor, self.files

        def job() -> RdpLaunch:
            saved = spec if spec.local_port else book.add(spec, replace=True)
            status = supervisor.up(saved)
            if not status.local_port or (status.problem is not None and status.problem.port_busy):
                problem = status.problem
                raise TunnelError(problem.message if problem else str(status),
                                  problem.hint if problem else "")
            host = "127.0.0.1" if saved.bind in ("0.0.0.0", "::") else saved.bind
            plan = rdp_launch(host, status.local_port, files=files, name=saved.name)
            start_detached(list(plan.argv), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
            log.info("started %s for %s on port %d", plan.client, saved.name, status.local_port)
            return plan

        task = self.tasks.submit(job, name=f"rdp {row.instance_id}")
        task.result.connect(self.rdp_launched)
        task.result.connect(lambda _p: self.bridge.reload())
        task.error.connect(self.show_error)
        task.error.connect(lambda _e: self.bridge.reload())
        return task

    def show_error(self, exc: object) -> None:
        message, hint = error_text(exc) if isinstance(exc, BaseException) else (str(exc), "")
        box = QMessageBox(QMessageBox.Icon.Warning, "Tunnels", message,
                          QMessageBox.StandardButton.Ok, self)
        dress(box)
        box.setTextFormat(Qt.TextFormat.PlainText)  # may quote hostile names
        if hint:
            box.setInformativeText(hint)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.error_box = box
        box.open()
