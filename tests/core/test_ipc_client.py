"""The single-instance client without Qt: what a request line may be, and `send` against real
Unix sockets (a window that answers without a newline, one served by another user)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from app.core import ipc
from app.core.errors import InsecurePathError
from app.core.paths import Paths
from tests.conftest import require_program

pytestmark = pytest.mark.linux_only
NOBODY = 65534


def test_nesting_is_counted_outside_strings_only() -> None:
    nine = b"[" * 9 + b"1" + b"]" * 9
    with pytest.raises(ipc.MessageError, match=r"^message nested too deeply$"):
        ipc.decode_message(nine)
    # Brackets, escaped quotes and backslashes inside a string are text, not structure.
    text = json.dumps({"cmd": "mfa", "profile": '[[[[[[[[[[ \\" {{{{{{{{{{ "'}).encode()
    assert ipc.decode_message(text) == {"cmd": "mfa", "profile": '[[[[[[[[[[ \\" {{{{{{{{{{ "'}
    assert ipc.decode_message(b'{"a": [[[[[[[1]]]]]]]}') == {"a": [[[[[[[1]]]]]]]}  # depth 8


@pytest.mark.parametrize("line", [b'["show"]', b'"show"', b"7", b"null", b"{\"cmd\": ",
                                  b"\xff\xfe{}"])
def test_a_line_that_is_not_one_object_is_malformed(line: bytes) -> None:
    with pytest.raises(ipc.MessageError, match=r"^malformed message$"):
        ipc.decode_message(line)


def test_an_oversized_line_is_refused_before_parsing() -> None:
    with pytest.raises(ipc.MessageError, match=r"^message too large$"):
        ipc.decode_message(b'{"cmd": "' + b"x" * (64 * 1024) + b'"}')


def _serve_once(sock: socket.socket, reply: bytes, got: list[bytes]) -> None:
    conn, _ = sock.accept()
    with conn:
        got.append(conn.recv(65536))
        conn.sendall(reply)  # and close: no newline ends this reply


def test_a_reply_that_ends_when_the_window_closes_is_read(tmp_path: Path) -> None:
    paths = Paths.for_root(tmp_path / "g")
    name = ipc.server_name(paths)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(name)
    listener.listen(1)
    got: list[bytes] = []
    server = threading.Thread(target=_serve_once,
                              args=(listener, b'{"v": 1, "ok": true, "shown": 2}', got))
    server.start()
    try:
        assert ipc.send(paths, {"cmd": "show"}, timeout=10) == {"v": 1, "ok": True, "shown": 2}
    finally:
        server.join(10)
        listener.close()
    assert got == [b'{"v": 1, "cmd": "show"}\n']


_LISTEN_AS_NOBODY = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
print("ready", flush=True)
conn, _ = s.accept()
conn.sendall(b'{"v": 1, "ok": true, "credentials": "from nobody"}\\n')
conn.recv(65536)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run a listener as another user")
def test_a_socket_served_by_another_users_process_is_refused(tmp_path: Path) -> None:
    # The socket file passes the owner check (it is ours), but the process listening on it
    # runs as another user: SO_PEERCRED tells, and nothing is sent.
    python = require_program("/usr/bin/python3")  # one that user may run (not our venv's)
    paths = Paths.for_root(tmp_path / "g")
    name = Path(ipc.server_name(paths))
    drop = Path(tempfile.mkdtemp(prefix="gangway-test-nobody-"))  # a place that user can reach
    drop.chmod(0o777)
    theirs = subprocess.Popen([python, "-c", _LISTEN_AS_NOBODY, str(drop / "s.sock")], cwd="/",
                              user=NOBODY, group=NOBODY, stdout=subprocess.PIPE, text=True)
    try:
        assert theirs.stdout is not None and theirs.stdout.readline() == "ready\n"
        os.replace(drop / "s.sock", name)
        os.chown(name, os.getuid(), os.getgid())
        with pytest.raises(InsecurePathError) as err:
            ipc.send(paths, {"cmd": "mfa", "profile": "prod"}, timeout=5)
        assert str(err.value).startswith(f"{name} is served by another user's process")
    finally:
        theirs.kill()
        theirs.communicate(timeout=10)
        shutil.rmtree(drop)
