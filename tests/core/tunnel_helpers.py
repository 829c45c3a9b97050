"""Shared pieces of the tunnel tests: a supervisor on the sandbox, observers, raw clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from app.core.tunnels.states import LogLine, TunnelState, TunnelStatus
from app.core.tunnels.supervisor import TunnelSupervisor


class Recorder:
    """A TunnelObserver that keeps everything and lets a test wait for a state."""

    def __init__(self) -> None:
        self.statuses: list[TunnelStatus] = []
        self.lines: list[LogLine] = []
        self._cond = threading.Condition()

    def tunnel_changed(self, status: TunnelStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def tunnel_log(self, line: LogLine) -> None:
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()

    def wait(self, pred: Callable[[], bool], timeout: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(pred, timeout):
                raise AssertionError(
                    "timed out; last statuses: "
                    + "; ".join(str(s) for s in self.statuses[-5:])
                    + " | log: "
                    + " / ".join(str(ln) for ln in self.lines[-10:])
                )

    def wait_state(
        self, sup: TunnelSupervisor, name: str, state: TunnelState, timeout: float = 30.0
    ) -> TunnelStatus:
        self.wait(lambda: sup.status(name).state is state, timeout)
        return sup.status(name)

    def states(self, name: str) -> list[TunnelState]:
        out: list[TunnelState] = []
        for s in self.statuses:
            if s.name == name and (not out or out[-1] is not s.state):
                out.append(s.state)
        return out


def http_get(port: int, path: str = "/", timeout: float = 30.0) -> bytes:
    """One HTTP/1.1 GET over a raw socket; returns the body (raises on refusal/reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return body


def plugins_of(pid: int) -> list[psutil.Process]:
    """Live session-manager-plugin processes started by `pid` (any depth)."""
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for k in kids:
        try:
            argv = k.cmdline()
            if (
                k.status() != psutil.STATUS_ZOMBIE
                and "--version" not in argv
                and "session-manager-plugin" in " ".join(argv)
            ):
                out.append(k)
        except psutil.Error:
            continue
    return out


def wait_until(pred: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def records_path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "tunnel-children.json"
