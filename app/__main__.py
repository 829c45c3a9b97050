"""Composition root: parse arguments, set up paths and logging, then run a verb or the GUI.

Startup order (GUI): paths -> logging -> single-instance check (before Qt loads) ->
QApplication -> window -> first paint -> services, tray, panes, IPC server
(app/ui/startup.py). Nothing happens at import time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.ui.application import GangwayApplication


def main(argv: Sequence[str] | None = None) -> int:
    from app import cli
    from app.core.errors import GangwayError

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--owned-child-watchdog"]:  # app.core.owned, in a frozen build
        from app.core import watchdog

        return watchdog.main(argv[1:])
    args = cli.parse(argv)
    try:
        return _start(args)
    except GangwayError as exc:  # e.g. a runtime directory another user owns
        print(f"gangway: {exc.one_line()}", file=sys.stderr)
        return 1


def _start(args: argparse.Namespace) -> int:
    from app import cli

    if args.verb is not None:
        # Verbs log only when asked: they run under ssh and the AWS CLI, where stderr is
        # the user's terminal, and a cache hit must stay fast.
        if args.debug:
            from app.core.logsetup import setup_logging
            from app.core.paths import Paths

            paths = Paths.default().ensure()
            setup_logging(paths.log_dir / "cli.log", logging.DEBUG)
        return cli.run_verb(args)

    started = open_gui(args)
    return started if isinstance(started, int) else started.exec()


def open_gui(args: argparse.Namespace) -> GangwayApplication | int:
    """Paths, logging, then the window, shown, its event loop not yet running (an int: the
    exit code when there is no loop to run). bench/bench_startup.py times this path."""
    from app.core.logsetup import setup_logging
    from app.core.paths import Paths

    paths = Paths.default().ensure()
    setup_logging(paths.log_file, logging.DEBUG if args.debug else logging.INFO)
    from app.core.ipc import send as ipc_send

    # A second launch hands over to the running window and exits, before Qt even loads.
    if ipc_send(paths, {"cmd": "show"}, timeout=2.0) is not None:
        logging.getLogger(__name__).info(
            "another Gangway is running; asked it to show its window")
        return 0
    from app.ui.startup import start_gui

    return start_gui(paths, args)


if __name__ == "__main__":
    sys.exit(main())
