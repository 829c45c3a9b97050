"""A stand-in for a running Gangway window on the IPC socket: each request line is answered
by `answer` (the real window's handler, or a test's own), one JSON line back."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from app.core import ipc
from app.core.paths import Paths

Answer = Callable[[dict[str, Any]], dict[str, Any]]


@contextlib.contextmanager
def fake_window(answer: Answer) -> Iterator[Paths]:
    paths = Paths.default().ensure()
    name = ipc.server_name(paths)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                reply = answer(json.loads(data))
                conn.sendall((json.dumps({"v": 1, **reply}) + "\n").encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield paths
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        server.close()
        thread.join(5)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
