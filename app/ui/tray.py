"""The system-tray icon; its menu is rebuilt from service state each time it opens.

Sections are functions of services (`credentials_section(bridge)`), never of panes: the tray
works the same with the window closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app import APP_NAME
from app.core.aws.credentials.types import CredentialState
from app.core.aws.profiles.view import row_state_text
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.resources import tray_icon

if TYPE_CHECKING:  # the tunnels' modules (asyncio, the relay) load with their section
    from app.ui.bridges.tunnels import TunnelsBridge

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
        self.state = "normal"
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

    def set_state(self, state: str) -> None:
        """"normal", or "failed" while a tunnel has failed (the icon gains a badge)."""
        self.state = state
        self.icon.setIcon(tray_icon(state))
        self.icon.setToolTip(f"{APP_NAME}: a tunnel failed" if state == "failed" else APP_NAME)

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
        from app.ui.icons import chip
        from app.ui.models.profiles_model import state_kind
        from app.ui.widgets.colours import state_colour

        now = datetime.now(UTC)
        shown = [r for r in bridge.rows() if r.status.state in _SHOWN]
        if not shown:
            menu.addAction("No temporary credentials").setEnabled(False)
            return
        for row in shown[:TRAY_PROFILES]:
            # '&' would become a keyboard mnemonic in a menu.
            action = menu.addAction(f"{row.name}: {row_state_text(row, now)}".replace("&", "&&"))
            kind = state_kind(row.status, now)  # the Profiles pane's chip, in the menu too
            action.setIcon(chip(kind, state_colour(kind, menu.palette())))
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
        from app.ui.icons import icon

        action = menu.addAction(icon("search"), "Quick connect…")
        action.triggered.connect(lambda _=False: open_palette())

    return section


TRAY_TUNNELS = 20


def _menu_text(text: str) -> str:
    from app.ui.bridges.tunnels import flat

    return flat(text, 70).replace("&", "&&")  # '&' would be a mnemonic


def tunnels_section(bridge: TunnelsBridge, open_tunnel: Callable[[str], object]) -> MenuSection:
    """Tunnels by group: a checkable toggle each (with its state), a toggle per group, and
    "Open" for the ones with something to open. Toggling asks the bridge (a worker)."""
    from app.ui.models.tunnels_model import state_text

    def add_tunnel(menu: QMenu, name: str, indent: str) -> None:
        status = bridge.status(name)
        action = menu.addAction(f"{indent}{_menu_text(name)} — {_menu_text(state_text(status))}")
        action.setCheckable(True)
        action.setChecked(status.state.is_on)
        # No state icon: in a menu an icon takes the check mark's place, and the switch must
        # read at a glance; the state is in the words.
        action.setData(name)
        action.triggered.connect(lambda checked, n=name: bridge.switch(n, checked))

    def section(menu: QMenu) -> None:
        specs = bridge.specs()
        if not specs:
            menu.addAction("No tunnels saved").setEnabled(False)
            return
        shown = specs[:TRAY_TUNNELS]
        groups = sorted({s.group for s in shown if s.group})
        for group in groups:
            members = [s.name for s in shown if s.group == group]
            on = sum(1 for n in members if bridge.status(n).state.is_on)
            toggle = menu.addAction(f"{_menu_text(group)} ({on} of {len(members)} on)")
            toggle.setCheckable(True)
            toggle.setChecked(on == len(members))
            toggle.setData(f"group:{group}")
            toggle.triggered.connect(lambda checked, g=group: bridge.switch_group(g, checked))
            for name in members:
                add_tunnel(menu, name, "    ")
        for spec in shown:
            if not spec.group:
                add_tunnel(menu, spec.name, "")
        if len(specs) > TRAY_TUNNELS:
            menu.addAction(f"{len(specs) - TRAY_TUNNELS} more in the window").setEnabled(False)
        openable = [s for s in shown if s.open]
        if openable:
            sub = menu.addMenu("Open")
            for spec in openable:
                item = sub.addAction(_menu_text(spec.name))
                item.setData(spec.name)
                item.triggered.connect(lambda _=False, n=spec.name: open_tunnel(n))

    return section
