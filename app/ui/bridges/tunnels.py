"""The window's view of the tunnel supervisor: statuses and log lines on the GUI thread.

    bridge = TunnelsBridge(supervisor, book, tasks, catalog=load_catalog)
    bridge.changed.connect(model.update_status)   # TunnelStatus, always on the GUI thread
    bridge.start()                                # supervisor up, start-at-launch tunnels on
    bridge.switch("db", True)                     # in a worker: never blocks the GUI thread

The supervisor calls its observers on its own thread; this bridge forwards each call through a
queued signal, so its caches (statuses, last 200 log lines per tunnel, the saved specs) are
only touched on the GUI thread. The pane, its model and the tray all observe this one object.
Book reads and writes (a locked file) and catalog reads (an AWS call) run in workers.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.core.errors import GangwayError
from app.core.tunnels.book import TunnelBook
from app.core.tunnels.catalog import Catalog
from app.core.tunnels.live import LOG_LINES
from app.core.tunnels.spec import TunnelError, TunnelSpec
from app.core.tunnels.states import LogLine, TunnelState, TunnelStatus
from app.core.tunnels.supervisor import TunnelSupervisor
from app.ui.tasks import Task, TaskRunner

log = logging.getLogger(__name__)

CatalogLoader = Callable[[], Catalog]


def flat(text: str, limit: int = 120) -> str:
    """One line of user/AWS text for a notification or menu: no control characters."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class TunnelNotices:
    """Failure and recovery notices: once per failure, once per recovery, never per retry.

    A tunnel that fails is announced once; its retries (failed -> reconnecting -> failed ...)
    say nothing more. When it next reaches `listening`, one "back" notice follows and the
    rule re-arms. Switching a tunnel off forgets its failure silently.
    """

    def __init__(self) -> None:
        self._failed: set[str] = set()

    def seen(self, status: TunnelStatus) -> tuple[str, str] | None:
        name, state = status.name, status.state
        if state is TunnelState.FAILED:
            if name in self._failed:
                return None
            self._failed.add(name)
            why = str(status.problem) if status.problem else "it failed"
            return f"Tunnel {flat(name, 60)} failed", flat(why, 240)
        if state is TunnelState.OFF:
            self._failed.discard(name)
        elif state is TunnelState.LISTENING and name in self._failed:
            self._failed.discard(name)
            return (f"Tunnel {flat(name, 60)} is back",
                    f"Listening on {status.local_address} again.")
        return None


class TunnelsBridge(QObject):
    changed = Signal(object)  # TunnelStatus
    logged = Signal(object)  # LogLine
    specs_changed = Signal()  # the saved tunnels (book + catalog) were re-read
    failed_changed = Signal(bool)  # whether any tunnel is failed (the tray's icon)
    notice = Signal(str, str)  # title, text: failure and recovery, once each
    error = Signal(object)  # an exception from a book edit or a switch, for a message box
    _status_in = Signal(object)
    _log_in = Signal(object)

    def __init__(self, supervisor: TunnelSupervisor, book: TunnelBook, tasks: TaskRunner,
                 catalog: CatalogLoader | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.supervisor = supervisor
        self.book = book
        self.tasks = tasks
        self._catalog_loader = catalog
        self._specs: list[TunnelSpec] = []
        self.problems: list[str] = []
        self._statuses: dict[str, TunnelStatus] = {}
        self._logs: dict[str, deque[LogLine]] = {}
        self._any_failed = False
        self.notices = TunnelNotices()
        self._unsubscribe: Callable[[], None] | None = None
        self.loaded = False  # the first read of the book has come back
        self._rereading = False
        queued = Qt.ConnectionType.QueuedConnection
        self._status_in.connect(self._on_status, queued)
        self._log_in.connect(self._on_log, queued)

    # --- TunnelObserver (called on the supervisor's thread) --------------------------------

    def tunnel_changed(self, status: TunnelStatus) -> None:
        self._status_in.emit(status)

    def tunnel_log(self, line: LogLine) -> None:
        self._log_in.emit(line)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Task:
        """Observe, then in a worker: read the saved tunnels and switch on those marked
        "start at launch" (the supervisor itself is started by `Services.start`)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.supervisor.subscribe(self)
        task = self.tasks.submit(self._start_job, name="tunnels start")
        task.result.connect(self._loaded)
        task.error.connect(self._read_failed)
        return task

    def _start_job(self) -> tuple[list[TunnelSpec], list[TunnelSpec], list[str]]:
        local, catalog, problems = self._read()
        for spec in [*local, *catalog]:  # a local tunnel already overrides a shared one
            if spec.start_at_launch:
                self.supervisor.up(spec)
        return local, catalog, problems

    def stop(self) -> None:
        """Stop observing (on quit, before `Services.stop` closes the supervisor)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- the saved tunnels -------------------------------------------------------------------

    def _read(self) -> tuple[list[TunnelSpec], list[TunnelSpec], list[str]]:
        problems = self.book.problems()
        catalog: list[TunnelSpec] = []
        if self._catalog_loader is not None:
            try:
                found = self._catalog_loader()
                catalog, problems = found.tunnels, [*problems, *found.problems]
            except GangwayError as exc:
                problems.append(f"The team catalog could not be read: {exc.one_line()}")
        local = self.book.local()
        names = {s.name for s in local}
        return local, [s for s in catalog if s.name not in names], problems

    def reload(self) -> Task:
        task = self.tasks.submit(self._read, name="tunnels read")
        task.result.connect(self._loaded)
        task.error.connect(self._read_failed)
        return task

    def _loaded(self, result: Any) -> None:
        local, catalog, problems = result
        self._specs = [*local, *catalog]
        self.problems = list(problems)
        self.loaded = True
        self.specs_changed.emit()

    def _read_failed(self, exc: object) -> None:
        """A read that failed has come back too: the pane says so instead of "Reading…"."""
        self.loaded = True
        self.specs_changed.emit()
        self.error.emit(exc)

    def specs(self) -> list[TunnelSpec]:
        return list(self._specs)

    def spec(self, name: str) -> TunnelSpec | None:
        return next((s for s in self._specs if s.name == name), None)

    def groups(self) -> list[str]:
        return sorted({s.group for s in self._specs if s.group})

    def save(self, spec: TunnelSpec, original: str = "") -> Task:
        """Add or replace a saved tunnel (renaming removes the old name). A tunnel that is on
        is switched to the new definition."""
        was_on = self.status(original or spec.name).state.is_on

        def job() -> TunnelSpec:
            if original and original != spec.name:
                self.supervisor.down(original)
                self.book.remove(original)
            saved = self.book.add(spec, replace=True)
            if was_on:
                self.supervisor.up(saved)
            return saved

        return self._edit(job, "tunnel save")

    def remove(self, name: str) -> Task:
        def job() -> bool:
            self.supervisor.down(name)
            return self.book.remove(name)

        return self._edit(job, "tunnel remove")

    def _edit(self, job: Callable[[], Any], name: str) -> Task:
        task = self.tasks.submit(job, name=name)
        task.result.connect(lambda _r: self.reload())
        task.error.connect(self.error)
        return task

    # --- switching ----------------------------------------------------------------------------

    def switch(self, name: str, on: bool) -> Task | None:
        """Switch one saved tunnel on or off, in a worker (off waits for the plugin to stop)."""
        spec = self.spec(name)
        if on and spec is None:
            self.error.emit(TunnelError(f"No tunnel is named {name!r}.", "Save it first."))
            return None
        if on:
            assert spec is not None
            task = self.tasks.submit(self.supervisor.up, spec, name=f"tunnel up {name}")
        else:
            task = self.tasks.submit(self.supervisor.down, name, name=f"tunnel down {name}")
        task.error.connect(self.error)
        return task

    def switch_group(self, group: str, on: bool) -> list[Task]:
        return [t for s in self._specs if s.group == group
                if (t := self.switch(s.name, on)) is not None]

    # --- state, on the GUI thread -----------------------------------------------------------

    def status(self, name: str) -> TunnelStatus:
        return self._statuses.get(name) or TunnelStatus(name)

    def statuses(self) -> dict[str, TunnelStatus]:
        return dict(self._statuses)

    def on_count(self) -> int:
        return sum(1 for s in self._statuses.values() if s.state.is_on)

    def any_failed(self) -> bool:
        return self._any_failed

    def log(self, name: str) -> list[LogLine]:
        """The tunnel's last LOG_LINES lines (the bridge observes from before the first up)."""
        return list(self._logs.get(name, ()))

    def _on_status(self, status: TunnelStatus) -> None:
        if self.loaded and self.spec(status.name) is None and not self._rereading:
            # Switched on by name from elsewhere (`gangway tunnel add` then `up`): re-read.
            self._rereading = True
            self.reload().done.connect(lambda: setattr(self, "_rereading", False))
        self._statuses[status.name] = status
        self.changed.emit(status)
        notice = self.notices.seen(status)
        if notice is not None:
            self.notice.emit(*notice)
        failed = any(s.state is TunnelState.FAILED for s in self._statuses.values())
        if failed != self._any_failed:
            self._any_failed = failed
            self.failed_changed.emit(failed)

    def _on_log(self, line: LogLine) -> None:
        self._logs.setdefault(line.name, deque(maxlen=LOG_LINES)).append(line)
        self.logged.emit(line)
