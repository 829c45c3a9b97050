"""How one tunnel session is started and ended: the supervisor's only road to AWS.

`SessionOpener.open(spec)` resolves the target again (see `targets`), calls StartSession with
exactly the parameters the AWS CLI sends, and returns an `OpenedSession`: the chosen instance,
the StartedSession, the credentials' expiry, and what the plugin needs (argv without any secret,
env with the response and the credentials). `terminate()` ends it ("already gone" is success).

The supervisor calls `open` from a worker thread; it may block (AWS calls, an MFA prompt).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.core.errors import GangwayError
from app.core.tunnels.spec import TunnelSpec


@dataclass(frozen=True)
class OpenedSession:
    instance_id: str
    choice: str  # why this instance (shown on the tunnel)
    session_id: str
    argv: Sequence[str]  # the plugin's argv: no secret on it
    env: Mapping[str, str] = field(repr=False)  # response + credentials: secrets
    expires: datetime | None = None  # the credentials' expiry (UTC); restart before it
    warning: str = ""  # e.g. an agent too old to multiplex connections
    terminate: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)


class SessionOpener(Protocol):
    def open(self, spec: TunnelSpec) -> OpenedSession:
        """Start one session for `spec` (raises GangwayError with a message and a hint)."""

    def forget_credentials(self, profile: str) -> None:
        """The credentials were refused as expired: ask again next time (one prompt)."""


class AwsOpener:
    """The opener the CLI and the window use: boto3 sessions per profile, cached.

    Credentials come from `session_for(profile, region)` (Gangway's credential seam: keyring
    cache, the window's MFA prompt, botocore's chain). The TokenValue goes only into the
    plugin's environment (AWS_SSM_START_SESSION_RESPONSE), never its argv.
    """

    def __init__(self, session_for: Callable[[str, str | None], Any] | None = None,
                 plugin: str | None = None, reason: str = "Gangway tunnel") -> None:
        self._session_for = session_for
        self._plugin = plugin
        self.reason = reason
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], tuple[Any, Any, Any, str]] = {}

    def _plugin_path(self) -> str:
        if self._plugin is None:
            from app.core.aws.proxy import _plugin_path

            self._plugin = _plugin_path()
        return self._plugin

    def _clients_for(self, spec: TunnelSpec) -> tuple[Any, Any, Any, str]:
        key = (spec.profile, spec.region)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        from app.core.aws.session import client

        if self._session_for is None:
            from app.core.aws.proxy import session_for

            self._session_for = session_for
        session = self._session_for(spec.profile, spec.region or None)
        region = spec.region or session.region_name or "us-east-1"
        made = (session, client(session, "ssm", region), client(session, "ec2", region), region)
        with self._lock:
            self._clients[key] = made
        return made

    def forget_credentials(self, profile: str) -> None:
        with self._lock:
            for key in [k for k in self._clients if k[0] == profile]:
                del self._clients[key]

    def open(self, spec: TunnelSpec) -> OpenedSession:
        from app.core.aws import ssm_sessions
        from app.core.tunnels.targets import resolve

        plugin = self._plugin_path()
        session, ssm, ec2, region = self._clients_for(spec)
        found = resolve(ec2, ssm, spec.target, region)
        started = ssm_sessions.start_session(ssm, found.instance_id, spec.document,
                                             spec.parameters(0), self.reason)
        creds = session.get_credentials()
        expires = getattr(creds, "_expiry_time", None)  # botocore's refreshable credentials
        env = ssm_sessions.plugin_env(started, creds)

        def terminate() -> None:
            try:
                ssm_sessions.terminate_session(ssm, started.session_id)
            except GangwayError as exc:
                if "DoesNotExist" not in str(exc) and "does not exist" not in str(exc):
                    raise

        return OpenedSession(
            instance_id=found.instance_id, choice=found.choice, session_id=started.session_id,
            argv=ssm_sessions.plugin_argv(plugin, started), env=env,
            expires=expires if isinstance(expires, datetime) else None,
            warning=found.warning(remote_host=bool(spec.remote_host)), terminate=terminate)
