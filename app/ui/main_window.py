"""The main window: a sidebar of panes (Profiles, Instances, Tunnels, Sessions) and menus."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from app import APP_NAME
from app.core.paths import Paths
from app.ui.resources import app_icon


class MainWindow(QMainWindow):
    """Owns no services: panes arrive built, with theirs, from `application.py`."""

    quit_requested = Signal()
    painted = Signal()  # after each paint of the window itself (start-up waits for the first)

    def __init__(self, paths: Paths, panes: Sequence[tuple[str, QWidget]],
                 hide_on_close: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.hide_on_close = hide_on_close
        self.about_provider: Callable[[], object] | None = None
        # With no tray: whether closing must keep the app running (tunnels on), minimised.
        self.keep_running: Callable[[], bool] = lambda: False
        # Set just before the app quits: Qt 6 closes every window first and cancels the quit
        # if one ignores it, so hiding or minimising must stop then.
        self.quitting = False
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.resize(default_size())
        self.setMinimumSize(MINIMUM_SIZE)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(168)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.nav.setStyleSheet(
            "QListWidget#nav { background: palette(alternate-base); padding-top: 8px;"
            " outline: 0; }"
            "QListWidget#nav::item { padding: 9px 14px; border: none; }"
            "QListWidget#nav::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
        )
        self.stack = QStackedWidget()
        self.panes: dict[str, QWidget] = {}
        for title, pane in panes:
            self.add_pane(title, pane)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        self.status_label = QLabel()  # plain text from its first set_status()
        self.statusBar().addWidget(self.status_label, 1)
        self._build_menus()

    def add_pane(self, title: str, pane: QWidget) -> None:
        self.panes[title] = pane
        self.stack.addWidget(pane)
        QListWidgetItem(title, self.nav)

    def set_pane(self, title: str, pane: QWidget) -> None:
        """Put a built pane where its placeholder or frame was (panes are built after the
        first paint; a pane may have adopted the frame that painted first, which then lives
        on inside it); the page shown stays the same."""
        old = self.panes[title]
        if old is pane:
            return
        if self.stack.indexOf(old) >= 0:
            self.stack.removeWidget(old)
        if not pane.isAncestorOf(old):
            old.deleteLater()
        self.stack.insertWidget(list(self.panes).index(title), pane)
        self.panes[title] = pane
        self.stack.setCurrentIndex(self.nav.currentRow())

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted.emit()

    def set_nav_icons(self, names: dict[str, str]) -> None:
        """Sidebar icons by pane title (resources/ui-icons). Drawn when painted, in the
        palette of that moment: nothing to redraw on a theme switch, and nothing drawn
        before the first paint but the four it shows."""
        from app.ui.icons import icon

        for index in range(self.nav.count()):
            item = self.nav.item(index)
            name = names.get(item.text())
            if name:
                item.setIcon(icon(name))

    def show_pane(self, title: str) -> None:
        titles = list(self.panes)
        if title in titles:
            self.nav.setCurrentRow(titles.index(title))

    def set_status(self, text: str) -> None:
        # Set here, not in __init__: the Qt namespace's ~100 enums load after the first paint.
        from PySide6.QtCore import Qt

        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # names may look like markup
        self.status_label.setText(text)

    def show_message(self, text: str, error: bool = False) -> None:
        """A transient message in the status bar: it never pushes the table down, and it
        goes away (errors stay longer; the next message replaces it)."""
        if not text:
            self.statusBar().clearMessage()
            return
        self.statusBar().showMessage(("Problem: " if error else "") + text,
                                     ERROR_MS if error else MESSAGE_MS)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        close = QAction("&Close Window", self)
        # setShortcuts, not setShortcut: the latter's overloads (Qt.Key, QKeyCombination) make
        # PySide6 build the Qt namespace's ~100 enums, which the first paint need not wait for;
        # and a standard key gets all of the platform's bindings (Ctrl+W and Ctrl+F4).
        close.setShortcuts(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        quit_action = QAction("&Quit Gangway", self)
        quit_action.setShortcuts(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.quit_requested)
        file_menu.addAction(close)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        self.view_menu = view_menu = self.menuBar().addMenu("&View")
        for index in range(self.nav.count()):
            title = self.nav.item(index).text()
            action = QAction(title, self)
            action.setShortcuts([QKeySequence(f"Ctrl+{index + 1}")])
            action.triggered.connect(lambda _=False, t=title: self.show_pane(t))
            view_menu.addAction(action)

        # Panes contribute their settings here (see application.py); empty menus stay hidden.
        self.settings_menu = self.menuBar().addMenu("&Settings")
        self.settings_menu.menuAction().setVisible(False)

        self.help_menu = help_menu = self.menuBar().addMenu("&Help")
        logs = QAction("Open &Log Folder", self)
        logs.triggered.connect(self._open_logs)
        about = QAction(f"&About {APP_NAME}", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self._about)
        help_menu.addAction(logs)
        help_menu.addAction(about)

    def add_settings_action(self, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _=False: slot())
        self.settings_menu.addAction(action)
        self.settings_menu.menuAction().setVisible(True)
        return action

    def add_help_action(self, text: str, slot: Callable[[], object],
                        shortcut: str | None = None) -> QAction:
        """Add an entry at the top of the Help menu (Doctor, Policy helper…)."""
        return _add_first(self.help_menu, QAction(text, self), slot, shortcut)

    def add_view_action(self, text: str, slot: Callable[[], object],
                        shortcut: str | None = None) -> QAction:
        """Add an entry at the top of the View menu (Quick connect…); the shortcut works
        anywhere in the window and shows in the menu ("Ctrl+K" is Cmd+K on macOS)."""
        return _add_first(self.view_menu, QAction(text, self), slot, shortcut)

    def _open_logs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.log_dir)))

    def _about(self) -> None:
        if self.about_provider is not None:  # the application's, with versions
            self.about_provider()
            return
        from PySide6.QtWidgets import QMessageBox

        from app import __version__  # importlib.metadata: not on the way to the first paint

        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n\nSSH, shells and tunnels over AWS Systems Manager "
            "Session Manager: no inbound ports, identity from IAM, every session audited.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # With a tray icon, closing the window keeps tunnels running; Quit ends the app.
        if self.quitting:
            event.accept()
        elif self.hide_on_close:
            event.ignore()
            self.hide()
        elif self.keep_running():
            # No tray to hide into (GNOME without AppIndicator): minimise, never vanish.
            event.ignore()
            self.showMinimized()
        else:
            event.accept()
            self.quit_requested.emit()


def _add_first(menu: QMenu, action: QAction, slot: Callable[[], object],
               shortcut: str | None) -> QAction:
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _=False: slot())
    existing = menu.actions()
    if existing:
        menu.insertAction(existing[0], action)
        if not any(a.isSeparator() for a in existing):  # one line between ours and the rest
            menu.insertSeparator(existing[0])
    else:
        menu.addAction(action)
    return action


MESSAGE_MS, ERROR_MS = 6_000, 20_000
DEFAULT_SIZE = QSize(1440, 860)  # every Instances column unclipped
MINIMUM_SIZE = QSize(760, 480)
SMALL_SCREEN_SIZE = QSize(1180, 740)  # the size before; never start smaller than it


def default_size() -> QSize:
    """The first-run size: wide enough for the Instances table, never past the screen."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return DEFAULT_SIZE
    room = screen.availableGeometry().size() * 0.92
    return DEFAULT_SIZE.boundedTo(room).expandedTo(SMALL_SCREEN_SIZE)
