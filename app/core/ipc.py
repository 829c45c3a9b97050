"""Single-instance IPC, client side (no Qt, so `gangway credentials` stays light).

The running window listens on a per-user local socket (Unix domain socket in a 0700 runtime
directory; a named pipe on Windows). Messages are versioned JSON lines:
`{"v": 1, "cmd": "show"}` -> `{"v": 1, "ok": true, ...}`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.errors import InsecurePathError
from app.core.paths import Paths, check_socket, private_dir

PROTOCOL_VERSION = 1
_MAX_UNIX_PATH = 100  # sun_path is 104-108 bytes; keep a margin
# Requests are flat objects of a few hundred bytes ({"v": 1, "cmd": "mfa", "profile": ...});
# anything far bigger or deeper is not one of ours and is refused before json parses it.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_MESSAGE_DEPTH = 8


class MessageError(ValueError):
    """A line that is not a message we answer; `str()` is the reply's error text."""


def decode_message(line: bytes) -> dict[str, Any]:
    """One request line -> its JSON object; MessageError if too large, too deep or malformed.

    The depth is counted in one linear pass (brackets outside strings) before `json.loads`,
    whose recursion a deeply nested line would otherwise exhaust."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise MessageError("message too large")
    if _depth(line) > MAX_MESSAGE_DEPTH:
        raise MessageError("message nested too deeply")
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MessageError("malformed message") from None
    if not isinstance(message, dict):
        raise MessageError("malformed message")
    return message


def _depth(line: bytes) -> int:
    deepest = depth = 0
    in_string = escaped = False
    for byte in line:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def server_name(paths: Paths) -> str:
    """The name QLocalServer listens on: a full socket path on POSIX, a pipe name on Windows.

    POSIX: the socket's directory must be ours and 0700, and an existing socket ours
    (InsecurePathError otherwise), so another local user can neither answer in our place
    nor see our requests.
    """
    key = hashlib.sha256(str(paths.runtime_dir).encode()).hexdigest()[:12]
    if sys.platform == "win32":
        return f"gangway-{getpass.getuser()}-{key}"
    path = paths.runtime_dir / "gangway.sock"
    if len(str(path)) > _MAX_UNIX_PATH:
        # Deep test or portable directories: a per-user private directory in /tmp, which
        # anyone could have created first; private_dir refuses it unless it is ours.
        path = Path(tempfile.gettempdir()) / f"gangway-{os.getuid()}" / f"{key}.sock"
    private_dir(path.parent)
    check_socket(path)
    return str(path)


def _peer_is_us(sock: socket.socket) -> bool:
    """Linux: the listening process runs as this user (SO_PEERCRED); elsewhere the socket
    owner check in server_name stands alone."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    import struct

    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return bool(uid == os.geteuid())


def _connect_unix(name: str, timeout: float) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(name)
    except OSError:
        sock.close()
        return None
    return sock


def send(paths: Paths, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any] | None:
    """Send one message to the running window and wait for its reply.

    Returns None when no window is running (or it does not answer in time); callers then
    fall back to doing the work themselves.
    """
    body = (json.dumps({"v": PROTOCOL_VERSION, **message}) + "\n").encode()
    name = server_name(paths)
    if sys.platform == "win32":
        return _send_pipe(name, body, timeout)
    sock = _connect_unix(name, min(timeout, 2.0))
    if sock is None:
        return None
    with sock:  # closed however this ends, the peer check's own errors included
        if not _peer_is_us(sock):
            raise InsecurePathError(Path(name), "is served by another user's process")
        sock.settimeout(timeout)
        try:
            sock.sendall(body)
            data = _read_line(sock.recv)
        except OSError:
            return None
    return _decode(data)


def _send_pipe(name: str, body: bytes, timeout: float) -> dict[str, Any] | None:
    pipe = rf"\\.\pipe\{name}"
    deadline = time.monotonic() + min(timeout, 2.0)
    while True:
        try:
            handle = open(pipe, "r+b", buffering=0)  # noqa: SIM115 - closed below
            break
        except OSError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)
    with handle:
        handle.write(body)
        data = _read_line(handle.read)
    return _decode(data)


def _read_line(read: Callable[[int], bytes | None]) -> bytes:
    """Bytes up to and including the reply's newline (or until the peer closes)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = read(65536)
        if not chunk:
            break
        data += chunk
    return data


def _decode(data: bytes) -> dict[str, Any] | None:
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None
