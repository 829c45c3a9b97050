"""Run core calls off the GUI thread; results come back as Qt signals.

Workers never touch widgets: they only call the function and emit. A function that declares
a `progress` parameter gets a thread-safe callable that emits `Task.progress`; one that
declares `cancel` gets a `threading.Event` set by `Task.cancel()`.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)


class Task(QObject):
    result = Signal(object)
    error = Signal(object)
    progress = Signal(object)
    done = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.cancel_event = threading.Event()
        self.finished = False

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.task, self.fn, self.args, self.kwargs = task, fn, args, kwargs

    def run(self) -> None:
        # Qt's pool threads are not started by `threading`, so a tracer set with
        # threading.settrace (coverage, a debugger) never reaches them: hand it on, once.
        if sys.gettrace() is None and (trace := threading.gettrace()) is not None:
            sys.settrace(trace)
        task = self.task
        try:
            value = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            log.debug("task %s failed", task.name, exc_info=True)
            task.error.emit(exc)
        else:
            task.result.emit(value)
        finally:
            task.finished = True
            task.done.emit()


class TaskRunner(QObject):
    """Owns a thread pool; keeps each Task alive until it has finished."""

    def __init__(self, max_threads: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()

    def submit(self, fn: Callable[..., Any], *args: Any, name: str = "",
               **kwargs: Any) -> Task:
        task = Task(name or getattr(fn, "__name__", "task"))
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        if "progress" in params and "progress" not in kwargs:
            kwargs["progress"] = task.progress.emit
        if "cancel" in params and "cancel" not in kwargs:
            kwargs["cancel"] = task.cancel_event
        self._live.add(task)
        task.done.connect(lambda: self._live.discard(task))
        runnable = _Runnable(task, fn, args, kwargs)
        # Start on the next event-loop turn, so the caller can connect to the task's signals
        # right after submit() without racing a fast worker. The runner is the timer's
        # context: if it is deleted first (its owner went away), the start is dropped.
        QTimer.singleShot(0, self, lambda: self.pool.start(runnable))
        return task

    def running(self, name: str = "") -> list[Task]:
        """The tasks submitted and not yet finished (with that name, if given)."""
        return [t for t in self._live if not name or t.name == name]

    def cancel_all(self) -> None:
        for task in list(self._live):
            task.cancel()

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Cancel what runs and wait briefly; called once on quit."""
        self.cancel_all()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
