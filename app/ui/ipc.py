"""Single-instance IPC, server side: a per-user QLocalServer speaking versioned JSON lines.

A second launch sends `{"cmd": "show"}` and exits. Other commands (the credentials helper's
MFA prompt) register handlers that may reply later, after a dialog closes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.core.ipc import PROTOCOL_VERSION, server_name
from app.core.paths import Paths

log = logging.getLogger(__name__)

Reply = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Reply], None]
_MAX_MESSAGE = 1 << 20


class IpcServer(QObject):
    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(paths)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self._handlers: dict[str, Handler] = {}
        self._buffers: dict[QLocalSocket, bytes] = {}

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
        self.server.close()

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._on_ready(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _on_ready(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if len(data) > _MAX_MESSAGE:
            self._send(sock, {"ok": False, "error": "message too large"})
            sock.disconnectFromServer()
            return
        if b"\n" not in data:
            self._buffers[sock] = data
            return
        line, _, rest = data.partition(b"\n")
        self._buffers[sock] = rest
        try:
            message = json.loads(line.decode("utf-8"))
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except (UnicodeDecodeError, ValueError):
            self._send(sock, {"ok": False, "error": "malformed message"})
            return
        if message.get("v") != PROTOCOL_VERSION:
            self._send(sock, {"ok": False, "error": f"unsupported protocol {message.get('v')!r}"})
            return
        handler = self._handlers.get(str(message.get("cmd")))
        if handler is None:
            self._send(sock, {"ok": False, "error": f"unknown command {message.get('cmd')!r}"})
            return
        answered = False

        def reply(body: dict[str, Any]) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            if sock in self._buffers:  # still connected
                self._send(sock, body)

        try:
            handler(message, reply)
        except Exception as exc:
            log.exception("IPC handler for %r failed", message.get("cmd"))
            reply({"ok": False, "error": str(exc)})

    @staticmethod
    def _send(sock: QLocalSocket, body: dict[str, Any]) -> None:
        sock.write((json.dumps({"v": PROTOCOL_VERSION, **body}) + "\n").encode())
        sock.flush()
