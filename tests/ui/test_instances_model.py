"""The instance table model and its filter proxy, with synthetic rows built by core code."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocument

from app.core.aws.discovery.permissions import Access
from app.ui.models import instances_model as im
from app.ui.models.instances_filter import InstancesFilter, parse_terms
from app.ui.models.instances_model import InstancesModel
from tests.ui.instances_factory import fleet, make_row

HOSTILE = ("<b>bold</b>", "line1\nline2", "%PATH% & calc", "$(touch /tmp/pwned)",
           "日本語サーバー", "n" * 255)


def _names(model) -> list[str]:
    return [model.index(i, im.COL_NAME).data() for i in range(model.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester):
    model = InstancesModel()
    model.add_rows(fleet(50))
    qtmodeltester.check(model, force_py=True)
    model.add_rows(fleet(20, seed=9)[:5])
    model.sort(im.COL_PRIVATE_IP, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model, force_py=True)


def test_proxy_passes_qtmodeltester(qtmodeltester):
    model = InstancesModel()
    model.add_rows(fleet(60))
    proxy = InstancesFilter()
    proxy.setSourceModel(model)
    proxy.set_text("prod")
    qtmodeltester.check(proxy, force_py=True)


def test_rows_stream_in_without_reset(qtbot):
    model = InstancesModel()
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    rows = fleet(30)
    model.add_rows(rows[:10])
    model.add_rows(rows[10:])
    assert resets == []
    assert inserted == [(0, 9), (10, 29)]
    assert model.rowCount() == 30
    # A region refreshed again replaces its rows instead of duplicating them.
    model.add_rows(rows[:10])
    assert model.rowCount() == 30


def test_display_text_is_the_raw_hostile_string():
    model = InstancesModel()
    model.add_rows([make_row(name, n=i, tags={"Owner": name}) for i, name in enumerate(HOSTILE)])
    for i, name in enumerate(HOSTILE):
        row = model.index(i, im.COL_NAME).data(im.ROW_ROLE)
        assert row.name == name
        assert model.index(i, im.COL_NAME).data() == name
        tip = model.index(i, im.COL_NAME).data(Qt.ItemDataRole.ToolTipRole)
        doc = QTextDocument()
        doc.setHtml(tip)  # what Qt does with a tooltip it takes for rich text
        assert doc.toPlainText().replace("\u2029", "\n") == name
        tags_tip = model.index(i, im.COL_TAGS).data(Qt.ItemDataRole.ToolTipRole)
        doc.setHtml(tags_tip)
        assert f"Owner = {name}" in doc.toPlainText().replace("\u2029", "\n")


def test_favourites_are_pinned_on_top_in_every_sort_order():
    rows = fleet(40)
    fav = rows[25]
    model = InstancesModel(favourites=[im.row_key(fav)])
    model.add_rows(rows)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        for col in (im.COL_NAME, im.COL_PRIVATE_IP, im.COL_AGENT, im.COL_ACCESS):
            model.sort(col, order)
            assert model.index(0, im.COL_ID).data() == fav.instance_id
            assert model.index(0, im.COL_FAV).data() == "★"
    model.sort(im.COL_NAME)
    names = _names(model)[1:]
    assert names == sorted(names, key=str.lower)
    model.set_favourite(fav, False)
    assert model.index(0, im.COL_FAV).data() == ""


def test_sorting_keeps_persistent_indexes():
    model = InstancesModel()
    rows = fleet(30)
    model.add_rows(rows)
    target = model.index(7, im.COL_NAME)
    from PySide6.QtCore import QPersistentModelIndex
    keep = QPersistentModelIndex(target)
    name = target.data()
    model.sort(im.COL_NAME, Qt.SortOrder.DescendingOrder)
    assert keep.isValid() and keep.data() == name


def test_parse_terms():
    assert parse_terms("Web  prod tag:Env=Pro tag:Purpose") == (
        ("web", "prod"), (("env", "pro"), ("purpose", None)))
    assert parse_terms("tag:") == (("tag:",), ())


def test_filter_matches_name_id_ip_and_tags():
    rows = [
        make_row("web-1.prod", n=1, tags={"Environment": "prod"}, public_ip="54.1.2.3"),
        make_row("db-1.staging", n=2, tags={"Environment": "staging", "Purpose": "db"}),
        make_row("<b>bold</b>", n=3, tags={"Owner": "o'brien"}),
        make_row("stopped-1", n=4, state="stopped", ping="ConnectionLost"),
        make_row("denied-1", n=5, access=Access.DENIED),
    ]
    model = InstancesModel()
    model.add_rows(rows)
    proxy = InstancesFilter()
    proxy.setSourceModel(model)

    def shown(text: str) -> set[str]:
        proxy.set_text(text)
        return {proxy.index(i, im.COL_NAME).data() for i in range(proxy.rowCount())}

    assert proxy.only_connectable  # on by default
    assert shown("") == {"web-1.prod", "db-1.staging", "<b>bold</b>"}
    assert shown("WEB") == {"web-1.prod"}
    assert shown(rows[1].instance_id) == {"db-1.staging"}
    assert shown("54.1.2") == {"web-1.prod"}
    assert shown(rows[2].private_ip) == {"<b>bold</b>"}
    assert shown("tag:Environment=prod") == {"web-1.prod"}
    assert shown("tag:environment=STAG") == {"db-1.staging"}
    assert shown("tag:Purpose") == {"db-1.staging"}
    assert shown("tag:Owner=o'brien <b>") == {"<b>bold</b>"}
    assert shown("db tag:Environment=prod") == set()
    proxy.set_only_connectable(False)
    assert shown("stopped") == {"stopped-1"}
    assert shown("denied") == {"denied-1"}
    assert len(shown("")) == len(rows)
    proxy.set_only_connectable(True)
    proxy.set_text("zzz")
    assert proxy.rowCount() == 0
    proxy.show_all()
    assert proxy.rowCount() == len(rows) and not proxy.only_connectable and proxy.text == ""


def test_filter_follows_streamed_rows_and_sorting():
    model = InstancesModel()
    proxy = InstancesFilter()
    proxy.setSourceModel(model)
    proxy.set_text("prod")
    rows = fleet(200)
    model.add_rows(rows[:100])
    model.add_rows(rows[100:])
    # "prod" is only in the names (*.prod) and the Environment tag of this fleet: the
    # connectable *.prod rows, 54 of the 118 connectable ones (seeded factory).
    want = {r.instance_id for r in rows if r.connectable and r.name.endswith(".prod")}
    assert len(want) == 54
    got = {proxy.index(i, im.COL_ID).data() for i in range(proxy.rowCount())}
    assert got == want
    proxy.sort(im.COL_NAME, Qt.SortOrder.AscendingOrder)
    names = [proxy.index(i, im.COL_NAME).data() for i in range(proxy.rowCount())]
    assert names == sorted(names, key=str.lower)
    assert {proxy.index(i, im.COL_ID).data() for i in range(proxy.rowCount())} == want


def test_access_column_explains_why_not():
    model = InstancesModel()
    model.add_rows([make_row("a", n=1, state="stopped", ping="ConnectionLost"),
                    make_row("b", n=2, ping=""),
                    make_row("c", n=3, access=Access.DENIED),
                    make_row("d", n=4, access=Access.UNKNOWN)])
    texts = [model.index(i, im.COL_ACCESS).data() for i in range(4)]
    assert texts == ["stopped", "no SSM agent", "not permitted", "maybe"]
    doc = QTextDocument()
    doc.setHtml(model.index(2, im.COL_ACCESS).data(Qt.ItemDataRole.ToolTipRole))
    assert "your IAM permissions do not allow a session here (test verdict); ask an " \
        "administrator for ssm:StartSession on it" in doc.toPlainText()
    doc.setHtml(model.index(3, im.COL_ACCESS).data(Qt.ItemDataRole.ToolTipRole))
    lines = doc.toPlainText().splitlines()
    assert "Permission: not checked (test verdict); AWS may still refuse the session" in lines
    assert {"A shell: yes", "SSH: yes", "Port forwarding: yes"} <= set(lines)
    assert model.data(QModelIndex()) is None


def test_unreachable_rows_are_dimmed_with_the_reason_and_plain_words():
    from PySide6.QtGui import QGuiApplication, QPalette

    model = InstancesModel()
    model.add_rows([make_row("up", n=1), make_row("lost", n=2, ping="ConnectionLost"),
                    make_row("bare", n=3, ping="")])
    rows = {model.row_at(i).name: i for i in range(3)}
    muted = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
    fg = Qt.ItemDataRole.ForegroundRole
    assert model.index(rows["up"], im.COL_NAME).data(fg) is None
    assert model.index(rows["lost"], im.COL_NAME).data(fg) == muted
    doc = QTextDocument()
    doc.setHtml(model.index(rows["lost"], im.COL_NAME).data(Qt.ItemDataRole.ToolTipRole))
    assert doc.toPlainText() == ("lost\nCannot connect: its SSM agent lost its connection; "
                                 "restart the agent or check the instance's network")
    agent = {n: model.index(i, im.COL_SSM).data() for n, i in rows.items()}
    assert agent == {"up": "online", "lost": "connection lost", "bare": "no agent"}
    assert model.index(rows["lost"], im.COL_ACCESS).data() == "agent offline"


def test_access_is_a_chip_with_a_colour_and_an_icon():
    model = InstancesModel()
    model.add_rows([make_row("up", n=1), make_row("off", n=2, state="stopped"),
                    make_row("bare", n=3, ping="")])
    rows = {model.row_at(i).name: i for i in range(3)}
    deco = Qt.ItemDataRole.DecorationRole

    def chip(name: str):
        return model.index(rows[name], im.COL_ACCESS).data(deco).pixmap(16).toImage()

    up, off = chip("up"), chip("off")
    assert not up.isNull() and up != off and off == chip("bare")
    assert model.index(rows["up"], im.COL_NAME).data(deco) is None  # only Access is a chip
    model.set_plugin_missing(True)
    assert model.index(rows["up"], im.COL_ACCESS).data() == "needs the session-manager-plugin"
    assert chip("up") not in (up, off)  # a way in once the plugin is there: its own chip
