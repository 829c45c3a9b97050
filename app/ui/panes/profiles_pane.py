"""The Profiles pane: every AWS profile, its state, and the actions on it.

Everything that touches files, the keyring or AWS runs in a task; the pane only shows the
last `ProfilesView` it was given. Problems in the files are listed in a banner (file:line:
message) above the profiles that could be read. A write refused because the file changed on
disk offers a Reload instead of overwriting. Messages are plain text: profile names are
user input and may look like markup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.status import REJECTED
from app.core.aws.credentials.types import CredentialState
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.view import (
    ProfileRow,
    ProfilesView,
    load_view,
)
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import FileChangedError
from app.core.settings import Settings, SettingsStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.errors import error_text
from app.ui.mfa_broker import MfaBroker
from app.ui.models.profiles_model import COL_NAME, SORT_ROLE, ProfilesModel
from app.ui.panes.profile_checks import ProfileChecksMixin
from app.ui.panes.profile_edits import ProfileEditsMixin
from app.ui.panes.profiles_frame import BANNERS_AT, ProfilesFrame
from app.ui.tasks import TaskRunner
from app.ui.widgets.colours import BANNER_CSS, error_css
from app.ui.widgets.empty_state import EmptyState
from app.ui.widgets.first_run import FirstRunGuide

log = logging.getLogger(__name__)
_SHORTCUTS: dict[str, QKeySequence.StandardKey | str] = {
    "new": QKeySequence.StandardKey.New, "delete": QKeySequence.StandardKey.Delete,
    "reload": QKeySequence.StandardKey.Refresh, "rename": "F2"}
KEYRING_NOTICE = ("No OS keyring is available: temporary credentials stay in this window's "
                  "memory only and are gone when Gangway quits. Protect keys needs a keyring "
                  "(GNOME Keyring, KWallet, Keychain or Credential Manager).")


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _banner(name: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName(name)
    frame.setStyleSheet(BANNER_CSS.format(name=name))
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 6, 10, 6)
    frame.hide()
    return frame, layout


def _load(service: CredentialService) -> tuple[ProfilesView, bool]:
    """In a worker: the view, and whether secrets outlive the process (the first keyring
    probe happens here, not on the GUI thread)."""
    return load_view(service), bool(service.store.real)


class ProfilesPane(ProfileChecksMixin, ProfileEditsMixin):
    loaded = Signal()  # a new view is on screen (tests and scenes wait for it)
    operation_failed = Signal(object)  # the exception, after it is shown
    doctor_requested = Signal()

    def __init__(self, service: CredentialService, writer: ProfileWriter, tasks: TaskRunner,
                 broker: MfaBroker, expiry: CredentialsBridge, *,
                 keyring_real: bool | None = None, settings: SettingsStore | None = None,
                 frame: ProfilesFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.writer, self.tasks, self.broker = service, writer, tasks, broker
        self.keyring_real = keyring_real
        self.expiry = expiry
        self.settings = settings
        self.open_browser = True  # the SSO login opens the verification page
        self.sso_dialog: Any = None
        self.editor: Any = None
        self.view: ProfilesView | None = None
        self._pending_select: str | None = None
        self._checked: set[str] = set()  # quiet identity checks already started
        self._quiet: dict[object, str] = {}
        self.status_sink: Callable[[str, bool], object] | None = None  # the status bar

        # The frame (toolbar, filter, "Reading…") may have painted first, before this pane
        # existed: adopted as it is, so nothing on screen moves.
        self.frame = frame if frame is not None else ProfilesFrame()
        self.toolbar, self.filter_edit = self.frame.toolbar, self.frame.filter_edit
        self.actions_by_name: dict[str, QAction] = self.frame.actions_by_name
        self.more_menu, self.more_button = self.frame.more_menu, self.frame.more_button
        slots: dict[str, Callable[[], object]] = {
            "new": self.new_profile, "edit": self.edit_profile,
            "duplicate": self.duplicate_profile, "rename": self.rename_profile,
            "delete": self.delete_profile, "protect": self.protect_keys,
            "restore": self.restore_keys, "mfa": self.enter_mfa, "sso": self.start_sso,
            "identity": self.check_identity, "reload": self.reload,
            "settings": self.open_settings}
        for key, action in self.actions_by_name.items():
            action.triggered.connect(lambda _=False, s=slots[key]: s())
            if key in _SHORTCUTS:
                action.setShortcut(QKeySequence(_SHORTCUTS[key]))
                # Only while this pane has focus: other panes have their own Delete/F5.
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)

        self.keyring_label = _plain(KEYRING_NOTICE)
        self.keyring_frame, lay = _banner("keyringNotice")
        lay.addWidget(self.keyring_label)
        self.keyring_frame.setVisible(keyring_real is False)

        self.problems_frame, lay = _banner("problems")
        self.problems_title = _plain("Some lines of your AWS files could not be read. Every "
                                     "other profile is listed below.")
        font = self.problems_title.font()
        font.setBold(True)
        self.problems_title.setFont(font)
        self.problems_label = _plain()
        self.problems_label.setObjectName("problemsText")
        lay.addWidget(self.problems_title)
        lay.addWidget(self.problems_label)

        self.changed_frame, lay = _banner("fileChanged")
        row = QHBoxLayout()
        self.changed_label = _plain()
        self.changed_reload = QPushButton("Reload")
        self.changed_reload.clicked.connect(self.reload)
        row.addWidget(self.changed_label, 1)
        row.addWidget(self.changed_reload, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addLayout(row)

        self.message_label = _plain()
        self.message_label.setObjectName("message")
        self.message_label.hide()

        self.model = ProfilesModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # A few dozen rows: the stock proxy's every-column, case-blind filter is enough.
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # tooltips have it all
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((240, 150, 120, 200)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_profile())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())

        self.empty = EmptyState(
            "No AWS profiles yet",
            "Profiles from your AWS config and credentials files appear here, with their "
            "account and how long their credentials stay valid. Create one with your access "
            "keys, a role or an SSO login.", "New profile")
        self.empty.action.connect(self.new_profile)
        self.loading, self.stack = self.frame.loading, self.frame.stack
        self.guide = FirstRunGuide()
        self.guide.chosen.connect(self._first_run)
        self.guide.doctor_requested.connect(self.doctor_requested)
        for w in (self.empty, self.guide, self.table):
            self.stack.addWidget(w)
        for at, banner in enumerate((self.keyring_frame, self.problems_frame,
                                     self.changed_frame, self.message_label), BANNERS_AT):
            self.frame.column.insertWidget(at, banner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.frame)
        self.frame.show()  # adopted from the window's stack, which had it shown

        expiry.ticked.connect(self.tick)
        expiry.mfa_requested.connect(self.enter_mfa)
        self.update_actions()

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        self.changed_frame.hide()
        task = self.tasks.submit(_load, self.service, name="load-profiles")
        task.result.connect(self._loaded)
        task.error.connect(self._failed)

    def _loaded(self, result: tuple[ProfilesView, bool]) -> None:
        view, real = result
        if self.keyring_real != real:
            self.keyring_real = real
            self.keyring_frame.setVisible(not real)
        self.guide.set_keyring(real)
        self.set_view(view)

    def set_view(self, view: ProfilesView) -> None:
        selected = self._pending_select or self.selected_name()
        self._pending_select = None
        self.view = view
        self.model.set_rows(view.rows)
        problems = [str(p.message) for p in view.problems]
        self.problems_label.setText("\n".join(problems))
        self.problems_frame.setVisible(bool(problems))
        if not view.rows:
            self.empty.set_text(
                "No AWS profiles yet" if not problems else "No readable profiles",
                "Profiles from your AWS config and credentials files appear here, with their "
                "account and how long their credentials stay valid. Create one with your "
                "access keys, a role or an SSO login." if not problems else
                "The problems above kept every profile from being read. Fix the lines named "
                "there, then Reload, or create a new profile.")
        self.filter_edit.setVisible(bool(view.rows))
        first_run = not view.rows and not problems
        self.stack.setCurrentWidget(self.table if view.rows else
                                    self.guide if first_run else self.empty)
        self._fit_empty_text()
        if selected:
            self.select(selected)
        self.update_actions()
        self.expiry.publish(view.rows)  # the tray, notifications and our own tick follow
        self.check_quietly(view.rows)
        self.loaded.emit()

    def _fit_empty_text(self) -> None:
        # A word-wrapped, centred label gets a one-line height from the layout; give it
        # the height its text needs at its width so nothing is cut off.
        label = self.empty.text_label
        label.setFixedWidth(520)
        label.setMinimumHeight(label.heightForWidth(520))

    def tick(self, now: datetime | None = None) -> None:
        """Re-word remaining times (the expiry service ticks every 30 s)."""
        self.model.tick(now or datetime.now(UTC))

    # --- selection ---------------------------------------------------------------------------

    def selected_row(self) -> ProfileRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row())

    def selected_name(self) -> str | None:
        row = self.selected_row()
        return row.name if row is not None else None

    def select(self, name: str) -> bool:
        source = self.model.row_of(name)
        if source < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        self.table.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def update_actions(self) -> None:
        row = self.selected_row()
        kind = row.profile.kind if row else None
        has = row is not None
        enable = {
            "new": True, "reload": True, "settings": self.settings is not None,
            "edit": has, "duplicate": has, "rename": has,
            "delete": has,
            "protect": has and row is not None and row.profile.has_plaintext_keys
            and kind in (ProfileKind.STATIC, ProfileKind.STATIC_MFA) and bool(self.keyring_real),
            "restore": kind is ProfileKind.PROTECTED,
            "mfa": has and row is not None and row.status.state in (
                CredentialState.NEEDS_MFA, CredentialState.EXPIRED, CredentialState.VALID_UNTIL)
            and kind is not ProfileKind.SSO,
            "sso": not has or kind is ProfileKind.SSO,
            "identity": has and row is not None and (
                row.status.state is not CredentialState.BROKEN or row.status.reason == REJECTED),
        }
        for key, action in self.actions_by_name.items():
            action.setEnabled(bool(enable.get(key, False)))
        if not self.keyring_real:
            self.actions_by_name["protect"].setToolTip(KEYRING_NOTICE)

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for key in ("edit", "duplicate", "rename", "delete", None, "protect", "restore", None,
                    "mfa", "sso", "identity"):
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_name[key])
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # --- messages ----------------------------------------------------------------------------

    def show_message(self, text: str, error: bool = False) -> None:
        """In the window's status bar when there is one (the table does not move), else in
        the line above the table (a pane on its own, in tests and scenes)."""
        self.message_label.setStyleSheet(error_css(self.palette()) if error else "")
        self.message_label.setText(text)
        if self.status_sink is not None:
            self.message_label.hide()
            self.status_sink(text, error)
            return
        self.message_label.setVisible(bool(text))

    def _failed(self, exc: BaseException) -> None:
        message, hint = error_text(exc)
        if isinstance(exc, FileChangedError):
            self.changed_label.setText(f"{message} {hint}".strip())
            self.changed_frame.show()
        else:
            self.show_message(f"{message} {hint}".strip(), error=True)
        self.operation_failed.emit(exc)

    # --- credentials -------------------------------------------------------------------------

    def enter_mfa(self, name: str | None = None) -> None:
        name = name or self.selected_name()
        if name is None:
            return
        self.show_message("")
        task = self.tasks.submit(self.service.get, name, self.broker.prompt, refresh=True,
                                 name="mfa")
        task.result.connect(lambda _c: self.reload())
        task.error.connect(self._failed)

    def _first_run(self, way: str) -> None:
        {"sso": self.start_sso, "keys": self.add_keys, "open": self.open_config}[way]()

    def start_sso(self) -> None:
        from app.ui.dialogs.sso_login_dialog import SsoLoginDialog

        if self.view is None:
            return
        row = self.selected_row()
        dialog = SsoLoginDialog(self.tasks, self.writer, self.view.profiles,
                                row.name if row and row.profile.kind is ProfileKind.SSO
                                else None, open_browser=self.open_browser, parent=self)
        dialog.logged_in.connect(self.reload)
        dialog.profiles_changed.connect(self.reload)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.sso_dialog = dialog

    def open_settings(self) -> None:
        from app.ui.dialogs.settings_dialog import SettingsDialog

        if self.settings is None:
            return
        dialog = SettingsDialog(self.settings, self)

        def apply(settings: Settings) -> None:
            self.service.durations = settings.credentials.durations()  # the next code uses them

        dialog.saved.connect(apply)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.settings_dialog = dialog
