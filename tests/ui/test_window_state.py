"""The window remembers its size, its page, and each table's columns and sort (QSettings in
the data directory), with a column chooser on the header (pytest-qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QLabel

from app.core.paths import Paths
from app.ui.main_window import DEFAULT_SIZE, MainWindow, default_size
from app.ui.models import instances_model as im
from app.ui.tasks import TaskRunner
from app.ui.widgets.column_chooser import install_column_chooser
from app.ui.window_state import WindowState
from tests.ui.instances_factory import fleet, instances_pane


def _window(qtbot: Any, paths: Paths, runner: TaskRunner) -> tuple[MainWindow, Any]:
    pane = instances_pane(runner, paths, profiles=["default"])
    window = MainWindow(paths, [("Profiles", QLabel("p")), ("Instances", pane),
                                ("Sessions", QLabel("s"))])
    qtbot.addWidget(window)
    install_column_chooser(pane.view)
    pane.model.set_rows(fleet(50))
    return window, pane


def test_size_page_columns_and_sort_come_back(qtbot: Any, tmp_path: Path) -> None:
    paths = Paths.for_root(tmp_path / "gw").ensure()
    runner = TaskRunner()
    window, pane = _window(qtbot, paths, runner)
    window.show()
    window.resize(780, 520)  # within the offscreen screen (800x600): restore clamps to it
    window.show_pane("Instances")
    header = pane.view.horizontalHeader()
    # The user hides "Public IP" from the header's menu and sorts by Region.
    header.customContextMenuRequested.emit(QPoint(10, 5))
    menu = pane.view.property("column_menu")
    public = next(a for a in menu.actions() if a.text() == "Public IP")
    public.trigger()
    assert header.isSectionHidden(im.COL_PUBLIC_IP)
    menu.hide()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(im.COL_REGION) + 10, 5))
    assert header.sortIndicatorSection() == im.COL_REGION
    header.resizeSection(im.COL_NAME, 321)
    WindowState(paths.data_dir).save(window, {"instances": pane.view}, "Instances")
    assert (paths.data_dir / "window.ini").stat().st_mode & 0o777 == 0o600

    again, pane2 = _window(qtbot, paths, runner)
    WindowState(paths.data_dir).restore(again, {"instances": pane2.view}, again.show_pane)
    again.show()
    header2 = pane2.view.horizontalHeader()
    assert again.size() == QSize(780, 520)
    assert again.stack.currentWidget() is pane2
    assert header2.isSectionHidden(im.COL_PUBLIC_IP)
    assert header2.sectionSize(im.COL_NAME) == 321
    assert header2.sortIndicatorSection() == im.COL_REGION
    regions = [pane2.model.row_at(i).region for i in range(pane2.model.rowCount())]
    assert regions == sorted(regions)  # the model is sorted to match, not just the arrow
    runner.shutdown(timeout_ms=5000)


def test_a_broken_state_file_leaves_the_defaults(qtbot: Any, tmp_path: Path) -> None:
    paths = Paths.for_root(tmp_path / "gw").ensure()
    (paths.data_dir / "window.ini").write_text("[window]\ngeometry=@ByteArray(garbage)\n"
                                               "[tables]\ninstances=not bytes\n")
    runner = TaskRunner()
    window, pane = _window(qtbot, paths, runner)
    WindowState(paths.data_dir).restore(window, {"instances": pane.view}, window.show_pane)
    assert window.size() == default_size()
    assert not pane.view.horizontalHeader().isSectionHidden(im.COL_PUBLIC_IP)
    runner.shutdown(timeout_ms=5000)


def test_the_last_column_cannot_be_hidden(qtbot: Any, tmp_path: Path) -> None:
    runner = TaskRunner()
    _unused, pane = _window(qtbot, Paths.for_root(tmp_path / "gw").ensure(), runner)
    header = pane.view.horizontalHeader()
    for col in range(1, header.count()):
        header.setSectionHidden(col, True)
    header.customContextMenuRequested.emit(QPoint(5, 5))
    menu = pane.view.property("column_menu")
    first = menu.actions()[0]
    assert first.isChecked() and not first.isEnabled()
    menu.hide()
    assert DEFAULT_SIZE.width() >= 1400
    runner.shutdown(timeout_ms=5000)
