"""Single-instance IPC, server side: a per-user QLocalServer speaking versioned JSON lines.

A second launch sends `{"cmd": "show"}` and exits. Other commands (the credentials helper's
MFA prompt) register handlers that may reply later, after a dialog closes.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.core.ipc import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    MessageError,
    decode_message,
    server_name,
)
from app.core.paths import Paths

log = logging.getLogger(__name__)

Reply = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Reply], None]
# A client sends its line at once and waits for the answer; a connection with nothing to
# answer and nothing sent for IDLE_TIMEOUT seconds is closed. Past MAX_CONNECTIONS, the
# longest-idle connection is closed to make room, so a pile of idle ones never stops the
# window from answering (nor eats its file descriptors).
IDLE_TIMEOUT = 30.0
MAX_CONNECTIONS = 64


class _Conn:
    def __init__(self, sock: QLocalSocket, timer: QTimer) -> None:
        self.sock = sock
        self.timer = timer
        self.buffer = b""
        self.pending = 0  # requests whose handler has not replied yet


def _weak_slot(server: IpcServer, method: Callable[[IpcServer, _Conn], None],
               conn: _Conn) -> Callable[[], None]:
    """A slot for a connection's socket or timer that holds the server only weakly.

    Those slots are freed while Qt destroys the socket (its deferred delete, then its child
    timer). A slot that owned the server could drop its last reference right there; the
    server would then delete its QLocalServer and, with it, the socket still being destroyed
    (SIGSEGV). While the server itself is being deleted, its sockets' last signals are ignored.
    """
    ref = weakref.ref(server)

    def call() -> None:
        live = ref()
        if live is not None:
            method(live, conn)

    return call


class IpcServer(QObject):
    def __init__(self, paths: Paths, parent: QObject | None = None, *,
                 idle_timeout: float = IDLE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        super().__init__(parent)
        self.name = server_name(paths)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self._handlers: dict[str, Handler] = {}
        self._conns: dict[QLocalSocket, _Conn] = {}  # insertion order = least recently active
        self._idle_ms = int(idle_timeout * 1000)
        self._max = max_connections

    def register(self, cmd: str, handler: Handler) -> None:
        self._handlers[cmd] = handler

    def listen(self) -> bool:
        """Start listening; False if another live instance already owns the name."""
        # Probe first: with UserAccessOption Qt binds a temporary socket and renames it over
        # the path, which would silently steal a running instance's socket.
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        alive = probe.waitForConnected(500)
        probe.abort()
        if alive:
            return False
        QLocalServer.removeServer(self.name)  # a stale socket left by a crash
        return self.server.listen(self.name)

    def close(self) -> None:
        for conn in list(self._conns.values()):
            self._drop(conn)
        self.server.close()

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            timer = QTimer(sock)
            timer.setSingleShot(True)
            timer.setInterval(self._idle_ms)
            conn = _Conn(sock, timer)
            timer.timeout.connect(_weak_slot(self, IpcServer._on_idle, conn))
            self._conns[sock] = conn
            sock.readyRead.connect(_weak_slot(self, IpcServer._on_ready, conn))
            sock.disconnected.connect(_weak_slot(self, IpcServer._forget, conn))
            timer.start()
            self._make_room()

    def _make_room(self) -> None:
        while len(self._conns) > self._max:
            idle = next((c for c in self._conns.values() if not c.pending), None)
            if idle is None:
                return
            self._drop(idle)

    def _on_idle(self, conn: _Conn) -> None:
        if not conn.pending:
            self._drop(conn)

    def _drop(self, conn: _Conn) -> None:
        self._forget(conn)
        conn.sock.abort()

    def _forget(self, conn: _Conn) -> None:
        if self._conns.pop(conn.sock, None) is not None:
            conn.timer.stop()
            conn.sock.deleteLater()

    def _touch(self, conn: _Conn) -> None:
        """Mark activity: most recently active last, idle timer restarted."""
        if self._conns.pop(conn.sock, None) is not None:
            self._conns[conn.sock] = conn
            conn.timer.start()

    def _on_ready(self, conn: _Conn) -> None:
        if conn.sock not in self._conns:
            return
        self._touch(conn)
        conn.buffer += bytes(conn.sock.readAll().data())
        while b"\n" in conn.buffer:  # answer every complete line, in order
            line, _, conn.buffer = conn.buffer.partition(b"\n")
            self._answer(conn, line)
            if conn.sock not in self._conns:
                return
        if len(conn.buffer) > MAX_MESSAGE_BYTES:
            self._send(conn.sock, {"ok": False, "error": "message too large"})
            conn.buffer = b""
            conn.sock.disconnectFromServer()  # after the reply is written; then _forget

    def _answer(self, conn: _Conn, line: bytes) -> None:
        try:
            message = decode_message(line)
        except MessageError as exc:
            self._send(conn.sock, {"ok": False, "error": str(exc)})
            return
        if message.get("v") != PROTOCOL_VERSION:
            self._send(conn.sock, {"ok": False,
                                   "error": f"unsupported protocol {message.get('v')!r}"})
            return
        handler = self._handlers.get(str(message.get("cmd")))
        if handler is None:
            self._send(conn.sock, {"ok": False,
                                   "error": f"unknown command {message.get('cmd')!r}"})
            return
        answered = False
        conn.pending += 1

        def reply(body: dict[str, Any]) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            conn.pending -= 1
            if conn.sock in self._conns:  # still connected
                self._send(conn.sock, body)
                self._touch(conn)

        try:
            handler(message, reply)
        except Exception as exc:
            log.exception("IPC handler for %r failed", message.get("cmd"))
            reply({"ok": False, "error": str(exc)})

    @staticmethod
    def _send(sock: QLocalSocket, body: dict[str, Any]) -> None:
        sock.write((json.dumps({"v": PROTOCOL_VERSION, **body}) + "\n").encode())
        sock.flush()
