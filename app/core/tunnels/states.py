"""What a tunnel is doing, in words a user reads: `TunnelState` and the `TunnelStatus` snapshot.

Modelled on qutebrowser's `ProcessOutcome`: `state_str()` is the short word for a column or a
tray entry, `str(status)` the sentence for a tooltip, the CLI and the log.

    off          not switched on; no port bound
    starting     port bound, the first session is being started (connections are held)
    listening    port bound, session up: connections are relayed
    idle         port bound, no session; the next connection starts one (and is held)
    reconnecting port bound, the session ended; a new one starts after a backoff (or at once
                 when a connection arrives)
    failed       reason + fix; the port is bound unless binding it was what failed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class TunnelState(Enum):
    OFF = "off"
    STARTING = "starting"
    LISTENING = "listening"
    IDLE = "idle"
    RECONNECTING = "reconnecting"
    FAILED = "failed"

    @property
    def is_on(self) -> bool:
        """Switched on (whatever the session is doing)."""
        return self is not TunnelState.OFF


@dataclass(frozen=True)
class Problem:
    """Why a tunnel failed (`message`) and what to do about it (`hint`)."""

    message: str
    hint: str = ""
    port_busy: bool = False  # the local port was taken: `suggested_port` is free
    suggested_port: int | None = None
    holder: str = ""  # "postgres (pid 812)" where the OS says

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


@dataclass(frozen=True)
class TunnelStatus:
    """One tunnel at one moment. Frozen: observers may keep it, pass it across threads."""

    name: str
    state: TunnelState = TunnelState.OFF
    bind: str = "127.0.0.1"
    local_port: int = 0  # the port Gangway listens on (0 while off and never picked)
    target: str = ""  # what the user typed
    instance_id: str = ""  # what the last (re)start resolved it to
    choice: str = ""  # why that instance: "newest of 3 running matches with a connected agent"
    session_id: str = ""
    plugin_port: int = 0
    connections: int = 0  # open client connections now
    held: int = 0  # connections waiting for a session
    attempt: int = 0  # consecutive failed starts (reconnecting/failed)
    retry_in: float | None = None  # seconds until the next backoff attempt
    problem: Problem | None = None  # set in FAILED; also the last error while reconnecting
    warning: str = ""  # e.g. an old agent that serves one connection at a time
    last_event: str = ""  # one line: "session s-1 ended: idle timeout", ...
    since: float = 0.0  # wall-clock time of the last state change
    group: str = ""
    shared: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def local_address(self) -> str:
        if not self.local_port:
            return ""
        host = f"[{self.bind}]" if ":" in self.bind else self.bind
        return f"{host}:{self.local_port}"

    def state_str(self) -> str:
        """The short word: "off", "starting", "listening", "idle", "reconnecting", "failed"."""
        return self.state.value

    def __str__(self) -> str:
        where = self.local_address or "no port"
        target = self.instance_id or self.target
        s = self.state
        if s is TunnelState.OFF:
            return f"{self.name} is off."
        if s is TunnelState.STARTING:
            return f"{self.name}: starting a session to {target}; {where} holds connections."
        if s is TunnelState.LISTENING:
            return f"{self.name}: listening on {where}, forwarding to {target}."
        if s is TunnelState.IDLE:
            return f"{self.name}: idle on {where}; the next connection starts a session."
        if s is TunnelState.RECONNECTING:
            when = f" in {self.retry_in:.0f} s" if self.retry_in else ""
            why = f" ({self.problem.message})" if self.problem else ""
            return f"{self.name}: reconnecting to {target}{when}{why}; {where} stays open."
        problem = str(self.problem) if self.problem else "it failed."
        return f"{self.name} failed: {problem}"

    def as_json(self) -> dict[str, object]:
        """The `gangway tunnel status --json` row (and the IPC reply)."""
        return {
            "name": self.name, "state": self.state.value, "local_address": self.local_address,
            "local_port": self.local_port, "bind": self.bind, "target": self.target,
            "instance_id": self.instance_id, "choice": self.choice,
            "session_id": self.session_id, "connections": self.connections,
            "last_event": self.last_event, "warning": self.warning, "group": self.group,
            "shared": self.shared,
            "last_error": str(self.problem) if self.problem else "",
            "port_busy": bool(self.problem and self.problem.port_busy),
            "suggested_port": self.problem.suggested_port if self.problem else None,
            "summary": str(self),
        }


@dataclass(frozen=True)
class LogLine:
    """One line of a tunnel's log: plugin output ("plugin"), ssh's stderr for an ssh -L
    tunnel ("ssh"), the relay's notes ("relay") or a state change ("state")."""

    time: float
    name: str
    kind: str  # "plugin" | "ssh" | "state" | "relay"
    text: str

    def __str__(self) -> str:
        import time as _time

        stamp = _time.strftime("%H:%M:%S", _time.localtime(self.time))
        return f"{stamp} {self.kind}: {self.text}"
