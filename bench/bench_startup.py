"""Start-up cost: process start to the first paint of Gangway's main window, launched the way
`gangway` launches it, side by side with a bare PySide6 QMainWindow, in one run.

Gangway's side runs the real path (app.__main__.open_gui: argument parsing, paths, logging,
the single-instance probe, the application and its window) and stops in the event-loop turn
after the window's first paint: the sidebar, the menus and the opening page's frame are on
screen. The bare side stops the same way (the turn after its first paintEvent). Gangway
paints first: services, tray, panes, wiring and the IPC server come right after, and that
moment is reported too: "ready" (every pane built and wired, the IPC server listening).

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
    print(f"process start to the window's first paint, median of {args.runs} (offscreen)")
    print(f"  baseline: bare PySide6 QMainWindow                        {b * 1000:7.0f} ms")
    print(f"  Gangway: shown (window, sidebar, menus, the opening page's frame)"
          f" {a * 1000:7.0f} ms  ratio {a / b:.2f}x")
    print(f"  Gangway: ready (services, tray, every pane wired, IPC listening)"
          f"   {r * 1000:7.0f} ms  ratio {r / b:.2f}x")


if __name__ == "__main__":
    main()
