"""Services: everything long-lived in the window, built once by `application.py`.

Widgets receive the services they need in their constructor; nothing looks them up. Nothing
here is optional: a window without credentials or a task runner is not a Gangway window.

Lifecycle: `build_services()` constructs them (cheap: no keyring probe, no boto3, no file
scans); `start()` begins their clocks and background work once the window shows; `stop()`
releases waiting workers and ends threads on quit, in the reverse order of dependence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.core.aws.credentials.service import CredentialService
from app.core.aws.discovery.permissions import PermissionCache
from app.core.aws.sessions.history import SessionHistory
from app.core.lazy_store import LazySecretStore
from app.core.paths import Paths
from app.core.settings import SettingsStore
from app.core.ssh.favourites import Favourites
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.mfa_broker import MfaBroker
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.core.tunnels.catalog import Catalog
    from app.core.tunnels.supervisor import TunnelSupervisor
    from app.ui.bridges.tunnels import TunnelsBridge


@dataclass
class Services:
    paths: Paths
    settings: SettingsStore
    tasks: TaskRunner
    credentials: CredentialService  # the window's CredentialSource: one MFA prompt for all
    mfa: MfaBroker
    expiry: CredentialsBridge
    favourites: Favourites
    permissions: PermissionCache
    history: SessionHistory
    # The tunnels' supervisor and bridge, made on first use (start() at the latest): their
    # imports (asyncio, the relay) cost ~45 ms that the first paint need not wait for.
    make_tunnels: Callable[[], tuple[TunnelSupervisor, TunnelsBridge]] = field(repr=False)

    @cached_property
    def _tunnel_pair(self) -> tuple[TunnelSupervisor, TunnelsBridge]:
        return self.make_tunnels()

    @property
    def tunnels(self) -> TunnelSupervisor:
        """Qt-free; its events reach widgets through a bridge."""
        return self._tunnel_pair[0]

    @property
    def tunnel_view(self) -> TunnelsBridge:
        """That bridge: statuses and logs on the GUI thread, the book."""
        return self._tunnel_pair[1]

    def start(self) -> None:
        self.expiry.start()
        self.tunnels.start()  # its thread; plugins a crash left behind are reaped
        self.tunnel_view.start()  # observe; read the book; "start at launch" ones come up

    def stop(self) -> None:
        self.expiry.stop()
        self.mfa.cancel_all()  # release workers waiting for a code
        if "_tunnel_pair" in vars(self):  # never made: no tunnel ran
            self.tunnel_view.stop()  # stop observing: no signals into widgets torn down
            self.tunnels.close()  # SIGINT to every plugin, TerminateSession, ports released
        self.tasks.shutdown()


def build_services(paths: Paths, parent: QObject,
                   window: Callable[[], QWidget | None] | None = None) -> Services:
    """The window's services; `window()` gives the widget MFA dialogs are parented to."""
    settings = SettingsStore(paths.settings_file)
    current = settings.load()
    credentials = CredentialService(LazySecretStore(),
                                    durations=current.credentials.durations())
    broker = MfaBroker(credentials, parent_widget=window or (lambda: None),
                       durations=lambda r: (credentials.durations.role if r.role_arn
                                            else credentials.durations.session_token),
                       parent=parent)
    credentials.prompt = broker.prompt
    tasks = TaskRunner(parent=parent)

    def make_tunnels() -> tuple[TunnelSupervisor, TunnelsBridge]:
        from app.core.ssh.ephemeral import EphemeralKey
        from app.core.tunnels.book import FILE_NAME as TUNNELS_FILE
        from app.core.tunnels.book import TunnelBook
        from app.core.tunnels.catalog import configured
        from app.core.tunnels.live import Policy
        from app.core.tunnels.opener import SeamOpener
        from app.core.tunnels.sshforward import SshSetup
        from app.core.tunnels.supervisor import TunnelSupervisor
        from app.ui.bridges.tunnels import TunnelsBridge

        ssh = SshSetup(keyless=lambda: settings.load().sessions.keyless,
                       keys=EphemeralKey(paths.data_dir))
        tunnels = TunnelSupervisor(SeamOpener(credentials, ssh=ssh),
                                   records=paths.runtime_dir / "tunnel-children.json",
                                   policy=Policy(reconnect=current.tunnels.reconnect))

        def team_catalog() -> Catalog:  # in a worker: an AWS call
            return configured(credentials, settings.load().tunnels)

        bridge = TunnelsBridge(tunnels, TunnelBook(paths.config_dir / TUNNELS_FILE), tasks,
                               catalog=team_catalog, parent=parent)
        return tunnels, bridge

    return Services(paths=paths, settings=settings, tasks=tasks,
                    credentials=credentials, mfa=broker, expiry=CredentialsBridge(parent),
                    favourites=Favourites(paths.data_dir), permissions=PermissionCache(),
                    history=SessionHistory(paths.data_dir), make_tunnels=make_tunnels)
