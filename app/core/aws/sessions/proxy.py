"""`gangway proxy` and `gangway session`: start the session, run the plugin here, clean up.

Under ssh (ProxyCommand) stdin/stdout are ssh's channel: this module never reads stdin or
writes stdout; the plugin inherits both. Errors become one line on stderr (in the verb).

    code = run(source, ProxyRequest(profile="prod", region=None, host="web-1", port=22),
               history=SessionHistory(paths.data_dir))

This is the one place that installs signal handlers around the plugin: it runs in the main
thread of a CLI process. Everything else (`connect`, `PluginProcess`) is thread-safe.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from app.core.aws.sessions import api, connect, keypush, targets
from app.core.aws.sessions.plugin import PluginInfo, PluginProcess, require_secure
from app.core.errors import GangwayError

if TYPE_CHECKING:
    from app.core.aws.credentials.source import CredentialSource
    from app.core.aws.sessions.history import SessionHistory
    from app.core.ssh.ephemeral import EphemeralKey


@dataclass(frozen=True)
class ProxyRequest:
    profile: str
    region: str | None
    host: str  # instance id, Name tag or tag:KEY=VALUE (resolved)
    port: int | None = 22  # None: not an SSH session (a shell or a custom document)
    document: str | None = api.SSH_DOCUMENT
    parameters: Mapping[str, Sequence[str]] | None = None
    reason: str | None = None
    push_key: str | None = None  # keyless SSH: push the ephemeral key for this OS user


@contextlib.contextmanager
def forwarding(proc: PluginProcess, interactive: bool, seen: list[int]) -> Iterator[None]:
    """Pass SIGTERM and SIGHUP (and SIGINT unless interactive) on to the plugin.

    In an interactive shell the terminal delivers Ctrl-C to the plugin itself (it shares our
    process group there), which sends it to the remote side; so this process ignores SIGINT,
    SIGQUIT and SIGTSTP, like the AWS CLI. Forwarded signals are appended to `seen` (ssh sends
    SIGHUP when it closes the channel).
    """

    def forward(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)
        proc.send(signum)

    forwarded = [signal.SIGTERM]
    ignored: list[signal.Signals] = []
    if sys.platform != "win32":
        forwarded.append(signal.SIGHUP)
        if interactive:
            ignored += [signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP]
        else:
            forwarded.append(signal.SIGINT)
    elif not interactive:
        forwarded.append(signal.SIGINT)
    previous: dict[signal.Signals, Any] = {}
    for sig in forwarded:
        previous[sig] = signal.signal(sig, forward)
    for sig in ignored:
        previous[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait(proc: PluginProcess, seen: list[int]) -> int:
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Windows delivers Ctrl-C as this
            seen.append(int(signal.SIGINT))
            proc.send(signal.SIGINT)


NOTICES = logging.getLogger("gangway.notice")


def notice(text: str) -> None:
    """A notice for the person at the terminal. Core only logs it; the CLI shows the
    `gangway.notice` logger as one line on stderr (ssh shows its ProxyCommand's stderr)."""
    from app.core.display import one_line

    NOTICES.warning("gangway proxy: %s", one_line(text))


@dataclass
class _Push:
    """Keyless SSH for one connection: the OS user and the key read when this process
    started (the one ssh loaded just before it started us)."""

    user: str
    keys: EphemeralKey
    public_key: str
    zone: keypush.ZoneLookup | str | None = None

    @classmethod
    def prepare(cls, req: ProxyRequest, keys: EphemeralKey | None) -> _Push | None:
        if req.push_key is None:
            return None
        keypush.check_os_user(req.push_key)  # before any API call
        if keys is None:
            raise GangwayError("No ephemeral key store was given for --push-key.")
        return cls(req.push_key, keys, keys.ensure().public_key)

    def look_up_zone(self, way: connect.Route, resolved: targets.Resolved) -> None:
        """The zone from the name lookup, else DescribeInstances alongside StartSession."""
        self.zone = resolved.zone
        if self.zone is None and not keypush.is_hybrid(resolved.instance_id):
            self.zone = keypush.ZoneLookup(way.eic, resolved.instance_id)

    def send(self, way: connect.Route, target: str) -> None:
        zone = self.zone.result if isinstance(self.zone, keypush.ZoneLookup) else self.zone
        outcome = way.push_key(target, self.user, self.public_key, zone)
        if not outcome.pushed:
            notice(outcome.notice)

    def rotate_if_due(self) -> None:
        with contextlib.suppress(GangwayError):  # the schedule; serves the next connection
            self.keys.rotate_if_stale()


def _parameters(req: ProxyRequest) -> dict[str, Sequence[str]]:
    params = dict(req.parameters or {})
    if req.port is not None:
        params.setdefault("portNumber", [str(req.port)])
    return params


def _prepare(source: CredentialSource, req: ProxyRequest, history: SessionHistory,
             keys: EphemeralKey | None
             ) -> tuple[_Push | None, PluginInfo, connect.Route, targets.Resolved]:
    """The steps before StartSession; a failure here is recorded in the history too."""
    try:
        push = _Push.prepare(req, keys)
        plugin = require_secure()
        way = connect.route(source, req.profile, req.region,
                            needs_ec2=targets.parse(req.host) is not None or push is not None)
        resolved = way.resolve(req.host)
        if push is not None:
            push.look_up_zone(way, resolved)
        return push, plugin, way, resolved
    except GangwayError as exc:
        with contextlib.suppress(Exception):  # recorded like a failure at StartSession
            history.record_end(history.record_start(
                profile=req.profile, region=req.region or "", target=req.host,
                document=req.document or "", reason=req.reason or ""),
                f"error: {exc.one_line()}")
        raise


def run(source: CredentialSource, req: ProxyRequest, *, history: SessionHistory,
        keys: EphemeralKey | None = None) -> int:
    """Start the session, run the plugin until it exits, terminate the session, record it.

    With `req.push_key` (and `keys`), the ephemeral public key is pushed for that OS user
    after StartSession and right before the plugin starts (it is valid for 60 s).
    """
    interactive = sys.stdin is not None and sys.stdin.isatty()
    push, plugin, way, resolved = _prepare(source, req, history, keys)
    target = resolved.instance_id
    params = _parameters(req)

    def record_start(session_id: str = "") -> str:
        return history.record_start(profile=req.profile, region=way.region, target=target,
                                    document=req.document or "", reason=req.reason or "",
                                    session_id=session_id)

    session_id = ""
    try:
        opened = way.start(target, req.document, params or None, req.reason)
        session_id = opened.started.session_id
        if push is not None:
            try:
                push.send(way, target)
            except GangwayError:
                opened.terminate()
                raise
    except GangwayError as exc:
        history.record_end(record_start(session_id), f"error: {exc.one_line()}")
        raise
    key = ""
    ended = "error: the plugin did not start"
    seen: list[int] = []
    try:
        # The plugin shares our terminal (and its signals) only for an interactive shell.
        proc = PluginProcess.start(plugin, opened.started, opened.credentials,
                                   new_group=not interactive)
        with contextlib.suppress(Exception):  # after the start: ssh waits for the plugin
            key = record_start(opened.started.session_id)
        _after_start(history, source, req.profile, (way.region, opened.ssm), push)
        with forwarding(proc, interactive, seen):
            code = _wait(proc, seen)
        ended = f"exit {code}"
        if seen:
            # ssh hangs up its ProxyCommand when the connection ends: a normal ending.
            names = ", ".join(signal.Signals(s).name for s in dict.fromkeys(seen))
            ended = f"closed ({names})"
    finally:
        opened.terminate()
        with contextlib.suppress(Exception):
            history.record_end(key or record_start(opened.started.session_id), ended)
    return code


def _after_start(history: SessionHistory, source: CredentialSource, profile: str,
                 where: tuple[str, api.SsmCalls], push: _Push | None) -> None:
    """Housekeeping once the plugin runs (ssh no longer waits): orphaned sessions, and the
    ephemeral key's rotation when it is due."""
    region, ssm = where
    _end_orphans_soon(history, source, profile, {(profile, region): ssm})
    if push is not None:
        push.rotate_if_due()


def _end_orphans_soon(history: SessionHistory, source: CredentialSource, profile: str,
                      ssm: dict[tuple[str, str], api.SsmCalls]) -> None:
    """Sessions a crashed Gangway left open for this profile: ended in the background, so
    the session just started is never delayed (see `reap`)."""
    import threading

    from app.core.aws.sessions.reap import end_orphaned_sessions

    threading.Thread(target=end_orphaned_sessions, args=(history, source),
                     kwargs={"profile": profile, "ssm": ssm}, name="end-orphans",
                     daemon=True).start()
