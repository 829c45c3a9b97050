"""How one tunnel session is started and ended: the supervisor's only road to AWS.

`SessionOpener.open(spec)` resolves the target again (see `targets`), calls StartSession with
exactly the parameters the AWS CLI sends, and returns an `OpenedSession`: the chosen instance
and why, the seam's `OpenSession` (StartedSession, credentials, where to terminate), and a
warning for agents that cannot multiplex. The plugin is then started with
`sessions.plugin.PluginProcess`: the TokenValue goes only into AWS_SSM_START_SESSION_RESPONSE
and the credentials into its environment, never its argv.

An ssh -L tunnel (`Mode.SSH`) starts no session here: the target is resolved the same way
and `open` returns an `SshForward` (`sshforward`): OpenSSH's argv, whose ProxyCommand (a
`gangway proxy`) starts and ends the SSM session itself. Both kinds `spawn()` their child.

The supervisor calls `open` from a worker thread; it may block (AWS calls, an MFA prompt).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.sshforward import SshForward, SshSetup

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.core.aws.credentials.source import CredentialSource
    from app.core.aws.sessions.connect import OpenSession, Route
    from app.core.aws.sessions.plugin import PluginInfo, PluginProcess
    from app.core.tunnels.targets import Resolved


@dataclass(frozen=True)
class OpenedSession:
    instance_id: str
    choice: str  # why this instance (shown on the tunnel)
    session: OpenSession
    warning: str = ""  # e.g. an agent too old to multiplex connections

    @property
    def session_id(self) -> str:
        return self.session.started.session_id

    @property
    def expires(self) -> datetime | None:
        """The credentials' expiry (UTC): the session is restarted before it."""
        return self.session.credentials.expiration

    @property
    def label(self) -> str:
        return f"session {self.session_id}"

    def terminate(self) -> None:
        """TerminateSession; "already gone" is success (the seam's best effort)."""
        self.session.terminate()

    def spawn(self, plugin: PluginInfo, *, on_line: Callable[[str], None],
              on_exit: Callable[[int], None]) -> PluginProcess:
        """The plugin for this session: the token only in its environment."""
        import subprocess

        from app.core.aws.sessions.plugin import PluginProcess

        return PluginProcess.start(plugin, self.session.started, self.session.credentials,
                                   stdin=subprocess.DEVNULL, on_line=on_line, on_exit=on_exit)


# What the runner runs: an SSM session and its plugin, or ssh -L over the proxy.
Opened = OpenedSession | SshForward


class SessionOpener(Protocol):
    def open(self, spec: TunnelSpec) -> Opened:
        """Start one session for `spec` (raises GangwayError with a message and a hint).

        Expired credentials are renewed here, once (one prompt for every tunnel of the
        profile); what comes out is final for this attempt."""
        ...

    def plugin(self) -> PluginInfo:
        """The session-manager-plugin, found and checked once."""
        ...


class SeamOpener:
    """The opener the CLI and the window use, over the seams: a `CredentialSource` (the
    window's shared service with its MFA broker, or the CLI's source), `connect.route` per
    profile and region (cached; boto3-free when it can be), `targets` for the choice."""

    def __init__(self, source: CredentialSource, *, reason: str = "Gangway tunnel",
                 ssh: SshSetup | None = None) -> None:
        self.source = source
        self.reason = reason
        self.ssh = ssh or SshSetup()
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Route] = {}
        self._refreshing: dict[str, threading.Lock] = {}

    def plugin(self) -> PluginInfo:
        from app.core.aws.sessions.plugin import require_secure

        return require_secure()

    def _gate(self, profile: str) -> threading.Lock:
        with self._lock:
            return self._refreshing.setdefault(profile, threading.Lock())

    def _cached(self, spec: TunnelSpec) -> Route | None:
        with self._lock:
            cached = self._routes.get((spec.profile, spec.region))
        if cached is not None and (cached.credentials.expiration is None
                                   or cached.credentials.usable()):
            return cached
        return None

    def _route(self, spec: TunnelSpec) -> Route:
        """The cached route, or a new one; made under the profile's gate, so that a refresh
        in progress is waited for instead of racing it with the old credentials."""
        cached = self._cached(spec)
        if cached is not None:
            return cached
        with self._gate(spec.profile):
            cached = self._cached(spec)
            if cached is not None:
                return cached
            from app.core.aws.sessions.connect import route

            made = route(self.source, spec.profile, spec.region or None)
            with self._lock:
                self._routes[(spec.profile, spec.region)] = made
            return made

    def _refused(self, spec: TunnelSpec, way: Route) -> None:
        """`way`'s credentials were refused (expired): forget them once, however many tunnels
        of the profile hit it, so the source asks once (its prompt is shared)."""
        with self._gate(spec.profile):
            with self._lock:
                # By identity: the same keys may come back (a service may reissue them).
                stale = [k for k, r in self._routes.items() if r is way]
            if stale:  # else another tunnel of the profile renewed them already
                self.source.forget(spec.profile)
                with self._lock:
                    for key in stale:
                        self._routes.pop(key, None)

    def _start(self, way: Route, spec: TunnelSpec) -> tuple[Resolved, OpenSession]:
        from concurrent.futures import ThreadPoolExecutor

        from app.core.tunnels.targets import Resolved, agent_version, resolve

        found = resolve(way, spec.target)
        if found.agent_version:
            return found, way.start(found.instance_id, spec.document, spec.parameters(0),
                                    self.reason)
        # Given by id: its agent is looked up beside StartSession, not before it.
        with ThreadPoolExecutor(1, thread_name_prefix="tunnel-agent") as pool:
            agent = pool.submit(agent_version, way, found.instance_id)
            session = way.start(found.instance_id, spec.document, spec.parameters(0),
                                self.reason)
            try:
                version = agent.result()
            except Exception:  # only a warning depends on it
                version = ""
        return Resolved(found.instance_id, found.choice, version), session

    def _forward(self, way: Route, spec: TunnelSpec) -> SshForward:
        """ssh -L: the target resolved by the same rule (ssh is given the instance id); the
        proxy that ssh runs starts the SSM session itself."""
        from app.core.tunnels.sshforward import forward
        from app.core.tunnels.targets import resolve

        found = resolve(way, spec.target)
        return forward(spec, found.instance_id, found.choice, way.region, self.ssh,
                       reason=self.reason)

    def open(self, spec: TunnelSpec) -> Opened:
        from app.core.errors import CancelledError, CredentialError
        from app.core.tunnels.spec import Mode

        for attempt in (1, 2):
            way = self._route(spec)
            try:
                if spec.mode is Mode.SSH:
                    return self._forward(way, spec)
                found, session = self._start(way, spec)
            except CancelledError:
                raise
            except CredentialError:
                if attempt == 2:
                    raise
                self._refused(spec, way)
                continue
            return OpenedSession(found.instance_id, found.choice, session,
                                 found.warning(remote_host=bool(spec.remote_host)))
        raise AssertionError("unreachable")
