"""The local side Gangway owns: the listening socket, held connections, byte relays.

`bind_listener()` binds synchronously (so a busy port is known at once, with who holds it and
the next free port); `Pipe` pairs relay bytes between a client and the plugin's port with
asyncio protocols: flow control through pause/resume, half-close passed on, no copies beyond
what the transports make.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
from typing import Any, Protocol

from app.core.tunnels.states import Problem

_BACKLOG = 128
REPLAY_LIMIT = 1 << 16  # bytes a client may send before its first reply and still be moved
FINISH_GRACE = 5.0  # seconds a finished client may take to close its end


class Owner(Protocol):
    """The tunnel a Client belongs to (the runner)."""

    on: bool

    def accepted(self, client: Client) -> None: ...

    def lost_upstream(self, client: Client, live: Any) -> None: ...


def bind_listener(bind: str, port: int) -> socket.socket:
    """A non-blocking listening socket; raises OSError (EADDRINUSE, EACCES, ...)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":
            # SO_REUSEADDR on Windows lets another program steal the port: exclusive instead.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind, port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def holder_of(port: int) -> str:
    """Who listens on `port`, where the OS says: "postgres (pid 812)", or ""."""
    try:
        import psutil

        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                if conn.pid is None:
                    return "another user's process"
                try:
                    return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
                except psutil.Error:
                    return f"pid {conn.pid}"
    except Exception:
        return ""
    return ""


def next_free_port(bind: str, after: int) -> int | None:
    for port in range(after + 1, min(after + 200, 65535) + 1):
        try:
            bind_listener(bind, port).close()
        except OSError:
            continue
        return port
    return None


def bind_problem(bind: str, port: int, exc: OSError) -> Problem:
    """Words for a port we could not bind: the port, who holds it, the next free one."""
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or (
            sys.platform == "win32" and getattr(exc, "winerror", 0) in (10048, 10013)):
        holder = holder_of(port)
        nxt = next_free_port(bind, port)
        by = f" by {holder}" if holder else ""
        hint = (f"Stop that program, or use port {nxt} instead (--local-port {nxt})."
                if nxt else "Stop that program, or pick another local port.")
        return Problem(f"Port {port} on {bind} is already in use{by}.", hint, port_busy=True,
                       suggested_port=nxt, holder=holder)
    if exc.errno == errno.EACCES:
        return Problem(f"Not allowed to listen on port {port} on {bind}.",
                       "Ports below 1024 need administrator rights: pick a port above 1024.")
    if exc.errno == errno.EADDRNOTAVAIL:
        return Problem(f"The address {bind} is not one of this computer's.",
                       "Use 127.0.0.1, or an address this computer has.")
    return Problem(f"Could not listen on {bind}:{port}: {exc.strerror or exc}.",
                   "Pick another local port or bind address.")


class Pipe(asyncio.Protocol):
    """One direction-pair end: what it receives is written to its peer's transport."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: Pipe | None = None
        self.got_eof = False
        self.closed = asyncio.get_running_loop().create_future()
        self.on_close: list[object] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        with contextlib.suppress(OSError, AttributeError):
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def join(self, peer: Pipe) -> None:
        self.peer, peer.peer = peer, self

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def eof_received(self) -> bool:
        self.got_eof = True
        peer = self.peer
        if peer is None or peer.transport is None or peer.transport.is_closing():
            return False
        if peer.got_eof:
            peer.transport.close()
            return False
        with contextlib.suppress(OSError, NotImplementedError, RuntimeError):
            if peer.transport.can_write_eof():
                peer.transport.write_eof()
                return True  # half-closed: the other way keeps flowing
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()  # flushes what it still has buffered
        self.closed.set_result(None)  # a transport loses its connection once

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            with contextlib.suppress(RuntimeError):
                self.peer.transport.resume_reading()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Client(Pipe):
    """A connection to the tunnel's port: held (not read) until a session is ready.

    Until the far side has sent a byte, what the client sent is kept (up to REPLAY_LIMIT): if
    the plugin dies under a fresh connection (killed a moment before the kernel noticed), the
    connection moves to the next session with those bytes, and the client never sees a reset.
    """

    def __init__(self, runner: Owner) -> None:
        super().__init__()
        self.runner = runner
        self.replay: bytearray | None = bytearray()
        self.finishing = False

    def finish(self, grace: float = FINISH_GRACE) -> None:
        """Close for good, without a reset: a socket closed with unread bytes (the held
        client's request) makes the kernel answer RST, which clients report as an error. So
        send FIN, read and drop what still comes, and close at the client's EOF or after
        `grace` seconds."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.finishing, self.peer, self.replay = True, None, None
        with contextlib.suppress(OSError, NotImplementedError, RuntimeError):
            if transport.can_write_eof():
                transport.write_eof()
        with contextlib.suppress(RuntimeError):
            transport.resume_reading()
        asyncio.get_running_loop().call_later(grace, transport.close)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        transport.pause_reading()
        self.runner.accepted(self)

    def data_received(self, data: bytes) -> None:
        if self.replay is not None:
            self.replay += data
            if len(self.replay) > REPLAY_LIMIT:
                self.replay = None
        super().data_received(data)

    def eof_received(self) -> bool:
        if self.finishing:
            return False  # both ways closed: the transport closes
        if self.peer is None:  # between sessions: remember it, pass it on after the move
            self.got_eof = True
            return True
        return super().eof_received()


class Upstream(Pipe):
    """The relay's connection to a plugin's port, for one client."""

    def __init__(self, client: Client, live: object) -> None:
        super().__init__()
        self.client = client
        self.live = live
        self.received = 0

    def data_received(self, data: bytes) -> None:
        if not self.received:
            self.client.replay = None  # the client has seen the far side: no moving now
        self.received += len(data)
        super().data_received(data)

    def eof_received(self) -> bool:
        if not self.received and self.client.replay is not None:
            return False  # closed before a byte: maybe a dying plugin (connection_lost decides)
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        client = self.client
        held = client.transport
        if (self.received or client.replay is None or client.peer is not self or held is None
                or held.is_closing() or not client.runner.on):
            super().connection_lost(exc)
            return
        client.peer = None
        self.peer = None
        held.pause_reading()
        self.closed.set_result(None)
        client.runner.lost_upstream(client, self.live)
