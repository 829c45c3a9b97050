"""The tunnels model: qtmodeltester, words per state, the switch column, hostile text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.core.tunnels.states import TunnelState, TunnelStatus
from app.ui.models.tunnels_model import (
    COL_EVENT,
    COL_LOCAL,
    COL_NAME,
    COL_ON,
    COL_STATE,
    COL_TARGET,
    ROW_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    TunnelRow,
    TunnelsModel,
)
from tests.ui.tunnel_factory import HOSTILE, specs, statuses


def model() -> TunnelsModel:
    m = TunnelsModel()
    m.set_specs(specs(), statuses())
    return m


def text(m: TunnelsModel, row: int, col: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return m.data(m.index(row, col), role)


def test_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    m = model()
    qtmodeltester.check(m)
    m.update_status(TunnelStatus("web", TunnelState.OFF))
    m.set_specs([], {})
    qtmodeltester.check(m)


def test_each_state_is_worded_with_its_light_and_details(qapp: Any) -> None:
    m = model()
    by_name = {r.name: i for i, r in enumerate(m.rows)}
    web, db, kibana, grafana = (by_name[n] for n in ("web", "db", "kibana", "grafana"))
    assert text(m, web, COL_STATE) == "listening, 2 connections"
    # Short words in the table; the whole reason and fix in the tooltip (and the side panel).
    assert text(m, db, COL_STATE) == "failed: local port in use"
    tip = text(m, db, COL_STATE, Qt.ItemDataRole.ToolTipRole)
    assert "Local port 15432 is in use by postgres (pid 812). Stop that program" in tip
    assert text(m, kibana, COL_STATE) == "reconnecting, attempt 3"
    assert text(m, grafana, COL_STATE) == "idle"
    assert not text(m, web, COL_STATE, Qt.ItemDataRole.DecorationRole).isNull()
    assert text(m, web, COL_LOCAL) == "127.0.0.1:18080"
    assert text(m, db, COL_LOCAL) == "127.0.0.1:15432"  # failed before binding: the saved port
    # A Name/tag target shows which instance it meant and why.
    assert text(m, web, COL_TARGET) == ("web-1.prod → i-0aaa (newest of 2 running matches "
                                        "with a connected agent)")
    assert text(m, grafana, COL_EVENT) == "session s-1 ended: idle timeout"
    assert text(m, web, COL_ON, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    off = by_name[HOSTILE[:60]]
    assert text(m, off, COL_ON, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert text(m, off, COL_STATE) == "off"
    assert m.data(m.index(off, COL_STATE), STATE_ROLE) is TunnelState.OFF
    assert isinstance(m.data(m.index(db, 0), ROW_ROLE), TunnelRow)
    # Sorting by state puts failures first.
    keys = sorted((m.data(m.index(i, COL_STATE), SORT_ROLE), m.rows[i].name)
                  for i in range(m.rowCount()))
    assert keys[0][1] == "db"


def test_hostile_names_are_one_line_and_escaped_in_tooltips(qapp: Any) -> None:
    m = model()
    row = next(i for i, r in enumerate(m.rows) if r.spec.shared)
    shown = text(m, row, COL_NAME)
    assert "\t" not in shown and shown.endswith("(shared)")
    tip = text(m, row, COL_NAME, Qt.ItemDataRole.ToolTipRole)
    assert "<b>x</b>" not in tip and "&lt;b&gt;x&lt;/b&gt;" in tip
    target_tip = text(m, row, COL_TARGET, Qt.ItemDataRole.ToolTipRole)
    assert "<script>" not in target_tip


def test_ticking_the_switch_asks_and_the_tick_follows_the_supervisor(qtbot: Any) -> None:
    m = model()
    row = next(i for i, r in enumerate(m.rows) if r.name == "grafana")
    asked: list[tuple[str, bool]] = []
    m.switch_requested.connect(lambda n, on: asked.append((n, on)))
    index = m.index(row, COL_ON)
    assert m.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert m.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert asked == [("grafana", False)]
    # Until the supervisor says so, the row still shows it on.
    assert text(m, row, COL_ON, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    with qtbot.waitSignal(m.dataChanged):
        m.update_status(TunnelStatus("grafana", TunnelState.OFF))
    assert text(m, row, COL_ON, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert not m.setData(m.index(row, COL_NAME), "x", Qt.ItemDataRole.EditRole)


def test_names_made_from_hostile_instance_names_are_valid_tunnel_names() -> None:
    from app.core.tunnels.spec import check_name
    from app.ui.panes.tunnels_pane import tunnel_name

    for hostile in ("-oProxyCommand=sh", "evil\u202ename\x1b[31m", " spaced ", "x" * 300, "---"):
        name = tunnel_name(hostile)
        assert check_name(name) == name
    assert tunnel_name("-oProxyCommand=sh") == "oProxyCommand=sh"
    assert tunnel_name("win-1.prod", "rdp ") == "rdp win-1.prod"
