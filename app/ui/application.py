"""The QApplication: builds every service, wires them to the window and tray, shuts them down.

This is the only module that builds the services (`services.build_services`) and the panes;
widgets receive what they need. Start-up paints first (`app/ui/startup.py` runs it): before
the first paint only the window (menus, sidebar, geometry and page restored) and the opening
page's frame are built; right after it (`finish_start`): services -> tray -> every pane (the
opening one filling its frame) -> wiring (tray sections, menus, columns) -> services.start()
-> the IPC server listens, so every message finds the app whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QApplication, QTableView, QWidget

import app as app_package
from app import APP_ID, APP_NAME
from app.core.paths import Paths
from app.ui.main_window import MainWindow
from app.ui.panes.build import FRAMES, PANES, Panes, build_panes
from app.ui.resources import app_icon
from app.ui.tunnels_wiring import wire_tunnels

if TYPE_CHECKING:
    from app.core.settings import Settings
    from app.core.tunnels.spec import TunnelSpec
    from app.ui.ipc import Handler, IpcServer, Reply
    from app.ui.quit_guard import QuitGuard
    from app.ui.services import Services
    from app.ui.tray import Tray

log = logging.getLogger(__name__)


class GangwayApplication(QApplication):
    # The window's first paint is done (on screen); finish_start() runs right after it.
    first_painted = Signal()

    def __init__(self, paths: Paths, argv: list[str]) -> None:
        super().__init__(argv)
        self.setApplicationName(APP_NAME)
        self.setApplicationDisplayName(APP_NAME)
        self.setOrganizationName(APP_ID)
        self.setDesktopFileName(APP_ID)
        self.setWindowIcon(app_icon())
        self.paths = paths
        self.tray: Tray | None = None  # made in finish_start, if this desktop has a tray
        # Paint first: the page the window opens on is its light frame; the other pages are
        # placeholders until finish_start().
        from app.ui.window_state import WindowState

        self.window_state = WindowState(self.paths.data_dir)
        page = self.window_state.page()
        first = page if page in FRAMES else next(iter(PANES))
        opening = FRAMES[first]()
        self._frames: dict[str, QWidget] = {first: opening}
        self.window = MainWindow(paths, [(t, opening if t == first else QWidget())
                                         for t in PANES])
        self.window.set_nav_icons({"Profiles": "profiles", "Instances": "instances",
                                   "Tunnels": "tunnels", "Sessions": "sessions"})
        self.window_state.restore(self.window, {}, self.window.show_pane)
        self._quit_guard: QuitGuard | None = None
        self.window.quit_requested.connect(self.request_quit)
        self._panes: Panes | None = None
        self._started = False
        self.tables: dict[str, QTableView] = {}
        # The window's first paint: the rest of the start-up goes in the next event-loop turn.
        self.window.painted.connect(self._after_first_paint)
        self.aboutToQuit.connect(self.shutdown)

    @cached_property
    def services(self) -> Services:
        """Built on first use, in finish_start() (after the first paint). Cheap to construct;
        their modules are what costs."""
        from app.ui.services import build_services

        return build_services(self.paths, self, window=lambda: getattr(self, "window", None))

    @cached_property
    def ipc(self) -> IpcServer:
        """The single-instance server, its handlers registered; finish_start() listens."""
        from app.ui.ipc import IpcServer

        server = IpcServer(self.paths, self)
        server.register("show", self._ipc_show)
        server.register("ping", lambda _msg, reply: reply(
            {"ok": True, "version": app_package.__version__, "started": self.started}))
        return server

    def _after_first_paint(self) -> None:
        # Emitted while painting: the next event-loop turn sees the paint done and flushed.
        self.window.painted.disconnect(self._after_first_paint)
        QTimer.singleShot(0, self, self._painted)

    def _painted(self) -> None:
        self.first_painted.emit()
        self.finish_start()

    def finish_start(self) -> Panes:
        """Build the services, tray and panes, wire everything, then listen for IPC
        (idempotent: the first call does it). Runs right after the first paint, or directly
        when the window starts hidden."""
        if self._panes is not None:
            return self._panes
        self.setApplicationVersion(app_package.__version__)  # importlib.metadata: 15+ ms
        self._make_tray()
        self._panes = panes = build_panes(self.services, self._frames)
        for title, pane in panes.titled():
            self.window.set_pane(title, pane)
        self._wire_profiles()
        self._wire_sessions()
        self._wire_help()
        self._wire_quick_connect()
        self._wire_settings()
        self._wire_window_state()
        wire_tunnels(self.services, panes, self.window, self.tray)
        self.services.start()
        self._wire_mfa_ipc()
        self._wire_tunnels()
        self._started = True
        log.info("Gangway %s ready", app_package.__version__)
        self._listen()
        return panes

    def _make_tray(self) -> None:
        from app.ui.tray import Tray

        if Tray.available():
            self.tray = Tray(self)
            self.tray.show_requested.connect(self.show_window)
            self.tray.quit_requested.connect(self.request_quit)
            self.tray.show()
        self.window.hide_on_close = self.tray is not None
        self.setQuitOnLastWindowClosed(self.tray is None)

    def _listen(self) -> None:
        """Listen last: a second launch that finds us finds every handler ready. One that
        started between our probe and now has its own window; whoever listens first wins,
        and the other hands over to it (asks it to show) and quits."""
        if self.ipc.listen():
            return
        from app.core.errors import GangwayError
        from app.core.ipc import send as ipc_send

        try:
            winner = ipc_send(self.paths, {"cmd": "show"}, timeout=2.0)
        except GangwayError as exc:  # e.g. another user's process took the socket since
            log.warning("not handing over to %s: %s", self.ipc.name, exc.one_line())
            winner = None
        if winner is not None:
            log.info("another Gangway started at the same time; it shows its window")
            QTimer.singleShot(0, self, self.quit_now)
            return
        log.warning("could not listen on %s; continuing without single-instance IPC",
                    self.ipc.name)

    @property
    def panes(self) -> Panes:
        """Every pane, built now if the first paint has not come yet."""
        return self.finish_start()

    @property
    def started(self) -> bool:
        """finish_start() has run: every pane is built and wired, the IPC server listens."""
        return self._started

    def _wire_mfa_ipc(self) -> None:
        from app.ui.mfa_broker import mfa_ipc_handler

        services = self.services
        self.ipc.register("mfa", mfa_ipc_handler(services.credentials, services.mfa,
                                                 services.tasks))

    def _wire_profiles(self) -> None:
        services = self.services
        # Sessions a crashed Gangway left open at AWS: ended now, without prompting.
        from app.core.aws.sessions.history import SessionHistory
        from app.core.aws.sessions.reap import end_orphaned_sessions

        services.tasks.submit(end_orphaned_sessions, SessionHistory(services.paths.data_dir),
                              services.credentials, prompt=False, name="end orphaned sessions")
        self.window.add_settings_action("Credentials and MFA…", self.panes.profiles.open_settings)
        self.panes.profiles.status_sink = self.window.show_message
        if self.tray is not None:
            from app.ui.tray import credentials_section

            services.expiry.expiring.connect(self.tray.notify)
            self.tray.add_section(credentials_section(services.expiry))

    def _wire_sessions(self) -> None:
        """Instances pane actions (menu, double-click, keys) -> terminals; names -> Sessions."""
        from app.ui.session_actions import SessionActions

        pane, sessions = self.panes.instances, self.panes.sessions
        actions = SessionActions(self.services.tasks, self.paths, self.services.settings, pane,
                                 profile=lambda _row: pane.profile)
        pane.action_requested.connect(actions.trigger)
        actions.launched.connect(self._launched)
        actions.install_shortcuts(pane.view, pane.selected_row)
        self.session_actions = actions
        self.window.add_settings_action("Terminal and Sessions…", sessions.open_settings)
        pane.model.rowsInserted.connect(lambda *_: sessions.set_names(
            {r.instance_id: r.name for r in pane.model.rows}))

    def _tunnel_select(self, names: Sequence[str], group: str | None) -> list[TunnelSpec]:
        """Saved tunnels (the book and the team catalog) by name or group; runs in a task."""
        from app.core.tunnels.book import TunnelBook
        from app.core.tunnels.catalog import configured

        catalog = configured(self.services.credentials, self.services.settings.load().tunnels)
        return TunnelBook(self.paths.config_dir / "tunnels.json").select(
            names, group, catalog.tunnels)

    def _wire_tunnels(self) -> None:
        """`gangway tunnel up/down/status` reach the supervisor over IPC (the tunnels' IPC
        module loads with the first message)."""
        handler: list[Handler] = []

        def tunnels(message: dict[str, Any], reply: Reply) -> None:
            if not handler:
                from app.ui.tunnels_ipc import tunnels_ipc_handler

                handler.append(tunnels_ipc_handler(
                    self.services.tunnels, self._tunnel_select, self.services.tasks))
            handler[0](message, reply)

        self.ipc.register("tunnels", tunnels)

    @property
    def quit_guard(self) -> QuitGuard:
        """Asks before quitting with tunnels on; made on first use (it needs the tunnels)."""
        if self._quit_guard is None:
            from app.ui.quit_guard import QuitGuard

            self._quit_guard = QuitGuard(self.services.tunnel_view, lambda: self.window, self)
            self._quit_guard.confirmed.connect(self.quit_now)
        return self._quit_guard

    def request_quit(self) -> None:
        self.quit_guard.request()

    def quit_now(self) -> None:
        """Quit (tunnels are switched off in `shutdown`), even with a window that hides."""
        self.window.quitting = True
        self.quit()

    def _wire_window_state(self) -> None:
        """Geometry, the last page, columns and sort come back; saved again on quit."""
        from app.ui.widgets.column_chooser import install_column_chooser

        # Geometry and the page came back before the first paint (see __init__).
        self.tables = {"instances": self.panes.instances.view,
                       "sessions": self.panes.sessions.view}
        for view in self.tables.values():
            install_column_chooser(view)
        self.window_state.restore_tables(self.tables)

    def save_window_state(self) -> None:
        item = self.window.nav.currentItem()
        self.window_state.save(self.window, self.tables, item.text() if item else "")

    def _wire_settings(self) -> None:
        """Settings (Ctrl+,) in one dialog; every save is applied at once, no restart."""
        from app.ui.bridges.settings import SettingsBridge

        self.settings_bridge = SettingsBridge(self.services.settings, self)
        self.settings_bridge.changed.connect(self.apply_settings)
        action = self.window.add_settings_action("&All Settings…", self.open_preferences)
        action.setShortcut("Ctrl+,")
        self._applied: Settings | None = None
        self.apply_settings(self.services.settings.load())

    def open_preferences(self) -> QWidget:
        from app.ui.dialogs.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.services.settings, self.services.tasks, self.window)
        _delete_on_close(dialog)
        dialog.open()
        self.preferences = dialog
        return dialog

    def apply_settings(self, settings: Settings) -> None:
        from app.ui.settings_apply import Targets, apply

        before, self._applied = self._applied, settings
        apply(settings, before, Targets(self, self.window, self.tray, self.services.credentials,
                                        self.panes.instances, self.services.tasks))

    def _wire_quick_connect(self) -> None:
        """Ctrl+K and the tray open the palette; it connects through its own SessionActions,
        whose profile comes from the palette's item, not the pane's box."""
        from app.core.aws.discovery.cache import InventoryCache
        from app.core.ssh.prefs import SshPrefsStore
        from app.ui.quick_connect import Commands, QuickConnect
        from app.ui.session_actions import SessionActions
        from app.ui.tray import quick_connect_section

        s, profiles, pane = self.services, self.panes.profiles, self.panes.instances

        def on_profile(act: Callable[[], object]) -> Callable[[str], None]:
            def run(name: str) -> None:
                self.show_window()
                self.window.show_pane("Profiles")
                profiles.select(name)
                act()
            return run

        commands = Commands(sso_login=on_profile(profiles.start_sso),
                            protect_keys=on_profile(profiles.protect_keys),
                            enter_mfa=profiles.enter_mfa)
        qc = QuickConnect(s.tasks, InventoryCache(s.paths.data_dir), s.favourites, s.history,
                          s.expiry, SshPrefsStore(s.paths.data_dir), s.credentials, commands,
                          self)
        actions = SessionActions(s.tasks, self.paths, s.settings, self.window,
                                 profile=qc.profile_of)
        qc.action_requested.connect(actions.trigger)
        actions.launched.connect(self._launched)
        pane.refreshed.connect(lambda: qc.remember(pane.profile, pane.model.rows)
                               if pane.model.rowCount() or not pane.region_errors else None)
        s.expiry.rows_changed.connect(lambda: qc.rebuild() if qc.loaded else None)

        def open_palette() -> QWidget:
            self.show_window()
            return qc.open(self.window)

        self.window.add_view_action("&Quick Connect…", open_palette, "Ctrl+K")
        if self.tray is not None:
            self.tray.add_section(quick_connect_section(open_palette))
        self.quick_connect, self.palette_actions = qc, actions
        QTimer.singleShot(1000, qc.load)  # after the first paint; opening before also loads

    def _launched(self, launched: object) -> None:
        """Say in the status bar that a terminal opened (the session itself is in it)."""
        req = getattr(launched, "request", None)
        target = getattr(req, "target", None)
        if target is not None:
            who = target.name or target.instance_id
            label = getattr(getattr(req, "action", None), "label", "a session")
            self.window.show_message(f"Opened {label} on {who} in a new terminal.")

    def _wire_help(self) -> None:
        """Help > Doctor, Policy Helper, About (help_menu.py owns them and the start-up check)."""
        from app.ui.help_menu import HelpMenu

        self.help = HelpMenu(self.services, self.window, self.panes,
                             tray_available=self.tray is not None, parent=self.window)
        self.help.wire()

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def _ipc_show(self, _message: dict[str, object], reply: object) -> None:
        self.show_window()
        if callable(reply):
            reply({"ok": True})

    def shutdown(self) -> None:
        log.info("shutting down")
        self.save_window_state()  # before finish_start: geometry and page (no tables yet)
        made = vars(self)  # what a quit before finish_start never built is not made now
        if "services" in made:
            self.services.stop()
        if "ipc" in made:
            self.ipc.close()
        if self.tray is not None:
            self.tray.hide()


def _delete_on_close(dialog: QWidget) -> None:
    from PySide6.QtCore import Qt  # the Qt namespace's ~100 enums: not before the first paint

    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
