"""The parts of `gangway tunnel` that run tunnels: `run` in the foreground, and `up`/`down`/
`status` against the running window over IPC."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.paths import Paths
    from app.core.tunnels.spec import TunnelSpec
    from app.core.tunnels.states import LogLine, TunnelStatus

START_WAIT = 30.0  # seconds for a freshly started window to answer
RECORDS = "tunnel-children.json"  # in the runtime directory: plugins to reap after a crash


def catalog_tunnels() -> tuple[list[TunnelSpec], list[str]]:
    """The team catalog named in the settings (Settings.tunnels.catalog_path)."""
    from app.commands import context
    from app.core.settings import SettingsStore
    from app.core.tunnels.catalog import configured

    settings = SettingsStore(context.paths().settings_file).load().tunnels
    catalog = configured(context.source(), settings)
    return catalog.tunnels, catalog.problems


def _select(names: Sequence[str], group: str | None) -> list[TunnelSpec]:
    from app.core.tunnels.book import TunnelBook
    from app.core.tunnels.spec import TunnelError

    if not names and group is None:
        raise TunnelError("Name the tunnels, or give --group G.",
                          "See `gangway tunnel list`.")
    catalog, problems = catalog_tunnels()
    for why in problems:
        print(f"gangway tunnel: {why}", file=sys.stderr)
    return TunnelBook.default().select(names, group, catalog)


class _Printer:
    """Prints each state change once (not every connection count change)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, str]] = {}
        self.failed: set[str] = set()

    def tunnel_changed(self, status: TunnelStatus) -> None:
        from app.core.display import printable as clean
        from app.core.tunnels.states import TunnelState

        key = (status.state.value, status.instance_id)
        if self._last.get(status.name) == key:
            return
        self._last[status.name] = key
        if status.state is TunnelState.FAILED:
            self.failed.add(status.name)
        stream = sys.stderr if status.state is TunnelState.FAILED else sys.stdout
        print(clean(str(status)), file=stream, flush=True)

    def tunnel_log(self, line: LogLine) -> None:
        if line.kind == "state" and line.text.startswith("session "):
            from app.core.display import printable as clean

            print(f"  {clean(line.text)}", flush=True)


def run_foreground(names: Sequence[str], group: str | None) -> int:
    """`gangway tunnel run`: until SIGINT/SIGTERM; non-zero if any tunnel failed."""
    from app.commands import context
    from app.core.tunnels.opener import SeamOpener
    from app.core.tunnels.states import TunnelState
    from app.core.tunnels.supervisor import TunnelSupervisor

    specs = _select(names, group)
    paths = context.paths().ensure()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        signal.signal(sig, lambda *_: stop.set())
    from app.core.settings import SettingsStore
    from app.core.ssh.ephemeral import EphemeralKey
    from app.core.tunnels.live import Policy
    from app.core.tunnels.sshforward import SshSetup

    store = SettingsStore(paths.settings_file)
    ssh = SshSetup(keyless=lambda: store.load().sessions.keyless,
                   keys=EphemeralKey(paths.data_dir))
    supervisor = TunnelSupervisor(SeamOpener(context.source(), ssh=ssh),
                                  policy=Policy(reconnect=store.load().tunnels.reconnect),
                                  records=paths.runtime_dir / RECORDS)
    printer = _Printer()
    supervisor.subscribe(printer)
    for pid in supervisor.start():
        print(f"Stopped plugin {pid}, left behind by a Gangway that did not exit cleanly.",
              file=sys.stderr)
    try:
        results = [supervisor.up(spec) for spec in specs]
        if all(r.state is TunnelState.FAILED for r in results):
            return 1
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(3600):
            pass
    finally:
        supervisor.close()
    failed = printer.failed | {s.name for s in supervisor.statuses()
                               if s.state is TunnelState.FAILED}
    if failed:
        print(f"Failed: {', '.join(sorted(failed))}.", file=sys.stderr)
    return 1 if failed else 0


def _start_window(paths: Paths) -> bool:
    """Start Gangway (it stays in the tray) and wait until it answers over IPC."""
    from app.core import selfcmd
    from app.core.ipc import send
    from app.core.procs import start_detached

    kwargs: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                              "stderr": subprocess.DEVNULL}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    start_detached([*selfcmd.command(), "--minimized"], **kwargs)
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if send(paths, {"cmd": "ping"}, timeout=1.0) is not None:
            return True
        time.sleep(0.2)
    return False


def _saved_but_off(shown: set[str]) -> list[dict[str, Any]]:
    """Status rows for the saved tunnels the window has not switched on."""
    from app.core.tunnels.book import TunnelBook
    from app.core.tunnels.states import TunnelStatus

    return [TunnelStatus(s.name, bind=s.bind, local_port=s.local_port, target=s.target,
                         group=s.group).as_json()
            for s in TunnelBook.default().local() if s.name not in shown]


def remote(op: str, names: Sequence[str], group: str | None, *, as_json: bool = False) -> int:
    """`up`/`down`/`status` in the running Gangway."""
    from app.commands.table import format_table
    from app.core.display import json_text
    from app.core.display import printable as clean
    from app.core.ipc import send
    from app.core.paths import Paths
    from app.core.tunnels.control import request

    paths = Paths.default()
    if op != "status":
        _select(names, group)  # unknown names fail here, with the same words as `run`
    message = request(op, names, group)
    reply = send(paths, message, timeout=60.0)
    if reply is None and op == "up":
        if not _start_window(paths):
            print("gangway tunnel: Gangway did not start; try `gangway tunnel run` instead.",
                  file=sys.stderr)
            return 1
        reply = send(paths, message, timeout=60.0)
    if reply is None and op != "status":
        print("gangway tunnel: Gangway is not running, so no tunnel is on.", file=sys.stderr)
        return 0 if op == "down" else 1
    if reply is None:  # status: every saved tunnel is off
        if not as_json:
            print("Gangway is not running: every tunnel is off.")
            return 0
        reply = {"ok": True, "tunnels": []}
    if not reply.get("ok"):
        print(f"gangway tunnel: {clean(reply.get('error', 'the request failed'))}",
              file=sys.stderr)
        return 1
    rows = [r for r in reply.get("tunnels", []) if isinstance(r, dict)]
    if op == "status":
        rows += _saved_but_off({str(r.get("name")) for r in rows})
    if as_json:
        print(json_text(rows, indent=2))
    elif op == "status":
        print(format_table(("Name", "State", "Local", "Target", "Last error"),
                           [(r.get("name"), r.get("state"), r.get("local_address"),
                             r.get("instance_id") or r.get("target"), r.get("last_error"))
                            for r in rows]) if rows else "No tunnel is on.")
    else:
        for r in rows:
            print(clean(r.get("summary", "")))
    failed = [r for r in rows if r.get("state") == "failed"]
    return 1 if failed and op == "up" else 0
