"""Start-up cost: process start to Gangway's main window shown (services, panes, IPC, tray),
side by side with a bare PySide6 QMainWindow shown the same way, in one run.

Gangway paints first: the page it opens on is built before the window shows, the other panes
and the wiring right after the first paint. Both moments are reported: "shown" (what the
ratio is about) and "ready" (every pane built and wired).

    .venv/bin/python bench/bench_startup.py [--runs N]
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

# Both scripts stop at the first paint of a shown window: what a user waits for.
BARE = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setWindowTitle("bare"); w.setCentralWidget(QLabel("hello")); w.resize(1180, 740)
w.show()
QTimer.singleShot(0, lambda: (print(time.time(), flush=True), os._exit(0)))
app.exec()
"""
GANGWAY = """
import os, sys, time
from PySide6.QtCore import QTimer
from app.core.paths import Paths
from app.ui.application import GangwayApplication
app = GangwayApplication(Paths.default().ensure(), sys.argv[:1])
app.show_window()
def ready():
    if not app.started:  # finish_start() has not run yet
        QTimer.singleShot(0, ready)
        return
    print(time.time(), flush=True)
    os._exit(0)
QTimer.singleShot(0, lambda: (print(time.time(), flush=True), ready()))
app.exec()
"""


def _time(argv: list[str], env: dict[str, str]) -> list[float]:
    """Seconds from spawning the process to its first event-loop turn with the window shown
    (and, for Gangway, to every pane built)."""
    start = time.time()
    done = subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return [float(line) - start for line in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gangway-bench-") as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GANGWAY_HOME": tmp,
               "PYTHONDONTWRITEBYTECODE": ""}
        env.pop("PYTHONDONTWRITEBYTECODE")
        bare_argv = [sys.executable, "-c", BARE]
        app_argv = [sys.executable, "-c", GANGWAY]
        for argv in (bare_argv, app_argv):  # warm the page cache and bytecode
            _time(argv, env)
        bare, app, ready = [], [], []
        for _ in range(args.runs):  # interleaved so load drifts hit both alike
            bare.append(_time(bare_argv, env)[0])
            shown, *rest = _time(app_argv, env)
            app.append(shown)
            ready.append(rest[-1] if rest else shown)
    b, a, r = statistics.median(bare), statistics.median(app), statistics.median(ready)
    print(f"process start to a shown window, median of {args.runs} (offscreen)")
    print(f"  baseline: bare PySide6 QMainWindow        {b * 1000:7.0f} ms")
    print(f"  Gangway: shown (services, IPC, tray, the page it opens on)"
          f" {a * 1000:7.0f} ms  ratio {a / b:.2f}x")
    print(f"  Gangway: ready (every pane built and wired)"
          f"                {r * 1000:7.0f} ms  ratio {r / b:.2f}x")


if __name__ == "__main__":
    main()
