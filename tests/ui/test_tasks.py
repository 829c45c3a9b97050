"""The task runner's pool threads."""

from __future__ import annotations

import threading
from types import FrameType
from typing import Any

from pytestqt.qtbot import QtBot

from app.ui.tasks import TaskRunner


def test_a_tracer_set_for_threads_reaches_pool_tasks(qtbot: QtBot) -> None:
    """Qt starts its pool threads itself, so `threading.settrace` (how coverage.py and
    debuggers reach new threads) would miss every task unless the runner hands it on."""
    calls: list[int] = []

    def job() -> int:
        return threading.get_ident()

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is job.__code__:
            calls.append(threading.get_ident())

    before = threading.gettrace()
    threading.settrace(tracer)
    try:
        runner = TaskRunner(max_threads=1)  # a new pool: threads that never ran a task
        task = runner.submit(job)
        with qtbot.waitSignal(task.result, timeout=10_000) as got:
            pass
        runner.shutdown()
    finally:
        threading.settrace(before)
    assert got.args[0] != threading.get_ident()  # it ran on a pool thread
    assert calls == [got.args[0]]
