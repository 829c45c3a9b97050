"""`make screenshots`: render Gangway's window and states under Xvfb into build/screenshots/.

The parent process starts Xvfb and a tray host (trayer), then re-runs itself on that display;
the child starts the local AWS sandbox, builds the real application against it and runs every
scene in `SCENES`. A scene gets a `Ctx` and returns the widget to capture (or None when it saved
its own PNGs). Add a scene with the `@scene("name")` decorator, in this file or in a module
listed in `SCENE_MODULES`.

    python scripts/screenshots.py [--only NAME ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.ui.application import GangwayApplication

CHILD_FLAG = "GANGWAY_SCREENSHOTS_CHILD"
SCREEN = (1600, 1000)


@dataclass
class Ctx:
    app: GangwayApplication
    out: Path
    sandbox: Any
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def settle(self, ms: int = 300) -> None:
        """Let Qt process events (layouts, paints, queued task signals) for `ms`."""
        from PySide6.QtCore import QCoreApplication, QEventLoop

        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 20.0) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if predicate():
                return True
            self.settle(50)
        return False

    def save(self, widget: QWidget, name: str) -> Path:
        path = self.out / f"{name}.png"
        widget.grab().save(str(path))
        return path

    def save_screen(self, name: str) -> Path:
        from PySide6.QtGui import QGuiApplication

        path = self.out / f"{name}.png"
        QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
        return path


Scene = Callable[[Ctx], "QWidget | None"]
SCENES: dict[str, Scene] = {}
# Modules whose import registers more scenes (each feature keeps its scenes next to its tests).
SCENE_MODULES: list[str] = [
    "scripts.scenes_profiles", "scripts.scenes_instances", "scripts.scenes_sessions",
    "scripts.scenes_craft",
    "scripts.scenes_tunnels", "scripts.scenes_startup",
]


def scene(name: str) -> Callable[[Scene], Scene]:
    def register(fn: Scene) -> Scene:
        SCENES[name] = fn
        return fn

    return register


@scene("main-window")
def main_window(ctx: Ctx) -> QWidget:
    ctx.app.show_window()
    ctx.settle(500)
    return ctx.app.window


@scene("main-window-panes")
def main_window_panes(ctx: Ctx) -> None:
    window = ctx.app.window
    ctx.app.show_window()
    for title in list(window.panes):
        window.show_pane(title)
        ctx.settle(400)
        ctx.save(window, f"pane-{title.lower()}")
    window.show_pane(next(iter(window.panes)))


@scene("tray")
def tray(ctx: Ctx) -> None:
    ctx.app.show_window()
    ctx.settle(800)
    ctx.save_screen("desktop-with-tray")
    if ctx.app.tray is None:
        ctx.notes.append("tray: no system tray available on this display")
        return
    menu = ctx.app.tray.menu
    menu.popup(ctx.app.window.geometry().topRight())
    ctx.settle(500)
    ctx.save(menu, "tray-menu")
    menu.hide()


# --- parent: virtual screen and tray host ---------------------------------------------------

@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("Xvfb is not installed (Debian/Ubuntu: sudo apt install xvfb).")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = ":" + pipe.readline().strip()
    helpers: list[subprocess.Popen[bytes]] = []
    try:
        env = {**os.environ, "DISPLAY": display}
        if shutil.which("trayer"):
            helpers.append(subprocess.Popen(
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                 "--height", "28", "--transparent", "false", "--tint", "0x2b2b2b",
                 "--SetDockType", "true"], env=env, stderr=subprocess.DEVNULL))
            time.sleep(0.8)
        yield display
    finally:
        for p in [*helpers, proc]:
            p.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(5)


def parent(argv: list[str]) -> int:
    with virtual_display() as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", CHILD_FLAG: "1"}
        env.pop("WAYLAND_DISPLAY", None)
        return subprocess.call([sys.executable, __file__, *argv], env=env)


# --- child: sandbox + application + scenes --------------------------------------------------

@contextlib.contextmanager
def sandbox_environment(home: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """Start the local AWS sandbox and point the standard AWS settings at it."""
    from tests.sandbox.launch import running_sandbox

    with running_sandbox(home) as (sandbox, env):
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        # Keep the virtual display for Qt.
        for key in ("DISPLAY", "QT_QPA_PLATFORM", CHILD_FLAG, "XAUTHORITY"):
            if key in saved:
                os.environ[key] = saved[key]
        try:
            yield sandbox, env
        finally:
            os.environ.clear()
            os.environ.update(saved)


def child(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for module in SCENE_MODULES:
        importlib.import_module(module)
    wanted = args.only or list(SCENES)
    unknown = [n for n in wanted if n not in SCENES]
    if unknown:
        print(f"unknown scenes: {', '.join(unknown)}; known: {', '.join(SCENES)}")
        return 2
    with tempfile.TemporaryDirectory(prefix="gangway-shots-") as tmp:
        home = Path(tmp)
        with sandbox_environment(home) as (sandbox, env):
            from app.core.paths import Paths
            from app.ui.application import GangwayApplication

            paths = Paths.default().ensure()
            app = GangwayApplication(paths, [sys.argv[0]])
            app.finish_start()  # no first paint to wait for: the window is not shown yet
            ctx = Ctx(app=app, out=out, sandbox=sandbox, env=env)
            failed = 0
            for name in wanted:
                try:
                    widget = SCENES[name](ctx)
                    if widget is not None:
                        ctx.settle(300)
                        ctx.save(widget, name)
                        if widget.isWindow() and widget is not app.window:
                            widget.close()  # a dialog left open shows up in later desktops
                    print(f"ok    {name}")
                except Exception:
                    failed += 1
                    print(f"FAIL  {name}")
                    traceback.print_exc()
            app.shutdown()
    for note in ctx.notes:
        print(f"note: {note}")
    pngs = sorted(out.glob("*.png"))
    print(f"{len(pngs)} PNGs in {out}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="scene names to render (default: all)")
    parser.add_argument("--out", default=str(ROOT / "build" / "screenshots"))
    args = parser.parse_args()
    if os.environ.get(CHILD_FLAG) != "1":
        return parent(sys.argv[1:])
    return child(args)


if __name__ == "__main__":
    # Run from the importable module, so scene modules that import `scripts.screenshots`
    # register into the same SCENES as the one that runs them.
    sys.exit(importlib.import_module("scripts.screenshots").main())
