"""The QApplication: builds every service, wires them to the window and tray, shuts them down.

This is the only module that constructs services; widgets receive what they need.
Startup order: single-instance check -> services -> window -> tray -> IPC handlers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app import APP_ID, APP_NAME, __version__
from app.core.aws.credentials.service import CredentialService
from app.core.ipc import send as ipc_send
from app.core.paths import Paths
from app.core.secrets import backend_info
from app.core.store import JsonStore
from app.ui.ipc import IpcServer
from app.ui.main_window import MainWindow
from app.ui.mfa_broker import MfaBroker
from app.ui.resources import app_icon
from app.ui.tasks import TaskRunner
from app.ui.tray import Tray
from app.ui.widgets.empty_state import EmptyState

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything long-lived, built once here and passed to the widgets that need it."""

    paths: Paths
    settings: JsonStore
    tasks: TaskRunner
    credentials: CredentialService | None = None
    mfa: MfaBroker | None = None


def build_panes(services: Services) -> list[tuple[str, QWidget]]:
    """One pane per job; each says honestly what will appear in it."""
    return [
        ("Profiles", _profiles_pane(services)),
        ("Instances", _instances_pane(services)),
        ("Tunnels", EmptyState(
            "No tunnels saved",
            "Saved tunnels (a local port forwarded to an instance or to a private host such as "
            "an RDS database) will appear here, each with a switch to start and stop it.")),
        ("Sessions", _sessions_pane(services)),
    ]


def _instances_pane(services: Services) -> QWidget:
    from app.ui.panes.instances_pane import InstancesPane

    creds = services.credentials
    pane = InstancesPane(services.tasks, services.paths,
                         session_for=creds.session if creds is not None else None)
    if creds is not None:  # reading ~/.aws/config is file I/O: off the GUI thread
        task = services.tasks.submit(lambda: creds.profiles().names(), name="instance profiles")
        task.result.connect(pane.set_profiles)
    return pane


def _sessions_pane(services: Services) -> QWidget:
    from app.ui.panes.sessions_pane import SessionsPane

    creds = services.credentials
    pane = SessionsPane(services.tasks, services.paths.data_dir, settings=services.settings,
                        session_for=creds.session if creds is not None else None)
    if creds is not None:  # reading ~/.aws/config is file I/O: off the GUI thread
        task = services.tasks.submit(lambda: creds.profiles().names(), name="session profiles")
        task.result.connect(pane.set_profiles)
    return pane


def _profiles_pane(services: Services) -> QWidget:
    from app.core.aws.profiles.writer import ProfileWriter
    from app.ui.panes.profiles_pane import ProfilesPane

    if services.credentials is None or services.mfa is None:
        return EmptyState("No AWS profiles yet", "Profiles are not available in this build.")
    store = services.credentials.store
    # keyring_real is found out by the first load, in a worker (the keyring probe is slow).
    pane = ProfilesPane(services.credentials, ProfileWriter(store), services.tasks,
                        services.mfa, settings=services.settings)
    pane.reload()
    return pane


def _credentials(settings: JsonStore, parent: QApplication) -> tuple[CredentialService,
                                                                     MfaBroker]:
    """The credential service on the OS keyring (or memory, said plainly) + its GUI prompt."""
    from app.core.aws.profiles.view import durations_from
    from app.core.lazy_store import LazySecretStore

    service = CredentialService(LazySecretStore(), durations=durations_from(settings.load()))
    broker = MfaBroker(service, parent_widget=lambda: getattr(parent, "window", None),
                       durations=lambda r: (service.durations.role if r.role_arn
                                            else service.durations.session_token),
                       parent=parent)
    service.prompt = broker.prompt
    return service, broker


class GangwayApplication(QApplication):
    def __init__(self, paths: Paths, argv: list[str]) -> None:
        super().__init__(argv)
        self.setApplicationName(APP_NAME)
        self.setApplicationDisplayName(APP_NAME)
        self.setApplicationVersion(__version__)
        self.setOrganizationName(APP_ID)
        self.setDesktopFileName(APP_ID)
        self.setWindowIcon(app_icon())
        self.paths = paths
        self.ipc = IpcServer(paths, self)
        self.services = Services(
            paths=paths,
            settings=JsonStore(paths.config_dir / "settings.json"),
            tasks=TaskRunner(parent=self),
        )
        self.services.credentials, self.services.mfa = _credentials(self.services.settings, self)
        self.tray: Tray | None = Tray(self) if Tray.available() else None
        self.setQuitOnLastWindowClosed(self.tray is None)
        self.window = MainWindow(paths, build_panes(self.services),
                                 hide_on_close=self.tray is not None)
        self.window.quit_requested.connect(self.quit)
        if self.tray is not None:
            self.tray.show_requested.connect(self.show_window)
            self.tray.quit_requested.connect(self.quit)
            self.tray.show()
        self.ipc.register("show", self._ipc_show)
        self.ipc.register("ping", lambda _msg, reply: reply({"ok": True, "version": __version__}))
        self._wire_profiles()
        self._wire_sessions()
        self.aboutToQuit.connect(self.shutdown)

    def _wire_profiles(self) -> None:
        from app.ui.mfa_broker import mfa_ipc_handler
        from app.ui.panes.profiles_pane import ProfilesPane

        service, broker = self.services.credentials, self.services.mfa
        if service is None or broker is None:
            return
        self.ipc.register("mfa", mfa_ipc_handler(service, broker, self.services.tasks))
        pane = self.window.panes.get("Profiles")
        if isinstance(pane, ProfilesPane):
            self.window.add_settings_action("Credentials and MFA…", pane.open_settings)
            if self.tray is not None:
                pane.notify = self.tray.notify
                self.tray.add_section(pane.tray_section)

    def _wire_sessions(self) -> None:
        """Instances pane actions (menu, double-click, keys) -> terminals; names -> Sessions."""
        from app.ui.panes.instances_pane import InstancesPane
        from app.ui.panes.sessions_pane import SessionsPane
        from app.ui.session_actions import SessionActions

        pane = self.window.panes.get("Instances")
        if not isinstance(pane, InstancesPane):
            return
        actions = SessionActions(self.services.tasks, self.paths, self.services.settings, pane,
                                 profile=lambda _row: pane.profile)
        pane.action_requested.connect(actions.trigger)
        actions.install_shortcuts(pane.view, pane.selected_row)
        self.session_actions = actions
        sessions = self.window.panes.get("Sessions")
        if isinstance(sessions, SessionsPane):
            self.window.add_settings_action("Terminal and Sessions…", sessions.open_settings)
            pane.model.rowsInserted.connect(lambda *_: sessions.set_names(
                {r.instance_id: r.name for r in pane.model.rows}))

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
        if self.services.mfa is not None:
            self.services.mfa.cancel_all()  # release workers waiting for a code
        self.services.tasks.shutdown()
        self.ipc.close()
        if self.tray is not None:
            self.tray.hide()


def _install_excepthook(app: GangwayApplication) -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("unhandled exception:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        if kind is KeyboardInterrupt:
            app.quit()
            return
        QMessageBox.critical(
            app.window if app.window.isVisible() else None, f"{APP_NAME}: unexpected error",
            f"{kind.__name__}: {exc}\n\nGangway keeps running; details are in "
            f"{app.paths.log_file}.")

    sys.excepthook = hook


def _handle_sigint(app: GangwayApplication) -> QTimer:
    # Python only runs signal handlers between bytecodes; a idle timer lets it in, so Ctrl-C
    # quits through aboutToQuit (stopping tunnels) instead of killing the process.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def smoke_test(app: GangwayApplication) -> int:
    """Exercise IPC, keyring and tray in this (possibly frozen) build, then exit."""
    ok = True
    reply = ipc_send(app.paths, {"cmd": "ping"}, timeout=0.1)
    # The server answers only while the event loop runs; reaching it at all is the check.
    print(f"ipc: listening on {app.ipc.name}; direct ping {'answered' if reply else 'queued'}")
    info = backend_info()
    print(f"keyring: {info.name} ({'OS store' if info.real else 'memory only'})")
    print(f"tray: {'available' if app.tray is not None else 'not available'}")
    print(f"window: {app.window.windowTitle()} {app.window.width()}x{app.window.height()}")
    ok = ok and app.window.windowTitle() == APP_NAME
    return 0 if ok else 1


def run_gui(paths: Paths, args: argparse.Namespace) -> int:
    # A second launch hands over to the running window and exits.
    if ipc_send(paths, {"cmd": "show"}, timeout=2.0) is not None:
        log.info("another Gangway is running; asked it to show its window")
        return 0
    app = GangwayApplication(paths, sys.argv[:1])
    if not app.ipc.listen():
        log.warning("could not listen on %s; continuing without single-instance IPC",
                    app.ipc.name)
    _install_excepthook(app)
    _sigint_timer = _handle_sigint(app)
    if getattr(args, "smoke_test", False):
        code = smoke_test(app)
        app.shutdown()
        return code
    app.show_window()
    log.info("Gangway %s started", __version__)
    return app.exec()
