"""Guard against PySide6 builds that leak or drop references on every signal emission.

PySide6-Essentials 6.12.0 under CPython 3.11 drops a reference to `True` per Python-side
`Signal.emit()` and to `None` per `processEvents()`; a long-running Gangway then aborts with
`bool_dealloc`. The lock excludes that release; this test keeps any future one honest.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal
from pytestqt.qtbot import QtBot

from app.ui.tasks import TaskRunner


class _Emitter(QObject):
    fired = Signal(object)


def test_signal_emission_keeps_refcounts_of_singletons(qtbot: QtBot) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(200):
        emitter.fired.emit(i)
        QCoreApplication.processEvents()
    assert len(received) == 200
    if sys.version_info < (3, 12):
        # Small slack for unrelated allocations; the bug moves these by exactly -200.
        assert sys.getrefcount(True) - true_before > -20
        assert sys.getrefcount(None) - none_before > -20
    # From 3.12 True and None are immortal (PEP 683): their counts never move, so the lines
    # above could not fail there. What the bug did can be seen on every version with an
    # ordinary object: emitting it must neither drop nor leak references to it.
    payload = object()
    payload_before = sys.getrefcount(payload)
    emitted: list[object] = []
    emitter.fired.connect(emitted.append)
    for _ in range(200):
        emitter.fired.emit(payload)
        QCoreApplication.processEvents()
    assert len(emitted) == 200
    emitted.clear()
    received.clear()
    assert sys.getrefcount(payload) == payload_before


def test_many_tasks_run_without_corrupting_the_interpreter(qtbot: QtBot) -> None:
    runner = TaskRunner(max_threads=4)
    results: list[int] = []
    for i in range(400):
        task = runner.submit(lambda n=i: n)
        task.result.connect(results.append)
    qtbot.waitUntil(lambda: len(results) == 400, timeout=30000)
    assert sorted(results) == list(range(400))
    runner.shutdown()
