"""Start-up cost: process start to the first paint of Gangway's main window, launched the way
`gangway` launches it, side by side with a bare PySide6 QMainWindow, in one run.

Gangway's side runs the real path (app.__main__.open_gui: argument parsing, paths, logging,
the single-instance probe, the application and its window) and stops in the event-loop turn
after the window's first paint: the sidebar, the menus and the opening page's frame are on
screen. The bare side stops the same way (the turn after its first paintEvent). Gangway
paints first: services, tray, panes, wiring and the IPC server come right after, and that
moment is reported too: "ready" (every pane built and wired, the IPC server listening).

Each page the window can reopen on is timed (the page a user left it on, remembered in
window.ini as the window itself saves it), or only the ones given with --page.

    .venv/bin/python bench/bench_startup.py [--runs N] [--page profiles --page instances ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # app, when run as a script

# Both scripts print when the event loop turns after the window's first paint: what a user
# waits for. Neither touches a Qt enum to find out (PySide6 builds them on first use).
BARE = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
class Window(QMainWindow):
    def paintEvent(self, event):
        super().paintEvent(event)
        QTimer.singleShot(0, lambda: (print(time.time(), flush=True), os._exit(0)))
app = QApplication(sys.argv[:1])
w = Window(); w.setWindowTitle("bare"); w.setCentralWidget(QLabel("hello")); w.resize(1180, 740)
w.show()
app.exec()
"""
# As `gangway` does, Gangway's side imports PySide6 only inside open_gui: PySide6 reads the
# source of every module imported after it (looking for `from __feature__`).
GANGWAY = """
import os, sys, time
from app import cli
from app.__main__ import open_gui
app = open_gui(cli.parse([]))
from PySide6.QtCore import QTimer
def ready():
    if not app.started:  # finish_start() has not run yet
        QTimer.singleShot(0, ready)
        return
    print(time.time(), flush=True)
    os._exit(0)
app.first_painted.connect(lambda: (print(time.time(), flush=True), QTimer.singleShot(0, ready)))
app.exec()
"""


def _time(argv: list[str], env: dict[str, str]) -> list[float]:
    """Seconds from spawning the process to the event-loop turn after its window's first
    paint (and, for Gangway, to ready)."""
    start = time.time()
    done = subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return [float(line) - start for line in done.stdout.split()]


def _remember_page(home: Path, page: str) -> None:
    """The page the window reopens on, as it saves it on quit: QSettings' INI format,
    key window/page, in the data folder (`app.ui.window_state`)."""
    from app.core.paths import Paths

    data = Paths.for_root(home).ensure().data_dir
    (data / "window.ini").write_text(f"[window]\npage={page}\n", encoding="utf-8")


def main() -> None:
    from app.ui.panes.build import PANES  # the pages the window can reopen on, in order

    known = list(PANES)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--page", action="append", choices=[p.lower() for p in known],
                        help="the page the window reopens on (repeatable; default: each)")
    args = parser.parse_args()
    pages = [p for p in known if p.lower() in (args.page or [p.lower() for p in known])]
    with tempfile.TemporaryDirectory(prefix="gangway-bench-") as tmp:
        base = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": ""}
        base.pop("PYTHONDONTWRITEBYTECODE")
        envs = {}
        for page in pages:  # one Gangway home per page, each remembering that page
            home = Path(tmp) / page.lower()
            _remember_page(home, page)
            envs[page] = {**base, "GANGWAY_HOME": str(home)}
        bare_argv = [sys.executable, "-c", BARE]
        app_argv = [sys.executable, "-c", GANGWAY]
        _time(bare_argv, base)  # warm the page cache and bytecode
        for env in envs.values():
            _time(app_argv, env)
        bare: list[float] = []
        shown: dict[str, list[float]] = {p: [] for p in pages}
        ready: dict[str, list[float]] = {p: [] for p in pages}
        for _ in range(args.runs):  # interleaved so load drifts hit every side alike
            bare.append(_time(bare_argv, base)[0])
            for page, env in envs.items():
                first, *rest = _time(app_argv, env)
                shown[page].append(first)
                ready[page].append(rest[-1] if rest else first)
    b = statistics.median(bare)
    print(f"process start to the window's first paint, median of {args.runs} (offscreen)")
    print(f"  baseline: bare PySide6 QMainWindow {b * 1000:20.0f} ms")
    for page in pages:
        a, r = statistics.median(shown[page]), statistics.median(ready[page])
        print(f"  Gangway on {page + ':':10} shown {a * 1000:7.0f} ms  ratio {a / b:.2f}x"
              f"   ready {r * 1000:7.0f} ms  ratio {r / b:.2f}x")
    print("  (shown: the window, sidebar, menus and the page's frame; ready: services, tray,"
          " every pane wired, IPC listening)")


if __name__ == "__main__":
    main()
