"""The system-tray icon; its menu is rebuilt from service state each time it opens."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app import APP_NAME
from app.ui.resources import app_icon

# Sections other services contribute: each returns the actions to show, in order.
MenuSection = Callable[[QMenu], None]


class Tray(QObject):
    show_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip(APP_NAME)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.sections: list[MenuSection] = []
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
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
