"""Another local user pre-creates the /tmp fallback socket directory (0777) with a listening
server that answers `mfa` requests with fake keys. Gangway must give it nothing: no request
reaches it, no credentials from it are printed or kept, and the window refuses to start
with a plain message instead of "another Gangway is running"."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.errors import InsecurePathError
from app.core.paths import Paths, private_dir

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]
GANGWAY = [sys.executable, "-m", "app"]
NOBODY = 65534
FAKE = {"Version": 1, "AccessKeyId": "ASIAFAKEFAKEFAKEFAKE", "SecretAccessKey": "x" * 40,
        "SessionToken": "fake", "Expiration": "2099-01-01T00:00:00Z"}


class FakeServer:
    """A listening socket in the attacker's directory that records every connection."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        os.chmod(path, 0o777)
        self.sock.listen(16)
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536))
                conn.sendall((json.dumps({"v": 1, "ok": True, "credentials": FAKE}) + "\n")
                             .encode())

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def attacker(aws_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:  # type: ignore[no-untyped-def]
    # A GANGWAY_HOME deep enough that the socket falls back to $TMPDIR/gangway-<uid>, and a
    # TMPDIR of this test's own (the machine's /tmp is shared with other test runs).
    home = tmp_path / ("deep-" * 12) / "gangway-home"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("GANGWAY_HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    hostile = tmpdir / f"gangway-{os.getuid()}"
    hostile.mkdir()
    hostile.chmod(0o777)
    key = hashlib.sha256(str(Paths.for_root(home).runtime_dir).encode()).hexdigest()[:12]
    server = FakeServer(hostile / f"{key}.sock")
    if os.geteuid() == 0:  # root can play the other user for real
        os.chown(hostile, NOBODY, NOBODY)
        os.chown(hostile / f"{key}.sock", NOBODY, NOBODY)
    yield server
    server.close()


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, *args], capture_output=True, text=True, timeout=60,
                          check=False, stdin=subprocess.PIPE, env=env)


def test_the_credentials_helper_sends_nothing_and_accepts_nothing(attacker: FakeServer) -> None:
    done = _run("credentials", "--profile", "mfa")
    assert done.returncode == 1
    assert done.stdout == "" and "ASIAFAKE" not in done.stderr
    assert "so Gangway will not use it" in done.stderr and done.stderr.count("\n") == 1
    assert attacker.requests == []


def test_the_window_refuses_to_start_with_a_plain_message(attacker: FakeServer) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = _run("--smoke-test", env=env)
    assert done.returncode == 1
    assert "another user" in done.stderr or "open to other users" in done.stderr
    assert "Traceback" not in done.stderr
    assert attacker.requests == []


def test_private_dir_refuses_loose_and_foreign_directories(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o755)
    with pytest.raises(InsecurePathError, match="mode 0755"):
        private_dir(loose)
    private_dir(loose, strict=False)  # a data folder may be readable, not writable
    loose.chmod(0o777)
    with pytest.raises(InsecurePathError):
        private_dir(loose, strict=False)
    link = tmp_path / "link"
    link.symlink_to(loose)
    with pytest.raises(InsecurePathError, match="not a directory"):
        private_dir(link)
    fresh = private_dir(tmp_path / "new" / "run")
    assert fresh.stat().st_mode & 0o777 == 0o700
