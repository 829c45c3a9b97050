"""CachedTextDelegate draws what QStyledItemDelegate draws, pixel for pixel: the same table is
painted with each (offscreen, real fonts) and the images compared, in the states a user sees."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication, QHeaderView, QStyledItemDelegate, QTableView

from app.ui.models import instances_model as im
from app.ui.models.instances_filter import InstancesFilter
from app.ui.models.instances_model import InstancesModel, muted_text
from app.ui.theme import palette_for
from app.ui.widgets.text_cells import CachedTextDelegate
from tests.ui.instances_factory import fleet, make_row

HOSTILE = ("<b>bold</b>", "line1\nline2", "tab\there", "日本語サーバー", "n" * 255)


def _view(qtbot) -> tuple[QTableView, InstancesFilter]:
    """The Instances pane's table, as the pane sets it up."""
    model = InstancesModel()
    model.add_rows([make_row(name, n=9000 + i) for i, name in enumerate(HOSTILE)] + fleet(60))
    proxy = InstancesFilter()
    proxy.setSourceModel(model)
    proxy.set_only_connectable(False)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    # As in the pane: Access has a chip (DecorationRole), drawn by the stock delegate.
    view.setItemDelegateForColumn(im.COL_ACCESS, QStyledItemDelegate(view))
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().resizeSection(im.COL_NAME, 120)  # long names are elided
    view.resize(1200, 500)
    view.show()
    qtbot.waitExposed(view)
    return view, proxy


def _paint(view: QTableView, delegate: QStyledItemDelegate) -> QImage:
    view.setItemDelegate(delegate)
    QApplication.processEvents()
    return view.viewport().grab().toImage()


def _same(view: QTableView, stock: QStyledItemDelegate, ours: CachedTextDelegate) -> bool:
    return _paint(view, stock) == _paint(view, ours)


def test_plain_dimmed_elided_and_hostile_cells_look_as_the_stock_delegate_draws_them(qtbot):
    view, proxy = _view(qtbot)
    stock = QStyledItemDelegate(view)
    ours = CachedTextDelegate(view, proxy.cell_text, muted_text)
    assert _same(view, stock, ours)
    kept = ours.kept()
    # Drawn here: plain, dimmed (stopped, no agent) and elided texts...
    assert {"batch-1.prod", "web-2.prod", "i-0000000000000000b", "stopped", "n" * 255} <= kept
    # ...and left to the stock delegate: texts with control characters.
    assert "line1\nline2" not in kept and "tab\there" not in kept
    view.setFocus()
    view.selectRow(2)  # an active window, a selected row, the focused cell
    assert _same(view, stock, ours)
    view.verticalScrollBar().setValue(30)
    assert _same(view, stock, ours)


def test_font_and_palette_changes_are_drawn_as_the_stock_delegate_draws_them(qtbot):
    view, proxy = _view(qtbot)
    stock = QStyledItemDelegate(view)
    ours = CachedTextDelegate(view, proxy.cell_text, muted_text)
    assert _same(view, stock, ours) and ours.kept()
    font = QFont(view.font())
    font.setPointSize(font.pointSize() + 3)
    view.setFont(font)
    assert not ours.kept()  # laid out again in the new font
    assert _same(view, stock, ours) and ours.kept()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    try:
        app.setPalette(palette_for("dark"))  # drawn with the light palette's pens, it differs
        assert _same(view, stock, ours) and ours.kept()
    finally:
        app.setPalette(light)
    view.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # the stock delegate's alone
    assert not ours.kept()
    assert _same(view, stock, ours) and not ours.kept()
