"""The tunnel supervisor: the one owner of every tunnel's local port, session and plugin.

    sup = TunnelSupervisor(opener, records=paths.runtime_dir / "tunnel-children.json")
    sup.start()                           # its thread and event loop; reaps leftovers
    unsubscribe = sup.subscribe(observer) # state changes and log lines, from its thread
    status = sup.up(spec)                 # binds the port now: a busy port is FAILED at once
    sup.down("db"); sup.close()           # SIGINT to plugins, TerminateSession, unbind

Thread-safe: every public method may be called from any thread but the supervisor's own (so
not from an observer). `up()` blocks only to bind a socket; `down()` waits for the plugin to
stop (seconds at most): the GUI calls it through its task runner. Observers are called on the
supervisor's own thread and must not block; the UI bridge re-emits them as Qt signals.

Model: Gangway binds the tunnel's port as soon as it is on and relays each connection to the
plugin's own ephemeral port. The session starts eagerly; when the plugin ends the port stays
bound, and the next connection (or the backoff timer) starts a new session. Connections that
arrive meanwhile are held, never refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.core.tunnels.live import Policy
from app.core.tunnels.reaper import Reaper
from app.core.tunnels.runner import TunnelRunner
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import LogLine, TunnelState, TunnelStatus

if TYPE_CHECKING:
    from app.core.tunnels.opener import SessionOpener

log = logging.getLogger(__name__)


class TunnelObserver(Protocol):
    """What the supervisor tells its observers (called on the supervisor's thread)."""

    def tunnel_changed(self, status: TunnelStatus) -> None:
        """A tunnel's status changed (state, instance, connections, last event, ...)."""

    def tunnel_log(self, line: LogLine) -> None:
        """A line for a tunnel's log: plugin output or a state change."""


class TunnelSupervisor:
    """Owns the tunnels that are on. See the module docstring for the model.

    `opener` starts sessions (AWS calls, the plugin's argv/env); `records` is where live
    plugins are written down so that the next start reaps what a crash left behind.
    """

    def __init__(self, opener: SessionOpener, *, records: Path | None = None,
                 policy: Policy | None = None) -> None:
        self.opener = opener
        self.policy = policy or Policy()
        self.reaper = Reaper(records) if records is not None else None
        self._lock = threading.RLock()
        self._tunnels: dict[str, TunnelRunner] = {}
        self._specs: dict[str, TunnelSpec] = {}
        self._observers: list[TunnelObserver] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._watch: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> list[int]:
        """Start the supervisor's thread and loop; returns the pids reaped from a crash."""
        reaped = self.reaper.reap() if self.reaper is not None else []
        if self._loop is not None:
            return reaped
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        # The plugins are started on this thread: PR_SET_PDEATHSIG follows the thread that
        # forked, so it must live as long as the supervisor does.
        self._thread = threading.Thread(target=run, name="tunnel-supervisor", daemon=True)
        self._thread.start()
        ready.wait()
        return reaped

    def close(self, timeout: float = 15.0) -> None:
        """Switch every tunnel off (plugins stopped, sessions terminated), then end the loop."""
        loop = self._loop
        if loop is None:
            return
        self.down_all(timeout=timeout)

        def finish() -> None:
            if self._watch is not None:
                self._watch.cancel()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.call_soon(loop.stop)

        loop.call_soon_threadsafe(finish)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._loop = None

    # --- observers ------------------------------------------------------------------------

    def subscribe(self, observer: TunnelObserver) -> Callable[[], None]:
        """Add an observer; returns the function that removes it."""
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._observers.remove(observer)

        return unsubscribe

    def _changed(self, status: TunnelStatus) -> None:
        for obs in list(self._observers):
            try:
                obs.tunnel_changed(status)
            except Exception:
                log.exception("tunnel observer failed")

    def _logged(self, line: LogLine) -> None:
        for obs in list(self._observers):
            try:
                obs.tunnel_log(line)
            except Exception:
                log.exception("tunnel observer failed")

    # --- switching ------------------------------------------------------------------------

    def up(self, spec: TunnelSpec) -> TunnelStatus:
        """Switch a tunnel on: bind its port now (FAILED at once if busy), start a session.

        Already on with the same spec: nothing changes. On with a different spec, or failed:
        it is switched off and on again (a freed port is bound, a failed session retried).
        """
        loop = self._require_loop()
        self._not_on_loop()
        with self._lock:
            current = self._tunnels.get(spec.name)
            state = current.status().state if current is not None else TunnelState.OFF
            if current is not None and state.is_on and state is not TunnelState.FAILED \
                    and self._specs.get(spec.name) == spec:
                return current.status()
        if current is not None and state.is_on:
            self.down(spec.name)  # changed, or failed: switched on afresh (lock not held)
        with self._lock:
            runner = TunnelRunner(spec, self.opener, self.policy, loop,
                                  changed=self._changed, logged=self._logged,
                                  reaper=self.reaper,
                                  history=current.history if current is not None else None)
            self._tunnels[spec.name] = runner
            self._specs[spec.name] = spec
        status = runner.switch_on()
        self._ensure_watch()
        return status

    def down(self, name: str, timeout: float = 15.0) -> TunnelStatus:
        """Switch a tunnel off and wait until its plugin is stopped and sessions terminated."""
        loop = self._require_loop()
        self._not_on_loop()
        with self._lock:
            runner = self._tunnels.get(name)
        if runner is None:
            return TunnelStatus(name)
        future = asyncio.run_coroutine_threadsafe(runner.switch_off(), loop)
        with contextlib.suppress(concurrent.futures.TimeoutError):
            future.result(timeout)
        return runner.status()

    def down_all(self, timeout: float = 15.0) -> None:
        """Switch every tunnel off, all at once."""
        loop = self._loop
        if loop is None:
            return
        with self._lock:
            runners = list(self._tunnels.values())
        if not runners:
            return

        async def all_off() -> None:
            await asyncio.gather(*(r.switch_off() for r in runners), return_exceptions=True)

        future = asyncio.run_coroutine_threadsafe(all_off(), loop)
        with contextlib.suppress(concurrent.futures.TimeoutError):
            future.result(timeout)

    def reconnect(self, name: str) -> None:
        """Start a fresh session now (the old one is retired once its connections end)."""
        with self._lock:
            runner = self._tunnels.get(name)
        if runner is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(runner.restart, "asked to reconnect")

    def woke(self, reason: str = "the computer woke from sleep") -> None:
        """Tell every tunnel its session is probably dead (sleep, network change)."""
        with self._lock:
            runners = list(self._tunnels.values())
        if self._loop is not None:
            for r in runners:
                self._loop.call_soon_threadsafe(r.restart, reason)

    # --- looking ----------------------------------------------------------------------------

    def status(self, name: str) -> TunnelStatus:
        with self._lock:
            runner = self._tunnels.get(name)
        return runner.status() if runner is not None else TunnelStatus(name)

    def statuses(self) -> list[TunnelStatus]:
        with self._lock:
            runners = list(self._tunnels.values())
        return [r.status() for r in runners]

    def log(self, name: str) -> list[LogLine]:
        """The last LOG_LINES lines of plugin output and state changes (kept after off)."""
        with self._lock:
            runner = self._tunnels.get(name)
        return list(runner.history) if runner is not None else []

    def failed(self) -> list[TunnelStatus]:
        return [s for s in self.statuses() if s.state is TunnelState.FAILED]

    # --- internals -------------------------------------------------------------------------

    def _not_on_loop(self) -> None:
        if self._thread is not None and threading.current_thread() is self._thread:
            raise RuntimeError("up()/down() wait for the supervisor's loop: call them from "
                               "another thread, never from an observer")

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self.start()
        assert self._loop is not None
        return self._loop

    def _ensure_watch(self) -> None:
        loop = self._require_loop()

        def begin() -> None:
            if self._watch is None or self._watch.done():
                self._watch = loop.create_task(self._watch_clock())

        loop.call_soon_threadsafe(begin)

    async def _watch_clock(self) -> None:
        """Sleep/wake (wall clock jumped past the monotonic one) and network changes.

        One slow timer for all tunnels, and only while one is on: no busy polling.
        """
        period = self.policy.wake_check
        wall, mono = time.time(), time.monotonic()
        addresses = _addresses()
        while True:
            await asyncio.sleep(period)
            with self._lock:
                if not any(r.status().state.is_on for r in self._tunnels.values()):
                    self._watch = None
                    return
            now_wall, now_mono = time.time(), time.monotonic()
            slept = (now_wall - wall) - (now_mono - mono)
            wall, mono = now_wall, now_mono
            if slept > max(2 * period, 10.0):
                self.woke(f"the computer slept for {slept:.0f} s")
                continue
            now_addresses = _addresses()
            if now_addresses != addresses:
                addresses = now_addresses
                self.woke("the network changed")


def _addresses() -> frozenset[str]:
    """This machine's non-loopback addresses (a change means the network changed)."""
    try:
        import psutil

        return frozenset(a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                         if a.family in (socket.AF_INET, socket.AF_INET6)
                         and not a.address.startswith(("127.", "::1", "fe80")))
    except Exception:
        return frozenset()
