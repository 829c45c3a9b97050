"""The single-instance server under hostile or clumsy clients: deep or huge lines, several
messages in one write, idle connections, and a thousand of them at once."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.paths import Paths
from app.ui.ipc import IpcServer

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="raw AF_UNIX client"),
    # These raw clients are left for the GC: closing them before the server has seen them go
    # (or keeping them to close at teardown) crashed the process in IpcServer (SIGSEGV), a
    # defect reported to the IPC owner. Until it is fixed, their unclosed sockets are allowed.
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(qtbot: QtBot, tmp_path: Path):  # type: ignore[no-untyped-def]
    srv = IpcServer(Paths.for_root(tmp_path / "g").ensure(), idle_timeout=1.0,
                    max_connections=16)
    assert srv.listen()
    srv.register("ping", lambda msg, reply: reply({"ok": True, "echo": msg.get("x")}))
    yield srv
    srv.close()


def _client(server: IpcServer) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(server.name)
    sock.setblocking(False)
    return sock


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
        qtbot: QtBot, server: IpcServer) -> None:
    sock = _client(server)
    sock.sendall(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    (reply,) = _lines(qtbot, sock, 1)
    assert reply["ok"] is False and "too" in str(reply["error"])
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": [[[1]]]}\n')
    assert _lines(qtbot, sock, 1) == [{"v": 1, "ok": True, "echo": [[[1]]]}]


def test_a_huge_line_is_refused_and_closed(qtbot: QtBot, server: IpcServer) -> None:
    sock = _client(server)
    sock.setblocking(True)
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": "' + b"a" * 200_000)
    sock.setblocking(False)
    (reply,) = _lines(qtbot, sock, 1)
    assert reply == {"v": 1, "ok": False, "error": "message too large"}
    qtbot.waitUntil(lambda: _closed(sock), timeout=5000)


def test_every_message_in_one_write_is_answered(qtbot: QtBot, server: IpcServer) -> None:
    sock = _client(server)
    sock.sendall(b'{"v": 1, "cmd": "ping", "x": 1}\n{"v": 1, "cmd": "ping", "x": 2}\n'
                 b'{"v": 1, "cmd": "nope"}\n')
    replies = _lines(qtbot, sock, 3)
    assert [r.get("echo") for r in replies[:2]] == [1, 2]
    assert replies[2]["ok"] is False


def test_idle_connections_are_closed_but_a_pending_request_is_not(
        qtbot: QtBot, server: IpcServer) -> None:
    from PySide6.QtCore import QTimer

    server.register("slow", lambda _m, reply: QTimer.singleShot(
        2500, lambda: reply({"ok": True, "slow": True})))
    idle = _client(server)
    waiting = _client(server)
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
