"""The single-instance server under hostile or clumsy clients: deep or huge lines, several
messages in one write, idle connections, and a thousand of them at once."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.paths import Paths
from app.ui.ipc import IpcServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="raw AF_UNIX client")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(qtbot: QtBot, tmp_path: Path):  # type: ignore[no-untyped-def]
    srv = IpcServer(Paths.for_root(tmp_path / "g").ensure(), idle_timeout=1.0,
                    max_connections=16)
    assert srv.listen()
    srv.register("ping", lambda msg, reply: reply({"ok": True, "echo": msg.get("x")}))
    yield srv
    srv.close()


@pytest.fixture
def connect(server: IpcServer) -> Iterator[Callable[[], socket.socket]]:
    """Raw clients, closed at teardown before the server is."""
    socks: list[socket.socket] = []

    def make() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        socks.append(sock)
        sock.connect(server.name)
        sock.setblocking(False)
        return sock

    yield make
    for sock in socks:
        sock.close()


def _lines(qtbot: QtBot, sock: socket.socket, count: int) -> list[dict[str, object]]:
    data = b""

    def got() -> bool:
        nonlocal data
        with contextlib.suppress(BlockingIOError):
            data += sock.recv(65536)
        return data.count(b"\n") >= count

    qtbot.waitUntil(got, timeout=10000)
    return [json.loads(line) for line in data.splitlines()]


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_deeply_nested_json_is_refused_and_the_server_carries_on(
        qtbot: QtBot, server: IpcServer, connect: Callable[[], socket.socket]) -> None:
    sock = connect()
    sock.sendall(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    (reply,) = _lines(qtbot, sock, 1)
    assert reply["ok"] is False and "too" in str(reply["error"])
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": [[[1]]]}\n')
    assert _lines(qtbot, sock, 1) == [{"v": 1, "ok": True, "echo": [[[1]]]}]


def test_a_huge_line_is_refused_and_closed(
        qtbot: QtBot, server: IpcServer, connect: Callable[[], socket.socket]) -> None:
    sock = connect()
    sock.setblocking(True)
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": "' + b"a" * 200_000)
    sock.setblocking(False)
    (reply,) = _lines(qtbot, sock, 1)
    assert reply == {"v": 1, "ok": False, "error": "message too large"}
    qtbot.waitUntil(lambda: _closed(sock), timeout=5000)


def test_every_message_in_one_write_is_answered(
        qtbot: QtBot, server: IpcServer, connect: Callable[[], socket.socket]) -> None:
    sock = connect()
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": 1}\n{"v": 1, "cmd": "ping", "x": 2}\n'
                 b'{"v": 1, "cmd": "nope"}\n')
    replies = _lines(qtbot, sock, 3)
    assert [r.get("echo") for r in replies[:2]] == [1, 2]
    assert replies[2]["ok"] is False


def test_idle_connections_are_closed_but_a_pending_request_is_not(
        qtbot: QtBot, server: IpcServer, connect: Callable[[], socket.socket]) -> None:
    from PySide6.QtCore import QTimer

    server.register("slow", lambda _m, reply: QTimer.singleShot(
        2500, lambda: reply({"ok": True, "slow": True})))
    idle = connect()
    waiting = connect()
    waiting.sendall(b'{"v": 1, "cmd": "slow"}\n')
    qtbot.waitUntil(lambda: _closed(idle), timeout=5000)
    assert _lines(qtbot, waiting, 1) == [{"v": 1, "ok": True, "slow": True}]


_CROWD = textwrap.dedent("""
    import socket, sys, time
    name = sys.argv[1]

    def connect():
        for _ in range(2000):  # the listen backlog is full while the server catches up
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(name)
                return s
            except BlockingIOError:
                s.close()
                time.sleep(0.005)
        raise SystemExit("could not connect")

    crowd = [connect() for _ in range(1000)]
    s = connect()
    s.settimeout(20)
    s.sendall(b'{"v": 1, "cmd": "ping", "x": "after the crowd"}\\n')
    print(s.makefile().readline(), end="", flush=True)
""")


def test_a_thousand_idle_connections_do_not_stop_the_answers(
        qtbot: QtBot, server: IpcServer) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _CROWD, server.name], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert json.loads(out) == {"v": 1, "ok": True, "echo": "after the crowd"}
    assert server.connection_count <= 16


# The server's last reference goes while Qt deletes one of its sockets: the socket's slots are
# freed there. If they owned the server, it would delete its QLocalServer, and with it the
# socket still being destroyed. Run in a child, so that a crash is a failure, not a lost run.
_DROPPED = textwrap.dedent("""
    import socket, sys, weakref
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from app.core.paths import Paths
    from app.ui.ipc import IpcServer

    app = QCoreApplication([])

    def spin(ms):  # a running event loop: deferred deletes happen only in one
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    srv = IpcServer(Paths.for_root(Path(sys.argv[1])).ensure())
    assert srv.listen()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(srv.name)
        for _ in range(200):
            if srv.connection_count == 1:
                break
            spin(50)
        assert srv.connection_count == 1
    srv.close()
    gone = weakref.ref(srv)
    del srv  # only the slots of its socket and timer could still hold it
    spin(200)
    assert gone() is None, "the server outlived its sockets: nothing was tested"
    print("alive", flush=True)
""")


def test_the_server_can_go_while_its_sockets_are_deleted(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _DROPPED, str(tmp_path / "g")],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert (done.returncode, done.stdout) == (0, "alive\n"), done.stderr
