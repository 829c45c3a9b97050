"""Click to terminal process: from a session action to the terminal's process existing.

- baseline: a bare `subprocess.Popen` of the same terminal argv on the calling thread (the
  least any launcher can do: no checks, no command building, GUI thread blocked meanwhile);
- Gangway: `SessionActions.trigger("shell", row)` (capability check, command from core,
  plugin check, terminal lookup, Popen in a TaskRunner worker) until `launched` is emitted,
  and the same for SSH (`launch()` of the request the SSH dialog's Connect builds).
While Gangway launches, a 5 ms QTimer records the longest gap between its ticks: the longest
the GUI thread was busy (it never waits for the worker).

The "terminal" is `/bin/true {command}` via the custom-template setting and the plugin a stub
that answers `--version`, so the figures are Gangway's own cost, not a terminal's start-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 20
# PySide6 6.12.0 on CPython 3.11 returns True/False/None from many calls (every
# SignalInstance.emit(), processEvents(), ...) without taking a reference, as if they were
# immortal (they are only from 3.12). Each such call drops their refcount by one until the
# interpreter aborts (bool_dealloc/none_dealloc). `_pin_singletons` adds references that are
# never released, so this benchmark's process survives to exit; the real fix is a PySide6
# release without the bug (or Python >= 3.12).
PINNED_REFS = 200_000


def _pin_singletons() -> None:
    import ctypes

    if sys.version_info >= (3, 12):
        return
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    for obj in (True, False, None):
        for _ in range(PINNED_REFS):
            incref(obj)
PLUGIN = "#!/bin/sh\necho 1.2.694.0\n"


def _baseline(argv: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    elapsed = time.perf_counter() - t0
    proc.wait()
    return elapsed


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.actions import Action
    from app.core.launch import launch
    from app.core.paths import Paths
    from app.core.settings import SessionSettings, SettingsStore
    from app.ui.session_actions import Launched, SessionActions
    from app.ui.tasks import TaskRunner
    from tests.ui.instances_factory import make_row

    _pin_singletons()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="gangway-bench-") as tmp:
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        (bin_dir / "session-manager-plugin").write_text(PLUGIN)
        (bin_dir / "session-manager-plugin").chmod(0o755)
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        paths = Paths.for_root(Path(tmp) / "gw").ensure()
        settings = SettingsStore(paths.settings_file)
        settings.update(sessions=SessionSettings(template="/bin/true {command}"))
        runner = TaskRunner()
        actions = SessionActions(runner, paths, settings, None, profile=lambda _r: "default",
                                 gangway=[sys.executable, "-m", "app"])
        row = make_row("web-1.prod", n=1)
        got: list[Launched] = []
        actions.launched.connect(got.append)
        actions.failed.connect(lambda exc: sys.exit(f"launch failed: {exc}"))

        def measure(start: object) -> tuple[float, float]:
            gaps: list[float] = []
            clock = QElapsedTimer()
            tick = QTimer()
            tick.setInterval(5)
            last = [0.0]

            def on_tick() -> None:
                now = clock.nsecsElapsed() / 1e6
                gaps.append(now - last[0])
                last[0] = now

            tick.timeout.connect(on_tick)
            got.clear()
            loop = QEventLoop()
            actions.launched.connect(loop.quit)
            clock.start()
            tick.start()
            t0 = time.perf_counter()
            start()  # type: ignore[operator]
            if not got:
                loop.exec()  # the GUI thread runs its event loop while the worker launches
            elapsed = time.perf_counter() - t0
            tick.stop()
            actions.launched.disconnect(loop.quit)
            got[0].proc.wait()
            return elapsed, max(gaps, default=0.0)

        ssh_req = actions.request(Action.SSH, row)
        shell_argv = list(launch(actions.request(Action.SHELL, row),
                                 template="/bin/true {command}").argv)
        measure(lambda: actions.trigger("shell", row))  # warm-up (imports, detection)
        base = [_baseline(shell_argv) for _ in range(RUNS)]
        shell = [measure(lambda: actions.trigger("shell", row)) for _ in range(RUNS)]
        ssh = [measure(lambda: actions.launch(ssh_req)) for _ in range(RUNS)]
        runner.shutdown()
        app.processEvents()

    b = statistics.median(base) * 1000
    print(f"click-to-terminal-process, median of {RUNS} (terminal = /bin/true):")
    print(f"  baseline bare Popen on the GUI thread : {b:7.2f} ms")
    for label, rows in (("shell", shell), ("ssh", ssh)):
        t = statistics.median(r[0] for r in rows) * 1000
        gap = max(r[1] for r in rows)
        median_gap = statistics.median(r[1] for r in rows)
        print(f"  Gangway {label:<5} action -> launched    : {t:7.2f} ms  "
              f"(ratio {t / b:5.1f}x baseline)")
        print(f"    longest event-loop gap (5 ms timer): median {median_gap:5.1f} ms, "
              f"worst {gap:5.1f} ms")


if __name__ == "__main__":
    main()
