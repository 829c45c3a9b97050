"""SSO (IAM Identity Center) login: the device code, the browser, then profiles from roles.

Step 1 picks where to log in (an `[sso-session]` from the config file, or a new one). Step 2
shows the code to compare and the page to approve it on, while a task polls. Step 3 lists
every account and role the login reaches, to create profiles from. The token lands in the
AWS CLI's own cache, so the CLI and the plugin share the login.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.credentials import sso
from app.core.aws.profiles.model import ProfileSet
from app.core.aws.profiles.names import sso_profile_name
from app.core.aws.profiles.writer import ProfileWriter, SsoProfileSpec
from app.core.errors import ProfileError
from app.ui.errors import error_text
from app.ui.icons import dress, icon
from app.ui.tasks import Task, TaskRunner
from app.ui.widgets.colours import error_css

NEW_SESSION = "New SSO session…"


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _login(config: sso.SsoConfig, open_browser: bool, progress: Any, cancel: Any) -> Any:
    return sso.login(config, on_code=progress, open_browser=open_browser, cancel=cancel)


def _accounts(config: sso.SsoConfig, token: sso.SsoToken,
              cancel: Any) -> list[tuple[sso.SsoAccount, str]]:
    pairs: list[tuple[sso.SsoAccount, str]] = []
    for account in sso.list_accounts(config, token):
        if cancel.is_set():
            break
        pairs.extend((account, role) for role in sso.list_roles(config, account.account_id,
                                                                token))
    return pairs


class SsoLoginDialog(QDialog):
    profiles_changed = Signal()
    logged_in = Signal()

    def __init__(self, tasks: TaskRunner, writer: ProfileWriter, profiles: ProfileSet,
                 profile: str | None = None, *, open_browser: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks, self.writer, self.profiles = tasks, writer, profiles
        self.open_browser = open_browser
        self.task: Task | None = None
        self.config: sso.SsoConfig | None = None
        self.token: sso.SsoToken | None = None
        self.device: sso.DeviceAuthorization | None = None
        self.setWindowTitle("SSO login")
        self.setMinimumWidth(700)

        # Step 1: where.
        self.session = QComboBox()
        for s in profiles.sso_sessions.values():
            self.session.addItem(f"{s.name} ({s.start_url})", s.name)
        self.session.addItem(NEW_SESSION, "")
        self.new_name = QLineEdit()
        self.new_url = QLineEdit()
        self.new_url.setPlaceholderText("https://my-org.awsapps.com/start")
        self.new_region = QLineEdit("us-east-1")
        form = QFormLayout()
        self.pick_form = form
        form.addRow("Sign in to:", self.session)
        form.addRow("Session name:", self.new_name)
        form.addRow("Start URL:", self.new_url)
        form.addRow("SSO region:", self.new_region)
        self.legacy: sso.SsoConfig | None = None
        if profile is not None:
            found = profiles.get(profile)
            if found is not None and found.get("sso_session"):
                self.session.setCurrentIndex(max(0, self.session.findData(
                    found.get("sso_session"))))
            elif found is not None:
                try:
                    self.legacy = sso.config_for(profiles, found)
                except ProfileError:  # shown when the user presses Log in
                    self.legacy = None
        self.session.currentIndexChanged.connect(self._session_changed)
        pick = QWidget()
        pick_layout = QVBoxLayout(pick)
        pick_layout.addWidget(_plain("Log in with your browser; the login is shared with the "
                                     "AWS CLI."))
        pick_layout.addLayout(form)
        pick_layout.addSpacing(12)
        steps = _plain("What happens next:\n"
                       "1. Your browser opens the sign-in page of this start URL.\n"
                       "2. You check that it shows the code this window shows, and approve.\n"
                       "3. Gangway lists the accounts and roles you may use; you tick the "
                       "ones to make profiles for.")
        steps.setObjectName("ssoSteps")
        steps.setStyleSheet("color: palette(placeholder-text);")
        pick_layout.addWidget(steps)
        pick_layout.addStretch(1)

        # Step 2: the code.
        self.code_label = QLabel()
        self.code_label.setTextFormat(Qt.TextFormat.PlainText)
        self.code_label.setObjectName("userCode")
        big = QFont(self.code_label.font())
        big.setPointSizeF(big.pointSizeF() * 2)
        big.setBold(True)
        big.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.code_label.setFont(big)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label = QLabel()  # a link: the page to approve the code on
        self.url_label.setTextFormat(Qt.TextFormat.RichText)
        self.url_label.setOpenExternalLinks(True)
        self.url_label.setWordWrap(True)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.browser_button = QPushButton(icon("open"), "Open the browser again")
        self.browser_button.clicked.connect(self._open_browser)
        self.copy_code = QPushButton(icon("copy"), "Copy code")
        self.copy_code.clicked.connect(self._copy_code)
        self.countdown = _plain()
        self.countdown.setWordWrap(False)  # centred: a wrapped label would be cut to a line
        self.browser_note = _plain()  # said when the browser could not be opened
        self.browser_note.setStyleSheet(error_css(self.palette()))
        self.browser_note.hide()
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._deadline = 0.0
        wait = QWidget()
        wait_layout = QVBoxLayout(wait)
        wait_layout.addWidget(_plain("Check that your browser shows this code, then approve "
                                     "the login there:"))
        wait_layout.addWidget(self.code_label, 0, Qt.AlignmentFlag.AlignHCenter)
        wait_layout.addWidget(self.countdown, 0, Qt.AlignmentFlag.AlignHCenter)
        wait_layout.addWidget(self.url_label)
        wait_layout.addWidget(self.browser_note)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.copy_code)
        buttons_row.addWidget(self.browser_button)
        buttons_row.addStretch(1)
        wait_layout.addLayout(buttons_row)
        wait_layout.addStretch(1)

        # Step 3: accounts and roles.
        self.roles = QTableWidget(0, 3)
        self.roles.setHorizontalHeaderLabels(("Profile name", "Account", "Role"))
        header = self.roles.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.roles.setWordWrap(False)
        self.roles.verticalHeader().hide()
        choose = QWidget()
        choose_layout = QVBoxLayout(choose)
        choose_layout.addWidget(_plain("Tick the roles to create profiles for (you can edit "
                                       "the names):"))
        choose_layout.addWidget(self.roles)

        self.pages = QStackedWidget()
        for page in (pick, wait, choose):
            self.pages.addWidget(page)
        self.status = _plain()
        self.status.setObjectName("ssoStatus")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = self.buttons.addButton("Log in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.clicked.connect(self._go)
        dress(self.buttons, {self.go: "login"})
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if self.legacy is not None:
            self.session.setEnabled(False)
            self.new_url.setText(self.legacy.start_url)
            self.new_region.setText(self.legacy.region)
        self._session_changed()

    def _session_changed(self) -> None:
        # The new-session fields only matter (and only show) for a new session.
        new = not self.session.currentData() or self.legacy is not None
        for w in (self.new_name, self.new_url, self.new_region):
            w.setEnabled(new and self.legacy is None)
            self.pick_form.setRowVisible(w, new and not (w is self.new_name and self.legacy))

    def _fail(self, text: str) -> None:
        self.status.setStyleSheet(error_css(self.palette()))
        self.status.setText(text)

    def _error(self, exc: BaseException) -> None:
        message, hint = error_text(exc)
        self._fail(f"{message} {hint}".strip())
        self.go.setEnabled(True)
        self.go.show()
        self.pages.setCurrentIndex(0 if self.token is None else 2)

    # --- steps -------------------------------------------------------------------------------

    def _chosen_config(self) -> sso.SsoConfig | None:
        if self.legacy is not None:
            return self.legacy
        name = self.session.currentData()
        if name:
            return self._session_config(name)
        new_name, url, region = (self.new_name.text().strip(), self.new_url.text().strip(),
                                 self.new_region.text().strip())
        if not new_name or not url.startswith("https://") or not region:
            self._fail("Give the new session a name, an https:// start URL and a region.")
            return None
        return sso.SsoConfig(url, region, new_name)

    def _session_config(self, name: str) -> sso.SsoConfig:
        s = self.profiles.sso_sessions[name]
        scopes = tuple(x.strip() for x in s.scopes.split(",") if x.strip())
        return sso.SsoConfig(s.start_url, s.region, name, scopes or sso.DEFAULT_SCOPES)

    def _go(self) -> None:
        page = self.pages.currentIndex()
        if page == 0:
            self._start_login()
        elif page == 2:
            self._create()

    def _start_login(self) -> None:
        config = self._chosen_config()
        if config is None:
            return
        self.config = config
        self.status.setStyleSheet("")
        self.status.setText("Starting the login…")
        self.go.setEnabled(False)
        # The dialog opens the browser itself, so it can say when that fails.
        self.task = self.tasks.submit(_login, config, False, name="sso-login")
        self.task.progress.connect(self._show_code)
        self.task.result.connect(self._logged_in)
        self.task.error.connect(self._error)

    def _show_code(self, device: sso.DeviceAuthorization) -> None:
        self.device = device
        self.code_label.setText(device.user_code)
        link = html.escape(device.verification_uri_complete, quote=True)
        self.url_label.setText(f'Approve it on <a href="{link}">'
                               f"{html.escape(device.verification_uri)}</a>")
        self.pages.setCurrentIndex(1)
        self.go.hide()
        self.status.setText("Waiting for the approval in the browser…")
        self._deadline = time.monotonic() + device.expires_in
        self._tick()
        self._clock.start(1000)
        if self.open_browser:
            self._open_browser()

    def _tick(self) -> None:
        left = int(self._deadline - time.monotonic())
        if left <= 0:
            self._clock.stop()
            self.countdown.setText("The code has expired: cancel and log in again.")
            return
        self.countdown.setText(f"The code expires in {left // 60}:{left % 60:02d}")

    def _copy_code(self) -> None:
        if self.device is not None:
            QGuiApplication.clipboard().setText(self.device.user_code)
            self.copy_code.setText("Copied")

    def _open_browser(self) -> bool:
        if self.device is None:
            return False
        opened = QDesktopServices.openUrl(QUrl(self.device.verification_uri_complete))
        self.browser_note.setText("" if opened else
                                  "The browser could not be opened. Open the link above "
                                  "yourself (or copy it), and enter the code there.")
        self.browser_note.setVisible(not opened)
        return bool(opened)

    def _logged_in(self, token: sso.SsoToken) -> None:
        self._clock.stop()
        self.token = token
        self.logged_in.emit()
        assert self.config is not None
        if self.config.session_name is None:
            self.status.setText("Logged in.")
            self.accept()
            return
        self.status.setText("Logged in. Listing your accounts and roles…")
        self.task = self.tasks.submit(_accounts, self.config, token, name="sso-accounts")
        self.task.result.connect(self._show_roles)
        self.task.error.connect(self._error)

    def _show_roles(self, pairs: list[tuple[sso.SsoAccount, str]]) -> None:
        taken = set(self.profiles.names())
        self.roles.setRowCount(len(pairs))
        for i, (account, role) in enumerate(pairs):
            name = QTableWidgetItem(sso_profile_name(account.name or account.account_id, role))
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Unchecked if name.text() in taken
                               else Qt.CheckState.Checked)
            name.setData(Qt.ItemDataRole.UserRole, (account.account_id, role))
            self.roles.setItem(i, 0, name)
            for col, text in ((1, f"{account.name} ({account.account_id})"), (2, role)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.roles.setItem(i, col, item)
        self.pages.setCurrentIndex(2)
        self.go.show()
        self.go.setText("Create profiles")
        self.go.setEnabled(bool(pairs))
        self.status.setText(f"{len(pairs)} roles found." if pairs else
                            "This login reaches no account.")

    def chosen_specs(self) -> list[SsoProfileSpec]:
        specs = []
        region = self.config.region if self.config else None
        for i in range(self.roles.rowCount()):
            item = self.roles.item(i, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                account_id, role = item.data(Qt.ItemDataRole.UserRole)
                specs.append(SsoProfileSpec(item.text().strip(), account_id, role, region))
        return specs

    def _create(self) -> None:
        config, specs = self.config, self.chosen_specs()
        if config is None or config.session_name is None or not specs:
            self._fail("Tick at least one role.")
            return
        writer, profiles, session = self.writer, self.profiles, config.session_name

        def create() -> ProfileSet:
            current = profiles
            if session not in current.sso_sessions:
                current = writer.save_sso_session(current, session, config.start_url,
                                                  config.region, ",".join(config.scopes))
            return writer.create_sso_profiles(current, session, specs)

        self.go.setEnabled(False)
        self.task = self.tasks.submit(create, name="sso-profiles")
        self.task.result.connect(self._created)
        self.task.error.connect(self._error)

    def _created(self, _profiles: ProfileSet) -> None:
        self.profiles_changed.emit()
        self.accept()

    def reject(self) -> None:
        if self.task is not None and not self.task.finished:
            self.task.cancel()  # the login poll stops at its next wait
        super().reject()
