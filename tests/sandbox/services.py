"""Real services for tunnels to reach: PostgreSQL (Debian's server) and an HTTP server.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to `nobody`
and its commands run through `runuser`. The data directory is a fresh one in the system temp
directory (pytest's own is private to root), on a loopback port, with trust auth for `app`.
"""

from __future__ import annotations

import contextlib
import glob
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class Postgres:
    port: int
    user: str
    datadir: Path


@contextlib.contextmanager
def running_postgres(user: str = "app") -> Iterator[Postgres]:
    bindir = postgres_bin()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    root = Path(tempfile.mkdtemp(prefix="gangway-pg-"))
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        prefix = ["runuser", "-u", "nobody", "--"]
    port = free_port()

    def run(*argv: str) -> None:
        subprocess.run(
            [*prefix, *argv], check=True, capture_output=True, timeout=120, cwd=str(root)
        )

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8")
        opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        )
        try:
            yield Postgres(port, user, data)
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"hello from {self.server.server_address[1]} path={self.path}\n".encode()
        if self.path.startswith("/big/"):
            body = b"x" * int(self.path.rsplit("/", 1)[1])
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-reply (a killed tunnel, a benchmark) is no news


@contextlib.contextmanager
def running_http() -> Iterator[int]:
    """A real HTTP/1.1 server on a loopback port; GET /big/N returns N bytes."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
