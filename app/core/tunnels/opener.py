"""How one tunnel session is started and ended: the supervisor's only road to AWS.

`SessionOpener.open(spec)` resolves the target again (see `targets`), calls StartSession with
exactly the parameters the AWS CLI sends, and returns an `OpenedSession`: the chosen instance,
the StartedSession, the credentials' expiry, and what the plugin needs (argv without any secret,
env with the response and the credentials). `terminate()` ends it ("already gone" is success).

The supervisor calls `open` from a worker thread; it may block (AWS calls, an MFA prompt).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

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
