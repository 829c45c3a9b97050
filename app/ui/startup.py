"""The GUI's start-up order, painting first (`python -m app` with no verb ends here, after
`app.__main__.open_gui` found no running window to hand over to):

    GangwayApplication (window, the opening page's frame) -> show
    -> [event loop: first paint] -> finish_start(): services, tray, panes, wiring, IPC listen

Only what the first paint needs is imported before it: the services, the tray, the IPC
server (QtNetwork) and every pane's module load in `finish_start`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import TracebackType

from PySide6.QtCore import QTimer

from app.core.paths import Paths
from app.ui.application import GangwayApplication

log = logging.getLogger(__name__)


def _install_excepthook(app: GangwayApplication) -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        # The dialog's module (QMessageBox and friends) loads with the first exception.
        from app.ui.crash import make_hook

        sys.excepthook = make_hook(lambda: app.window if app.window.isVisible() else None,
                                   app.paths.log_file, app.quit_now)
        sys.excepthook(kind, exc, tb)

    sys.excepthook = hook


def _handle_sigint(app: GangwayApplication) -> QTimer:
    # Python only runs signal handlers between bytecodes; a idle timer lets it in, so Ctrl-C
    # quits through aboutToQuit (stopping tunnels) instead of killing the process.
    signal.signal(signal.SIGINT, lambda *_: app.quit_now())
    signal.signal(signal.SIGTERM, lambda *_: app.quit_now())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def _has_tray() -> bool:
    """A tray to live in, so the window may stay closed (--minimized)."""
    from app.ui.tray import Tray

    return Tray.available()


def start_gui(paths: Paths, args: argparse.Namespace) -> GangwayApplication | int:
    """Everything before the event loop: the window is shown (it paints in the loop's first
    turns). An int instead of the app: the exit code, when no loop is to run (the smoke
    test ran)."""
    app = GangwayApplication(paths, sys.argv[:1])
    _install_excepthook(app)
    _handle_sigint(app)  # its timer is the app's child: it lives as long as the app
    if getattr(args, "smoke_test", False):
        from app.ui.smoke import smoke_test

        app.finish_start()
        code = smoke_test(app)
        app.shutdown()
        return code
    if not (getattr(args, "minimized", False) and _has_tray()):
        app.show_window()
    else:  # no paint to wait for
        QTimer.singleShot(0, app, app.finish_start)
    log.info("Gangway started; the window paints next")
    return app


def run_gui(paths: Paths, args: argparse.Namespace) -> int:
    started = start_gui(paths, args)
    return started if isinstance(started, int) else started.exec()
