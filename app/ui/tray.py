"""The system-tray icon; its menu is rebuilt from service state each time it opens.

Sections are functions of services (`credentials_section(bridge)`), never of panes: the tray
works the same with the window closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app import APP_NAME
from app.core.aws.credentials.types import CredentialState
from app.core.aws.profiles.view import row_state_text
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.resources import tray_icon

# Sections other services contribute: each returns the actions to show, in order.
MenuSection = Callable[[QMenu], None]


class Tray(QObject):
    show_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(tray_icon("normal"), self)
        self.icon.setToolTip(APP_NAME)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.sections: list[MenuSection] = []
        self.messages = True  # Settings > General > notifications
        self.rebuild()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def add_section(self, section: MenuSection) -> None:
        self.sections.append(section)

    def rebuild(self) -> None:
        self.menu.clear()
        open_action = QAction(f"Open {APP_NAME}", self.menu)
        open_action.triggered.connect(self.show_requested)
        self.menu.addAction(open_action)
        for section in self.sections:
            self.menu.addSeparator()
            section(self.menu)
        self.menu.addSeparator()
        quit_action = QAction(f"Quit {APP_NAME}", self.menu)
        quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(quit_action)

    def notify(self, title: str, text: str) -> None:
        if self.messages and self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()


TRAY_PROFILES = 15  # a menu taller than the screen is worse than a pointer to the window
_SHOWN = (CredentialState.VALID_UNTIL, CredentialState.EXPIRED, CredentialState.NEEDS_MFA,
          CredentialState.NEEDS_SSO_LOGIN)


def credentials_section(bridge: CredentialsBridge) -> MenuSection:
    """Per-profile remaining time; picking one that needs a code asks for it."""

    def section(menu: QMenu) -> None:
        now = datetime.now(UTC)
        shown = [r for r in bridge.rows() if r.status.state in _SHOWN]
        if not shown:
            menu.addAction("No temporary credentials").setEnabled(False)
            return
        for row in shown[:TRAY_PROFILES]:
            # '&' would become a keyboard mnemonic in a menu.
            action = menu.addAction(f"{row.name}: {row_state_text(row, now)}".replace("&", "&&"))
            if row.status.state is CredentialState.NEEDS_SSO_LOGIN:
                action.setEnabled(False)
            else:
                action.triggered.connect(lambda _=False, n=row.name: bridge.mfa_requested.emit(n))
        if len(shown) > TRAY_PROFILES:
            more = menu.addAction(f"{len(shown) - TRAY_PROFILES} more in the window")
            more.setEnabled(False)

    return section


def quick_connect_section(open_palette: Callable[[], object]) -> MenuSection:
    """"Quick connect…": the palette over every profile's instances, from the tray."""

    def section(menu: QMenu) -> None:
        action = menu.addAction("Quick connect…")
        action.triggered.connect(lambda _=False: open_palette())

    return section
