"""`gangway --smoke-test`: prove a (frozen) build works on this machine, then exit.

Run on the built app by `make package`, .ci/run and the release workflow. Each check prints
one line; the exit status is 0 only when every check passed, and the last line names the
ones that failed. The checks are what frozen builds get wrong:

- ipc: the single-instance socket listens, is private to the user, and answers a ping;
- keyring: the backend is an OS store, not keyring's fail/null one (entry points, #324);
- tray: a system tray exists, the icon is shown, and every tray state icon draws;
- botocore: every service model Gangway calls, and the shared tables, load from the bundle;
- proxy: with GANGWAY_SMOKE_PROXY="PROFILE TARGET [PORT]", this build's own `proxy` helper
  (run the way ssh runs it) reaches the target's SSH server and reads its banner.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QEventLoop

from app import __version__
from app.core import selfcmd
from app.core.ipc import send as ipc_send
from app.core.paths import Paths

PROXY_ENV = "GANGWAY_SMOKE_PROXY"


class _Ipc(Protocol):
    @property
    def name(self) -> str: ...


class SmokeTarget(Protocol):
    """What the smoke test reads from the running application."""

    @property
    def paths(self) -> Paths: ...
    @property
    def ipc(self) -> _Ipc: ...
    @property
    def tray(self) -> Any: ...


Check = tuple[bool, str]


def check_ipc(app: SmokeTarget, timeout: float = 5.0) -> Check:
    """Ping our own server from another thread while this one runs the event loop."""
    result: list[dict[str, Any] | None] = []
    worker = threading.Thread(
        target=lambda: result.append(ipc_send(app.paths, {"cmd": "ping"}, timeout=timeout)),
        daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout + 1
    while worker.is_alive() and time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    settle = time.monotonic() + 0.3  # let the server see the client hang up, and forget it
    while time.monotonic() < settle:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    reply = result[0] if result else None
    if not reply or not reply.get("ok"):
        return False, f"no answer on {app.ipc.name}"
    detail = f"{app.ipc.name} answered (version {reply.get('version')})"
    if sys.platform != "win32":
        st = os.stat(app.ipc.name)
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid != os.getuid() or mode & 0o077:
            return False, f"{app.ipc.name} is not private (uid {st.st_uid}, mode {mode:o})"
        detail += f", mode {mode:o}"
    if reply.get("version") != __version__:
        return False, f"{detail}, but this build is {__version__}"
    return True, detail


def check_keyring() -> Check:
    from app.core.secrets import backend_info

    info = backend_info()
    if not info.real:
        return False, f"{info.name}: {info.detail or 'not an OS keyring'}"
    return True, info.name


def check_tray(app: SmokeTarget) -> Check:
    from app.ui.resources import TRAY_STATES, tray_icon

    for state in TRAY_STATES:
        if tray_icon(state).isNull():
            return False, f"the {state!r} tray icon did not draw"
    if app.tray is None:
        return False, "no system tray on this desktop (is a tray host running?)"
    if not app.tray.icon.isVisible():
        return False, "the tray icon is not shown"
    return True, f"icon shown; states {', '.join(TRAY_STATES)} draw"


def check_botocore() -> Check:
    import botocore.session

    from app.core.aws.bundled import SERVICES, SHARED_FILES

    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    try:
        for name in SHARED_FILES:
            loader.load_data(name.removesuffix(".json"))
        for service in SERVICES:
            model = session.get_service_model(service)
            # endpoint resolution reads endpoints, partitions and the rule set: no network
            client = session.create_client(service, region_name="eu-west-1",
                                           aws_access_key_id="smoke",
                                           aws_secret_access_key="smoke")  # noqa: S106
            if not client.meta.endpoint_url:
                return False, f"{service}: no endpoint"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, f"{len(SERVICES)} service models and {len(SHARED_FILES)} tables " \
                 f"(last: {model.service_name} {model.api_version})"


def check_proxy(spec: str, timeout: float = 60.0) -> Check:
    """`<this gangway> proxy --profile P TARGET PORT` must print the SSH server's banner."""
    parts = spec.split()
    if len(parts) not in (2, 3):
        return False, f"{PROXY_ENV} must be 'PROFILE TARGET [PORT]', not {spec!r}"
    profile, target = parts[0], parts[1]
    port = parts[2] if len(parts) == 3 else "22"
    argv = [*selfcmd.command(), "proxy", "--profile", profile, target, port]
    banner: list[str] = []
    # The context closes the three pipes when the check is done (and waits: _stop reaped it).
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        stdout = proc.stdout

        def read_banner() -> None:
            # ssh, too, skips lines before the version string (RFC 4253 4.2): the plugin
            # prints "Starting session with SessionId: ..." first.
            for _ in range(20):
                text = stdout.readline().decode(errors="replace")
                if not text or text.startswith("SSH-"):
                    banner.append(text.strip())
                    return

        reader = threading.Thread(target=read_banner, daemon=True)
        reader.start()
        reader.join(timeout)
        _stop(proc)
        line = banner[0] if banner else ""
        err = "" if line.startswith("SSH-") or proc.stderr is None else \
            proc.stderr.read().decode(errors="replace").strip()
    if not line.startswith("SSH-"):
        return False, (f"{' '.join(argv[:2])} ...: no SSH banner (exit {proc.returncode}: "
                       f"{err or 'nothing on stderr'})")
    return True, f"{argv[0]} proxy -> {target}:{port}: {line}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()  # ssh going away: the proxy ends its session
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def smoke_test(app: SmokeTarget) -> int:
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("ipc", lambda: check_ipc(app)),
        ("keyring", check_keyring),
        ("tray", lambda: check_tray(app)),
        ("botocore", check_botocore),
    ]
    spec = os.environ.get(PROXY_ENV, "").strip()
    if spec:
        checks.append(("proxy", lambda: check_proxy(spec)))
    frozen = "frozen" if selfcmd.frozen() else "not frozen"
    print(f"gangway {__version__} smoke test ({frozen}: {sys.executable})", flush=True)
    failed = []
    for name, run in checks:
        try:
            ok, detail = run()
        except Exception as exc:  # a check that crashes is a failed check, said plainly
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        print(f"{name:9} {'ok' if ok else 'FAILED'}  {detail}", flush=True)
        if not ok:
            failed.append(name)
    if not spec:
        print(f"proxy     skipped  (set {PROXY_ENV}='PROFILE TARGET [PORT]' to check it)")
    print("smoke test passed" if not failed else f"smoke test FAILED: {', '.join(failed)}",
          flush=True)
    return 0 if not failed else 1
