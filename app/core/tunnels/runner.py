"""One tunnel that is on: its listener, its sessions and plugins, its held connections.

`TunnelRunner` lives on the supervisor's event loop; only `switch_on()` and `status()` are
called from other threads. A session is a `Live` (see `live`). Several may exist
for a moment: a refresh starts the next session before the old one is retired (make before
break), and a retired session is stopped once its last connection ends.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.core.errors import CancelledError, GangwayError
from app.core.tunnels.live import Live, PluginEnded, Policy, StatusKeeper
from app.core.tunnels.relay import Client, Upstream, bind_listener, bind_problem
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import LogLine, Problem, TunnelState, TunnelStatus

if TYPE_CHECKING:
    import socket

    from app.core.aws.sessions.plugin import PluginInfo, PluginProcess
    from app.core.tunnels.opener import Opened, SessionOpener
    from app.core.tunnels.reaper import Reaper
    from app.core.tunnels.sshforward import SshProcess

log = logging.getLogger(__name__)


class TunnelRunner(StatusKeeper):
    def __init__(self, spec: TunnelSpec, opener: SessionOpener, policy: Policy,
                 loop: asyncio.AbstractEventLoop, *, changed: Callable[[TunnelStatus], None],
                 logged: Callable[[LogLine], None], reaper: Reaper | None = None,
                 history: deque[LogLine] | None = None) -> None:
        super().__init__(TunnelStatus(spec.name, bind=spec.bind, local_port=spec.local_port,
                                      target=spec.target, group=spec.group,
                                      shared=spec.shared, since=time.time()),
                         loop, changed, logged, history)
        self.spec = spec
        self.opener = opener
        self.policy = policy
        self.reaper = reaper
        self.on = False
        self.ever_up = False
        self.sock: socket.socket | None = None
        self.server: asyncio.base_events.Server | None = None
        self.live: Live | None = None
        self.lives: set[Live] = set()
        self.clients: set[Client] = set()
        self.held = 0
        self.attempt = 0
        self.start_task: asyncio.Task[None] | None = None
        self.waiters: list[asyncio.Future[bool]] = []
        self.backoff: asyncio.TimerHandle | None = None
        self.refresh: asyncio.TimerHandle | None = None

    # --- on and off -------------------------------------------------------------------------

    def switch_on(self) -> TunnelStatus:
        """Bind the port now (any thread); the session starts on the loop."""
        try:
            self.sock = bind_listener(self.spec.bind, self.spec.local_port)
        except OSError as exc:
            problem = bind_problem(self.spec.bind, self.spec.local_port, exc)
            return self._set(state=TunnelState.FAILED, problem=problem,
                             last_event=problem.message)
        self.on = True
        port = self.sock.getsockname()[1]
        status = self._set(state=TunnelState.STARTING, local_port=port, problem=None,
                           last_event=f"listening on {self.spec.bind}:{port}")
        self.loop.call_soon_threadsafe(self._begin)
        return status

    def _begin(self) -> None:
        async def serve() -> None:
            assert self.sock is not None
            self.server = await self.loop.create_server(lambda: Client(self), sock=self.sock)

        self.loop.create_task(serve())
        self._ensure_session("switched on")

    async def switch_off(self) -> None:
        was_on = self.on
        self.on = False
        for handle in (self.backoff, self.refresh):
            if handle is not None:
                handle.cancel()
        self._wake(False)
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for client in list(self.clients):
            client.close()
        lives = list(self.lives)
        self.live = None
        await asyncio.gather(*(self._stop(live) for live in lives), return_exceptions=True)
        if was_on or self.status().state is not TunnelState.OFF:
            self._set(state=TunnelState.OFF, plugin_port=0, session_id="", connections=0,
                      held=0, retry_in=None, attempt=0,
                      problem=None, last_event="switched off")

    # --- sessions ---------------------------------------------------------------------------

    def _ensure_session(self, why: str) -> None:
        if not self.on or (self.start_task is not None and not self.start_task.done()):
            return
        if self.backoff is not None:
            self.backoff.cancel()
            self.backoff = None
        self.start_task = self.loop.create_task(self._start(why))

    def restart(self, why: str, keep_old: bool = False) -> None:
        """A fresh session now. `keep_old`: the current one serves until the new one is up."""
        if not self.on:
            return
        old = self.live
        if old is not None and not keep_old:
            self.live = None
            self._retire(old, now=True)
            self._set(state=TunnelState.RECONNECTING, plugin_port=0, last_event=why)
        self._log("state", f"restarting the session: {why}")
        self._ensure_session(why)

    async def _open(self) -> Opened:
        # Expired credentials are the opener's to renew (one prompt for every tunnel of the
        # profile); what comes out of here is final for this attempt.
        return await self.loop.run_in_executor(None, self.opener.open, self.spec)

    async def _start(self, why: str) -> None:
        state = TunnelState.RECONNECTING if self.ever_up else TunnelState.STARTING
        if self.live is None:
            self._set(state=state, retry_in=None, plugin_port=0)
        # Finding and checking the plugin (`--version`, once per process) runs beside the AWS
        # calls: the first session of a fresh process waits for the slower of the two.
        plugin = self.loop.run_in_executor(None, self.opener.plugin)
        plugin.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            opened = await self._open()
        except GangwayError as exc:
            self._failed(Problem(exc.message, exc.hint), final=isinstance(exc, CancelledError))
            return
        except Exception as exc:  # a bug or an unexpected library error: say it, keep going
            log.exception("starting a session for tunnel %s", self.spec.name)
            self._failed(Problem(f"Starting the session failed: {exc}"))
            return
        live = await self._launch(opened, plugin)
        if live is None:
            return
        port = await self._port_of(live)
        if port is None or not self.on:
            return
        old, self.live = self.live, live
        self.attempt = 0
        self.ever_up = True
        if old is not None and old is not live:
            self._retire(old)
        self._set(state=TunnelState.LISTENING, plugin_port=port, problem=None, attempt=0,
                  retry_in=None,
                  last_event=f"{opened.label} up on {opened.instance_id}")
        self._wake(True)
        self._schedule_refresh(opened)

    async def _launch(self, opened: Opened,
                      plugin: asyncio.Future[PluginInfo]) -> Live | None:
        """The plugin for a session that just started (None: off meanwhile, or no plugin)."""
        if not self.on:
            await self._terminate_opened(opened)
            return None
        live = Live(opened)
        self.lives.add(live)
        try:
            live.child = await self._spawn(live, await plugin)
        except GangwayError as exc:
            self.lives.discard(live)
            await self._terminate_opened(opened)
            self._failed(Problem(exc.message, exc.hint or "Check `gangway doctor`."))
            return None
        if not self.on or live.stopping:  # switched off while the plugin was starting
            await self._stop(live)
            return None
        if self.reaper is not None:
            pid, reaper = live.child.pid, self.reaper
            self.loop.run_in_executor(None, reaper.add, pid, self.spec.name, opened.session_id)
        self._set(instance_id=opened.instance_id, choice=opened.choice,
                  session_id=opened.session_id, warning=opened.warning)
        self._log("state", f"{opened.label} on {opened.instance_id} "
                           f"({opened.choice}); waiting for its port")
        if opened.warning:
            self._log("state", opened.warning)
        return live

    async def _port_of(self, live: Live) -> int | None:
        """The plugin's port from its Port line; None (and a retry scheduled) if it never
        comes: the plugin is stopped, its session terminated, a fresh one started."""
        try:
            return await asyncio.wait_for(asyncio.shield(live.port_future),
                                          self.policy.port_line_timeout)
        except TimeoutError:
            self._retire(live, now=True)
            self._failed(Problem(
                f"The plugin did not open its port within {self.policy.port_line_timeout:.0f} s.",
                "Retrying with a fresh port."))
        except PluginEnded:
            self._failed(Problem(live.error or live.ended_reason or (
                "ssh ended before its forward was up." if live.ssh else
                "The plugin ended before opening its port."), "Check the tunnel's log."))
        return None

    async def _spawn(self, live: Live, plugin: PluginInfo) -> PluginProcess | SshProcess:
        """The plugin (or ssh) for `live`, its output and its end delivered to this loop."""
        def on_line(text: str) -> None:
            self.loop.call_soon_threadsafe(self._output, live, text)

        def on_exit(code: int) -> None:
            self.loop.call_soon_threadsafe(self._exited, live, code)

        return live.opened.spawn(plugin, on_line=on_line, on_exit=on_exit)

    def _schedule_refresh(self, opened: Opened) -> None:
        if self.refresh is not None:
            self.refresh.cancel()
            self.refresh = None
        if opened.expires is None:
            return
        left = (opened.expires - datetime.now(UTC)).total_seconds() - self.policy.refresh_margin
        if left > 5:
            self.refresh = self.loop.call_later(
                left, self.restart, "the credentials expire soon", True)

    def _failed(self, problem: Problem, final: bool = False) -> None:
        self.attempt += 1
        self._wake(False)
        if not self.on:
            return
        self._log("state", f"start failed (attempt {self.attempt}): {problem}")
        if self.live is not None:  # a refresh failed; the old session still serves
            self._set(last_event=f"refresh failed: {problem.message}")
            return
        if final or self.attempt >= self.policy.give_up_after:
            self._set(state=TunnelState.FAILED, problem=problem, attempt=self.attempt,
                      retry_in=None, plugin_port=0, last_event=problem.message)
            return
        if not self.policy.reconnect and self.ever_up:
            self._set(state=TunnelState.IDLE, problem=problem, attempt=self.attempt,
                      plugin_port=0, last_event=problem.message)
            return
        delay = min(self.policy.backoff_first * 2 ** (self.attempt - 1), self.policy.backoff_max)
        self._set(state=TunnelState.RECONNECTING, problem=problem, attempt=self.attempt,
                  retry_in=delay, plugin_port=0, last_event=problem.message)
        self.backoff = self.loop.call_later(delay, self._ensure_session, "retrying")

    def _wake(self, ok: bool) -> None:
        waiters, self.waiters = self.waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(ok)

    # --- the plugin -------------------------------------------------------------------------

    def _output(self, live: Live, text: str) -> None:
        """One line of plugin output (the Port line comes without its newline)."""
        line = text.strip()
        if live.shown(line):
            self._log("ssh" if live.ssh else "plugin", line)
        event = live.read(line)
        if event:
            self._set(last_event=event)

    def _exited(self, live: Live, code: int) -> None:
        live.exited = True
        if not live.ended.done():
            live.ended.set_result(None)
        self.lives.discard(live)
        if live.child is not None and self.reaper is not None:
            self.loop.run_in_executor(None, self.reaper.remove, live.child.pid)
        if not live.port_future.done():
            live.port_future.set_exception(PluginEnded())
            live.port_future.exception()  # retrieved: no "never retrieved" warning
        self.loop.create_task(self._terminate(live))
        if live is not self.live or live.stopping or not self.on:
            return
        self.live = None
        said = f": {live.error}" if live.error else ""
        reason = live.ended_reason or (f"ssh exited (code {code}){said}" if live.ssh
                                       else f"the plugin exited (code {code})")
        event = f"{live.opened.label} ended: {reason}"
        if live.closed_by_service or not self.policy.reconnect:
            # The service closed it (idle timeout, ...): wait for the next connection.
            self._set(state=TunnelState.IDLE, plugin_port=0, session_id="", last_event=event)
            return
        self._set(state=TunnelState.RECONNECTING, plugin_port=0, session_id="",
                  last_event=event, retry_in=None)
        self._ensure_session("the session ended")

    def _retire(self, live: Live, now: bool = False) -> None:
        live.retiring = True
        if now or live.active == 0:
            self.loop.create_task(self._stop(live))

    async def _stop(self, live: Live) -> None:
        live.stopping = True
        if live.child is not None and not live.exited:
            await self.loop.run_in_executor(None, live.child.stop, self.policy.stop_grace)
        await self._terminate(live)

    async def _terminate(self, live: Live) -> None:
        if live.terminated:
            return
        live.terminated = True
        await self._terminate_opened(live.opened)

    async def _terminate_opened(self, opened: Opened) -> None:
        try:
            await self.loop.run_in_executor(None, opened.terminate)
        except Exception as exc:  # already gone, or the network is down: best effort
            log.info("TerminateSession %s: %s", opened.session_id, exc)

    # --- connections ------------------------------------------------------------------------

    def accepted(self, client: Client) -> None:
        if not self.on:
            client.close()
            return
        self.clients.add(client)
        client.closed.add_done_callback(lambda _f: self._client_gone(client))
        self._set(connections=len(self.clients))
        self.loop.create_task(self._connect(client))

    def _client_gone(self, client: Client) -> None:
        self.clients.discard(client)
        self._set(connections=len(self.clients))

    async def _connect(self, client: Client) -> None:
        """Relay `client` to the current session's port, holding it until there is one."""
        deadline = self.loop.time() + self.policy.hold_timeout
        held = False
        failures = 0
        try:
            while self.on and client.transport is not None and not client.transport.is_closing():
                live = self.live
                if live is None or not live.port:
                    if not held:
                        held = True
                        self.held += 1
                        self._set(held=self.held)
                    ok = await self._session_ready(deadline)
                    if ok is None:
                        break
                    failures += 0 if ok else 1
                    if failures >= 2 or (not ok and self.status().state is TunnelState.FAILED):
                        break
                    continue
                if await self._join(client, live):
                    return
        finally:
            if held:
                self.held -= 1
                self._set(held=self.held)
        # After the count: the FIN goes out at once, and a client woken by it may ask.
        client.finish()

    async def _session_ready(self, deadline: float) -> bool | None:
        """Wait for a session (starting one): True up, False a start failed, None timed out."""
        self._ensure_session("a connection arrived")
        left = deadline - self.loop.time()
        if left <= 0:
            return None
        fut: asyncio.Future[bool] = self.loop.create_future()
        self.waiters.append(fut)
        try:
            return await asyncio.wait_for(fut, left)
        except TimeoutError:
            return None

    async def _join(self, client: Client, live: Live) -> bool:
        """Connect `client` to `live`'s plugin port; False if that port is gone."""
        try:
            _t, upstream = await self.loop.create_connection(
                functools.partial(Upstream, client, live), "127.0.0.1", live.port)
        except OSError as exc:
            if live is self.live:  # its plugin is gone before we heard it exit
                self._log("relay", f"the plugin's port {live.port} refused ({exc}); "
                                   "starting a new session")
                self.restart("the plugin stopped answering")
            await asyncio.sleep(0)
            return False
        client.join(upstream)
        live.active += 1
        upstream.closed.add_done_callback(self._relay_done_cb(live))
        if client.replay and upstream.transport is not None:
            upstream.transport.write(bytes(client.replay))  # moved: say it again
        if client.got_eof and upstream.transport is not None:
            client.got_eof = False
            client.eof_received()
        if client.transport is not None:
            client.transport.resume_reading()
        return True

    def lost_upstream(self, client: Client, live: Live) -> None:
        """A plugin closed a connection before any byte came back: if the plugin is ending,
        move the client to the next session; if it lives on, the far side closed it."""
        async def decide() -> None:
            try:
                await asyncio.wait_for(asyncio.shield(live.ended), self.policy.move_wait)
            except TimeoutError:
                client.finish()  # the far side refused: an orderly close, not a reset
                return
            self._log("relay", "a connection lost its plugin before any reply; moving it to "
                               "the next session")
            await self._connect(client)

        self.loop.create_task(decide())

    def _relay_done_cb(self, live: Live) -> Callable[[asyncio.Future[None]], None]:
        return lambda _f: self._relay_done(live)

    def _relay_done(self, live: Live) -> None:
        live.active -= 1
        if live.retiring and live.active <= 0 and not live.stopping:
            self.loop.create_task(self._stop(live))
