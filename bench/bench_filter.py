"""Filter-as-you-type over 10,000 instances, and the memory those rows cost.

Keystrokes: "web-1.prod" typed one character at a time into the pane's filter box, then erased
with backspace; each keystroke is timed until the view has processed the change and repainted.
Baseline: the same view over a stock QSortFilterProxyModel filtering every column with
setFilterFixedString (what a plain Qt table does). Goal for Gangway: median under 16 ms.
Wall-clock times and the GUI thread's CPU time are both printed: on a loaded machine the
first grows with the load, the second much less.
Memory: resident set size of the pane with 10,000 rows against the same pane empty.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROWS = 10_000
TEXT = "web-1.prod"


def rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # peak, not current: the best portable figure

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def keystrokes() -> list[str]:
    typed = [TEXT[:i] for i in range(1, len(TEXT) + 1)]
    return typed + [TEXT[:i] for i in range(len(TEXT) - 1, -1, -1)]


def time_typing(app, view, set_text) -> tuple[list[float], list[float], list[float]]:
    """Per keystroke: (filter: text set and events processed, frame: that plus a repaint,
    the frame's CPU time on the GUI thread: what a loaded machine inflates least)."""
    filt, frame, cpu = [], [], []
    for text in keystrokes():
        start, start_cpu = time.perf_counter(), time.thread_time()
        set_text(text)
        app.processEvents()
        filt.append(time.perf_counter() - start)
        view.viewport().repaint()
        frame.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return filt, frame, cpu


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.1f} ms, max {max(values) * 1000:6.1f} ms"


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from app.core.paths import Paths
    from app.ui.tasks import TaskRunner
    from tests.ui.instances_factory import fleet, instances_pane

    app = QApplication.instance() or QApplication([])
    home = Path(tempfile.mkdtemp(prefix="gangway-bench-"))
    pane = instances_pane(TaskRunner(), Paths.for_root(home), profiles=["bench"])
    pane.resize(1400, 900)
    pane.show()
    app.processEvents()
    gc.collect()
    empty = rss_mb()
    pane.model.add_rows(fleet(ROWS))
    pane.only_connectable.setChecked(False)  # all 10,000 rows in play
    app.processEvents()
    pane.view.viewport().repaint()
    gc.collect()
    full = rss_mb()

    # Warm-up pass, then the measured pass.
    time_typing(app, pane.view, pane.filter_edit.setText)
    ours = time_typing(app, pane.view, pane.filter_edit.setText)

    stock = QSortFilterProxyModel()
    stock.setSourceModel(pane.model)
    stock.setFilterKeyColumn(-1)
    stock.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    base_view = QTableView()
    base_view.setModel(stock)
    base_view.verticalHeader().hide()
    base_view.resize(1400, 900)
    base_view.show()
    app.processEvents()
    time_typing(app, base_view, stock.setFilterFixedString)
    base = time_typing(app, base_view, stock.setFilterFixedString)

    print(f"filter-as-you-type over {ROWS} rows, {len(ours[0])} keystrokes "
          f"('{TEXT}' then backspace); load average {os.getloadavg()[0]:.1f}")
    for label, i in (("filter only", 0), ("filter + repaint", 1),
                     ("filter + repaint, GUI-thread CPU time", 2)):
        ratio = statistics.median(ours[i]) / statistics.median(base[i])
        print(f"  {label}:")
        print(f"    baseline (stock proxy, all columns): {_ms(base[i])}")
        print(f"    gangway (InstancesFilter):           {_ms(ours[i])}  ratio {ratio:.2f}x")
    print("  goal: gangway median under 16 ms per keystroke")
    print(f"memory: empty pane {empty:.1f} MB RSS, with {ROWS} rows {full:.1f} MB "
          f"(+{full - empty:.1f} MB, {(full - empty) * 1024 / ROWS:.1f} KB/row)")
    base_view.close()
    pane.close()
    base_view.setModel(None)
    pane.deleteLater()
    base_view.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    main()
