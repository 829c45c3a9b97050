"""The Sessions pane: active and recent SSM sessions, merged with Gangway's own history.

A refresh asks `ssm:DescribeSessions` (Active and History) on a worker and merges the result
with `<data_dir>/sessions.json` (what Gangway started, with the reason and how it ended).
Your own active sessions (started by Gangway, or owned by your identity) can be terminated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials.source import CredentialSource
from app.core.aws.sessions.api import SessionRecord
from app.core.aws.sessions.history import SessionHistory
from app.core.settings import SettingsStore
from app.ui.errors import error_text
from app.ui.icons import dress
from app.ui.models import sessions_model as sm
from app.ui.models.sessions_model import SessionsModel
from app.ui.panes.sessions_frame import SessionsFrame
from app.ui.tasks import Task, TaskRunner
from app.ui.widgets.empty_state import EmptyState

HISTORY_ITEMS = 100
# Widths from the view's font: a usual value of each column fits whole (Status has its chip
# icon first); Session ID, the last column, takes the rest.
_SAMPLES = {sm.COL_TIME: "2026-12-31 23:59:59", sm.COL_STATUS: "Ended: the terminal was closed",
            sm.COL_PROFILE: "production", sm.COL_TARGET: "web-12.prod (i-0123456789abcdef0)",
            sm.COL_DOCUMENT: "SSM-SessionManagerRunShell", sm.COL_REASON: "JIRA-1234 restart"}
_PADDING, _ICON = 12, 22


@dataclass(frozen=True)
class SessionList:
    records: tuple[SessionRecord, ...]
    caller_arn: str
    region: str


def load_sessions(session_for: Callable[[str], Any], profile: str, history: SessionHistory
                  ) -> SessionList:
    """Worker: AWS's active + recent sessions, merged with Gangway's history for `profile`."""
    from app.core.aws.client import client, translate
    from app.core.aws.sessions import api
    from app.core.aws.sessions.history import merge

    session = session_for(profile)
    region = session.region_name or "us-east-1"
    ssm = client(session, "ssm", region)
    try:
        caller = str(client(session, "sts", region).get_caller_identity()["Arn"])
    except Exception as exc:
        raise translate(exc, "Checking who you are") from exc
    remote = (api.describe_sessions(ssm, "Active")
              + api.describe_sessions(ssm, "History", max_items=HISTORY_ITEMS))
    local = [r for r in history.records() if r.profile == profile]
    return SessionList(tuple(merge(remote, local)), caller, region)


def terminate(session_for: Callable[[str], Any], profile: str, region: str,
              session_id: str) -> str:
    from app.core.aws.client import client
    from app.core.aws.sessions.api import terminate_session

    terminate_session(client(session_for(profile), "ssm", region), session_id)
    return session_id


def fit_text(state: EmptyState, width: int = 480) -> None:
    """Give the wrapped text its full height (a centred word-wrapped QLabel otherwise gets a
    one-line sizeHint and is cut). Reported for EmptyState itself; harmless once fixed."""
    label = state.text_label
    label.setFixedWidth(width)
    height = label.heightForWidth(width)
    if height > 0:
        label.setFixedHeight(height)


class SessionsFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(sm.SORT_ROLE)


class SessionsPane(QWidget):
    refreshed = Signal()
    setup_requested = Signal()  # no profile at all: take the user to the first-run guide
    terminated = Signal(str)

    def __init__(self, runner: TaskRunner, source: CredentialSource, history: SessionHistory,
                 *, profiles: Sequence[str] = (), settings: SettingsStore | None = None,
                 frame: SessionsFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.history = history
        self.session_for: Callable[[str], Any] = source.session
        self.task: Task | None = None
        self.caller_arn = ""
        self.region = ""
        self.failed: str | None = None
        self.last_refreshed: float | None = None
        self.confirm_box: QMessageBox | None = None
        self.model = SessionsModel(self)
        self.proxy = SessionsFilter(self)
        self.proxy.setSourceModel(self.model)
        # The frame (the row of controls, "Reading…") may have painted first, before this
        # pane existed: adopted as it is, so nothing on screen moves.
        self.frame = frame if frame is not None else SessionsFrame()
        self._build()
        self.set_profiles(profiles)
        self.profiles_known = bool(profiles)  # the list arrives later from a worker
        self._update_state()

    def _build(self) -> None:
        f = self.frame
        self.profile_box, self.refresh_button = f.profile_box, f.refresh_button
        self.terminate_button, self.filter_edit = f.terminate_button, f.filter_edit
        self.status = f.status
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.profile_box.currentTextChanged.connect(lambda _t: self.refresh())
        self.refresh_button.clicked.connect(self.refresh)
        self.terminate_button.clicked.connect(self.ask_terminate)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.filter_edit.textChanged.connect(self._update_state)
        self.settings_button = f.settings_button
        self.settings_button.setVisible(self.settings is not None)  # nothing to open else
        self.settings_button.clicked.connect(self.open_settings)

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(sm.COL_TIME, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        hh = self.view.horizontalHeader()
        hh.setStretchLastSection(True)
        metrics = self.view.fontMetrics()
        for col, sample in _SAMPLES.items():
            hh.resizeSection(col, metrics.horizontalAdvance(sample) + _PADDING
                             + (_ICON if col == sm.COL_STATUS else 0))
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)

        self.empty = EmptyState(
            "No sessions yet",
            "Active and recent Session Manager sessions (shells, SSH, tunnels) will appear "
            "here, with who started them, when, and how they ended.", "Refresh",
            icon_name="refresh")
        self.empty.action.connect(self.refresh)
        self.no_profile = EmptyState("Pick a profile to see sessions",
                                     "Sessions are listed per AWS profile and region.")
        self.no_profiles = EmptyState(
            "No AWS profiles yet", "Sessions are listed per AWS profile. Set one up in "
            "Profiles: sign in with SSO, add access keys, or open a config file you have.",
            "Set up a profile", icon_name="profiles")
        self.no_profiles.action.connect(self.setup_requested)
        self.loading = EmptyState("Loading sessions…",
                                  "Asking Session Manager for active and recent sessions.")
        self.error_state = EmptyState("Could not list sessions", "", "Retry",
                                      icon_name="refresh")
        self.error_state.action.connect(self.refresh)
        self.nothing_matches = EmptyState("Nothing matches",
                                          "No session matches the filter.", "Clear filter",
                                          icon_name="close")
        self.nothing_matches.action.connect(self.filter_edit.clear)
        self.stack = f.stack  # its "Reading…" page shows until the pane says more
        for w in (self.view, self.empty, self.no_profile, self.no_profiles, self.loading,
                  self.error_state, self.nothing_matches):
            self.stack.addWidget(w)
            if isinstance(w, EmptyState):
                fit_text(w)
        # The pane's own margins now (the style's: a window's or a child's), as before it
        # had a frame; the frame painted alone with the same ones, as a child.
        f.column.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(f)
        f.show()  # adopted from the window's stack, which had it shown

    def open_settings(self) -> QWidget | None:
        from app.ui.dialogs.terminal_settings import TerminalSettingsDialog

        if self.settings is None:
            return None
        dlg = TerminalSettingsDialog(self.runner, self.settings, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._first_look()

    def _first_look(self) -> None:
        # On screen with a profile and never asked: fetch without making the user press
        # Refresh (the window may reopen here before the profile names are read).
        if self.isVisible() and self.profile and self.last_refreshed is None \
                and self.task is None and self.failed is None:
            self.refresh()

    # --- profiles ------------------------------------------------------------------------
    def set_profiles(self, names: Sequence[str]) -> None:
        self.profiles_known = True
        self.profile_box.set_names(names)
        self._update_state()
        self._first_look()

    @property
    def profile(self) -> str:
        return self.profile_box.currentText()

    def set_profile(self, name: str) -> None:
        if self.profile_box.findText(name) < 0:
            self.profile_box.addItem(name)
        self.profile_box.setCurrentText(name)

    def set_names(self, names: dict[str, str]) -> None:
        self.model.set_names(names)

    # --- refresh -------------------------------------------------------------------------
    def refresh(self) -> Task | None:
        profile = self.profile
        if not profile:
            self._update_state()
            return None
        if self.task is not None:
            self.task.cancel()
        task = self.runner.submit(load_sessions, self.session_for, profile, self.history,
                                  name="sessions")
        self.task = task
        task.result.connect(lambda res, t=task: self._loaded(t, res))
        task.error.connect(lambda exc, t=task: self._loaded(t, exc))
        self.refresh_button.setEnabled(False)
        self._update_state()
        return task

    def _loaded(self, task: Task, result: object) -> None:
        if task is not self.task:
            return  # superseded by a newer refresh
        self.task = None
        self.refresh_button.setEnabled(True)
        if isinstance(result, SessionList):
            self.failed = None
            self.caller_arn, self.region = result.caller_arn, result.region
            self.model.set_rows(result.records)
            self.last_refreshed = time.time()
            active = sum(1 for r in result.records if r.active)
            self.status.setText(f"{active} active · refreshed "
                                + time.strftime("%H:%M:%S", time.localtime(self.last_refreshed)))
        else:
            exc = result if isinstance(result, BaseException) else RuntimeError(str(result))
            message, hint = error_text(exc)
            self.failed = f"{message}\n{hint}".strip()
            self.error_state.set_text("Could not list sessions", self.failed)
            fit_text(self.error_state)
        self._update_state()
        self.refreshed.emit()

    def _update_state(self, *_: object) -> None:
        if not self.profile:
            none = self.profiles_known and self.profile_box.count() == 0
            # Until the names are read, the frame's "Reading…": not "Pick a profile".
            page: QWidget = (self.no_profiles if none else self.no_profile
                             if self.profiles_known else self.frame.loading)
        elif self.failed is not None and self.task is None:
            page = self.error_state
        elif self.model.rowCount():
            page = self.view if self.proxy.rowCount() else self.nothing_matches
        elif self.task is not None:
            page = self.loading
        else:
            page = self.empty
        self.stack.setCurrentWidget(page)
        self._update_buttons()

    # --- terminate -----------------------------------------------------------------------
    def selected(self) -> SessionRecord | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        rec = rows[0].data(sm.ROW_ROLE)
        return rec if isinstance(rec, SessionRecord) else None

    def is_own(self, rec: SessionRecord) -> bool:
        return rec.local or bool(self.caller_arn and rec.owner == self.caller_arn)

    def _update_buttons(self, *_: object) -> None:
        rec = self.selected()
        ok = rec is not None and rec.active and self.is_own(rec) and not rec.session_id.startswith(
            "local-")
        self.terminate_button.setEnabled(ok)

    def ask_terminate(self) -> None:
        rec = self.selected()
        if rec is None or not self.is_own(rec):
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Terminate session",
                          f"Terminate session {rec.session_id} on "
                          f"{self.model.target_text(rec)}?",
                          QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText("Whoever is using it is disconnected at once.")
        yes = box.addButton("Terminate", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        dress(box, {yes: "stop"})
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda b, r=rec: self.terminate(r) if b is yes else None)
        self.confirm_box = box
        box.open()

    def terminate(self, rec: SessionRecord) -> Task:
        region = rec.region or self.region
        task = self.runner.submit(terminate, self.session_for, self.profile, region,
                                  rec.session_id, name="terminate")
        task.result.connect(self._terminated)
        task.error.connect(self._terminate_failed)
        self.terminate_button.setEnabled(False)
        return task

    def _terminated(self, session_id: object) -> None:
        self.terminated.emit(str(session_id))
        self.refresh()

    def _terminate_failed(self, exc: object) -> None:
        message, hint = error_text(exc if isinstance(exc, BaseException)
                                   else RuntimeError(str(exc)))
        self.status.setText(f"Terminate failed: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Gangway", message,
                          QMessageBox.StandardButton.Ok, self)
        dress(box)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(hint)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.confirm_box = box
        box.open()
