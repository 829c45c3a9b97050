"""The Instances filter model: typing on and back, selection kept, the source followed, and the
roles a painted cell gets. Real models and a real QTableView (offscreen)."""

from __future__ import annotations

from PySide6.QtCore import QModelRoleData, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from app.core.aws.discovery.permissions import Access
from app.ui.models import instances_model as im
from app.ui.models.instances_filter import InstancesFilter, narrows
from app.ui.models.instances_model import InstancesModel
from tests.ui.instances_factory import make_row

NAMES = ("web-1.prod", "web-12.prod", "web-2.staging", "api-1.prod", "db-1.prod")


def _rows():
    return [make_row(name, n=i, region="eu-west-1" if name.startswith("db") else "us-east-1")
            for i, name in enumerate(NAMES)]


def _filtered(rows=None, text: str = ""):
    model = InstancesModel()
    model.add_rows(_rows() if rows is None else rows)
    proxy = InstancesFilter()
    proxy.setSourceModel(model)
    proxy.set_text(text)
    return model, proxy


def _shown(proxy: InstancesFilter) -> list[str]:
    return [proxy.index(i, im.COL_NAME).data() for i in range(proxy.rowCount())]


def test_narrows_only_when_every_row_the_new_text_accepts_was_shown():
    web, web1 = (("web",), (), True), (("web-1",), (), True)
    assert narrows(web, web1)
    assert not narrows(web1, web)
    assert narrows(web, (("prod", "web-1"), (), True))
    assert not narrows((("web", "prod"), (), True), web1)  # "prod" is no longer required
    env = (("env", "prod"),)
    assert narrows(((), env, True), (("web",), env, True))
    assert not narrows(((), env, True), web)
    assert narrows((("web",), (), False), web)  # "only connectable" turned on
    assert not narrows(web, (("web",), (), False))  # ... and off


def test_typing_on_and_back_shows_what_a_fresh_filter_shows():
    _model, proxy = _filtered()
    seen = {}
    for text in ("w", "web", "web-1", "web-1.", "web-1.p", "web-1", "web", "", "prod web"):
        proxy.set_text(text)
        seen[text] = _shown(proxy)
        assert seen[text] == _shown(_filtered(text=text)[1])
    assert seen["web-1"] == ["web-1.prod", "web-12.prod"]
    assert seen["web-1.p"] == ["web-1.prod"]
    assert seen[""] == list(NAMES)
    assert seen["prod web"] == ["web-1.prod", "web-12.prod"]


def test_one_layout_change_per_keystroke_and_none_when_nothing_changes(qtbot):
    _model, proxy = _filtered()
    signals: list[str] = []
    for name in ("layoutChanged", "rowsRemoved", "rowsInserted", "modelReset"):
        getattr(proxy, name).connect(lambda *_, name=name: signals.append(name))
    proxy.set_text("web")
    assert signals == ["layoutChanged"]
    proxy.set_text("web-")  # the same three rows
    proxy.set_text("web- ")  # the same terms
    assert signals == ["layoutChanged"] and proxy.text == "web- "


def test_the_selection_follows_its_row_through_filtering_and_sorting(qtbot):
    model, proxy = _filtered()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.selectRow(NAMES.index("web-12.prod"))

    def selected() -> list[str]:
        return [i.data() for i in view.selectionModel().selectedRows(im.COL_NAME)]

    proxy.set_text("web")
    assert selected() == ["web-12.prod"] and view.currentIndex().row() == 1
    model.sort(im.COL_NAME, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy) == ["web-2.staging", "web-12.prod", "web-1.prod"]
    assert selected() == ["web-12.prod"] and view.currentIndex().row() == 1
    proxy.set_text("api")
    assert selected() == [] and not view.currentIndex().isValid()
    proxy.set_text("")
    assert selected() == []  # a row filtered out is not selected again (as before)


def test_streamed_rows_arrive_as_insertions_while_a_filter_is_set(qtbot):
    model = InstancesModel()
    proxy = InstancesFilter()
    proxy.setSourceModel(model)
    proxy.set_text("prod")
    inserted: list[tuple[int, int]] = []
    resets: list[int] = []
    proxy.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    proxy.modelReset.connect(lambda: resets.append(1))
    rows = _rows()
    model.add_rows(rows[:3])  # two *.prod
    model.add_rows(rows[3:])  # two more
    assert inserted == [(0, 1), (2, 3)] and resets == []
    assert _shown(proxy) == ["web-1.prod", "web-12.prod", "api-1.prod", "db-1.prod"]


def test_removed_regions_resets_and_unreachable_rows_are_followed():
    rows = [*_rows(), make_row("stopped-1.prod", n=9, state="stopped", ping="ConnectionLost"),
            make_row("denied-1.prod", n=10, access=Access.DENIED)]
    model, proxy = _filtered(rows, "prod")
    assert _shown(proxy) == ["web-1.prod", "web-12.prod", "api-1.prod", "db-1.prod"]
    proxy.set_only_connectable(False)
    assert _shown(proxy)[-2:] == ["stopped-1.prod", "denied-1.prod"]
    model.remove_region("eu-west-1")
    assert _shown(proxy) == ["web-1.prod", "web-12.prod", "api-1.prod", "stopped-1.prod",
                             "denied-1.prod"]
    model.set_rows(rows[:2])
    assert _shown(proxy) == ["web-1.prod", "web-12.prod"]
    model.clear()
    assert proxy.rowCount() == 0


def test_plugin_missing_and_favourites_reach_the_shown_rows():
    model, proxy = _filtered(text="web")
    changed: list[tuple[int, int, int, int]] = []
    proxy.dataChanged.connect(lambda a, b, _roles: changed.append(
        (a.row(), a.column(), b.row(), b.column())))
    model.set_plugin_missing(True)
    assert changed == [(0, im.COL_ACCESS, 2, im.COL_ACCESS)]
    assert proxy.index(0, im.COL_ACCESS).data() == im.NEEDS_PLUGIN
    fav = model.rows[NAMES.index("web-2.staging")]
    model.set_favourite(fav, True)  # pinned on top: the source moves it, the filter follows
    assert _shown(proxy) == ["web-2.staging", "web-1.prod", "web-12.prod"]
    assert proxy.index(0, im.COL_FAV).data() == "★"
    assert proxy.index(0, im.COL_NAME).data(im.ROW_ROLE) == fav


def test_each_cell_gets_its_own_roles_when_the_delegate_reuses_its_span(qtbot):
    """QStyledItemDelegate keeps one multiData() span for every cell it paints: a dimmed
    row's colour must not carry over to the next row."""
    rows = [make_row("lost-1", n=1, ping="ConnectionLost"), make_row("up-1", n=2)]
    _model, proxy = _filtered(rows)
    proxy.set_only_connectable(False)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    delegate = QStyledItemDelegate(view)
    muted = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
    texts, colours = [], []
    for row in (0, 1, 0, 1):
        option = QStyleOptionViewItem()
        option.initFrom(view)
        delegate.initStyleOption(option, proxy.index(row, im.COL_NAME))
        texts.append(option.text)
        colours.append(option.palette.color(QPalette.ColorRole.Text) == muted)
    assert texts == ["lost-1", "up-1", "lost-1", "up-1"]
    assert colours == [True, False, True, False]
    one = QModelRoleData(Qt.ItemDataRole.DisplayRole)
    proxy.multiData(proxy.index(1, im.COL_ID), one)
    assert one.data() == rows[1].instance_id


def test_cell_text_is_what_the_display_role_and_foreground_say():
    rows = [make_row("lost-1", n=1, ping="ConnectionLost"), make_row("up-1", n=2)]
    _model, proxy = _filtered(rows)
    proxy.set_only_connectable(False)
    assert [proxy.cell_text(r, im.COL_NAME) for r in range(2)] == [("lost-1", True),
                                                                  ("up-1", False)]
    assert proxy.cell_text(1, im.COL_ACCESS) == ("yes", False)
    assert proxy.cell_text(0, im.COL_SSM) == ("connection lost", True)


def test_a_new_source_replaces_the_old_one_and_out_of_range_cells_are_empty():
    first, proxy = _filtered(text="web")
    second = InstancesModel()
    second.add_rows([make_row("web-9.prod", n=99)])
    proxy.setSourceModel(second)
    assert proxy.sourceModel() is second and _shown(proxy) == ["web-9.prod"]
    first.add_rows([make_row("web-7.prod", n=77)])  # no longer followed
    first.clear()
    assert _shown(proxy) == ["web-9.prod"]
    assert not proxy.index(1, im.COL_NAME).isValid()
    assert not proxy.index(0, im.NCOLS).isValid()
    assert proxy.data(proxy.index(0, im.COL_NAME), Qt.ItemDataRole.DecorationRole) is None
    assert proxy.headerData(im.COL_NAME, Qt.Orientation.Horizontal) == "Name"
    assert proxy.headerData(0, Qt.Orientation.Vertical) is None
    empty = InstancesFilter()
    empty.set_text("web")
    assert empty.rowCount() == 0 and empty.headerData(0, Qt.Orientation.Horizontal) is None
