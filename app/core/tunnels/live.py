"""A tunnel's sessions as the runner sees them, how hard it tries (`Policy`), and how it
reports (`StatusKeeper`: its status and log, delivered to observers on the loop).

A `Live` is one session: the OpenedSession, its plugin, the plugin's port once the plugin
printed it, how many relayed connections use it, and what its output said (driven by the
real plugin's strings: the Port line, "SessionId: ID : REASON" when the service closes the
channel, "Session: ID timed out.", "Cannot perform start session: ...").
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from app.core.tunnels.states import LogLine, TunnelStatus

if TYPE_CHECKING:
    from app.core.aws.sessions.plugin import PluginProcess
    from app.core.tunnels.opener import Opened
    from app.core.tunnels.sshforward import SshProcess

LOG_LINES = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PORT_LINE = re.compile(r"Port (\d+) opened for sessionId ")
_CLOSED_LINE = re.compile(r"SessionId: \S+ : (.+)")
# ssh -v: the -L listener's port (logged just before bind()), then, once every forward is set
# up (ExitOnForwardFailure would have exited instead), the client loop starts.
_SSH_LISTENING = re.compile(r"Local forwarding listening on \S+ port (\d+)\.")
_SSH_READY = "Entering interactive session."


@dataclass(frozen=True)
class Policy:
    """How hard the supervisor tries. Defaults are what the app uses."""

    reconnect: bool = True  # after an unexpected end: at once, then backoff (False: on demand)
    backoff_first: float = 1.0
    backoff_max: float = 60.0
    port_line_timeout: float = 15.0  # no "Port N opened" by then: stop, retry on a fresh port
    hold_timeout: float = 90.0  # a held connection waits this long for a session, then closes
    refresh_margin: float = 120.0  # restart this long before the credentials expire
    stop_grace: float = 3.0  # after SIGINT, before the group is killed
    wake_check: float = 5.0  # how often wall vs monotonic clock and addresses are compared
    give_up_after: int = 6  # failed starts in a row before FAILED (a client still retries)
    # An upstream closed before its first byte: this long for its plugin's end (then the
    # connection moves to the next session), else the far side closed it.
    move_wait: float = 1.0


class PluginEnded(Exception):
    """The plugin ended before printing its Port line."""


class Live:
    """One session and its plugin (or, for an ssh -L tunnel, its ssh)."""

    def __init__(self, opened: Opened) -> None:
        from app.core.tunnels.sshforward import SshForward

        self.opened = opened
        self.ssh = isinstance(opened, SshForward)
        self._ssh_port = 0
        self.child: PluginProcess | SshProcess | None = None
        self.port = 0
        self.port_future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.active = 0
        self.retiring = False
        self.stopping = False
        self.exited = False
        self.terminated = False
        self.ended_reason = ""
        self.closed_by_service = False
        self.error = ""
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def shown(self, line: str) -> bool:
        """Whether a line goes to the tunnel's log (ssh's -v debug lines do not)."""
        return bool(line) and not (self.ssh and line.startswith("debug"))

    def read(self, line: str) -> str:
        """Take in one line of the plugin's output; returns an event worth showing, or ""."""
        if self.ssh:
            return self._read_ssh(line)
        if not self.port_future.done():
            match = _PORT_LINE.search(line)
            if match:
                self.port = int(match.group(1))
                self.port_future.set_result(self.port)
        if line.startswith("Connection to destination port failed"):
            return "a connection failed at the instance: " + line
        if line.startswith("Cannot perform start session"):
            self.error = line
        elif match := _CLOSED_LINE.match(line):
            self.ended_reason, self.closed_by_service = match.group(1), True
        elif line.startswith("Session:") and line.endswith("timed out."):
            self.ended_reason, self.closed_by_service = "the session timed out", True
        return ""

    def _read_ssh(self, line: str) -> str:
        """ssh -v's stderr: its listener is up (the port is ready), or what went wrong (its
        last plain line: "Permission denied (publickey).", the proxy's own message, ...)."""
        match = _SSH_LISTENING.search(line)
        if match:  # said before its bind(): the port is known, not ready yet
            self._ssh_port = int(match.group(1))
        elif _SSH_READY in line and self._ssh_port and not self.port_future.done():
            self.port = self._ssh_port  # every -L is bound and listening by now
            self.port_future.set_result(self.port)
        elif "open failed" in line:  # "channel 2: open failed: connect failed: ...": one
            return "a connection failed at the far end: " + line  # connection; ssh lives on
        elif line and not line.startswith(("debug", "Warning: Permanently added")):
            self.error = line
        return ""


class StatusKeeper:
    """A tunnel's status (read from any thread) and its log of the last LOG_LINES lines;
    observers hear of both on the supervisor's loop, whichever thread made the change."""

    def __init__(self, status: TunnelStatus, loop: asyncio.AbstractEventLoop,
                 changed: Callable[[TunnelStatus], None], logged: Callable[[LogLine], None],
                 history: deque[LogLine] | None = None) -> None:
        self.loop = loop
        self.history: deque[LogLine] = history if history is not None else deque(
            maxlen=LOG_LINES)
        self._changed = changed
        self._logged = logged
        self._lock = threading.Lock()
        self._status = status

    def status(self) -> TunnelStatus:
        with self._lock:
            return self._status

    def _set(self, **changes: Any) -> TunnelStatus:
        with self._lock:
            old = self._status
            if "state" in changes and changes["state"] is not old.state:
                changes.setdefault("since", time.time())
            new = self._status = replace(old, **changes)
        if new.state is not old.state:
            self._log("state", f"{old.state.value} -> {new.state.value}: {new}")
        self._emit(self._changed, new)
        return new

    def _log(self, kind: str, text: str) -> None:
        line = LogLine(time.time(), self._status.name, kind, _CONTROL.sub("?", text))
        self.history.append(line)
        self._emit(self._logged, line)

    def _emit(self, fn: Callable[[Any], None], arg: Any) -> None:
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            fn(arg)
        else:
            self.loop.call_soon_threadsafe(fn, arg)
