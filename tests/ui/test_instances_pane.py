"""The Instances pane with real discovery against the sandbox (pytest-qt, offscreen)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from app.core.aws.discovery.rows import InstanceRow
from app.core.paths import Paths
from app.ui.models import instances_model as im
from app.ui.panes.instances_menu import menu_text
from app.ui.panes.instances_pane import ALL_REGIONS, InstancesPane
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import instances_pane


@pytest.fixture
def pane(qtbot: Any, aws_env: Any, tmp_path) -> Iterator[InstancesPane]:
    paths = Paths.for_root(tmp_path / "gw")
    runner = TaskRunner()
    widget = instances_pane(runner, paths, profiles=["default", "jumpbox-only"])
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    # No worker may outlive the test's AWS settings.
    runner.shutdown(timeout_ms=30000)


def refresh(qtbot: Any, pane: InstancesPane, timeout: int = 60000) -> None:
    with qtbot.waitSignal(pane.refreshed, timeout=timeout):
        pane.refresh()


def view_rows(pane: InstancesPane) -> list[InstanceRow]:
    model = pane.view.model()
    return [model.index(i, 0).data(im.ROW_ROLE) for i in range(model.rowCount())]


def test_empty_states_before_anything_is_listed(qtbot, aws_env, tmp_path):
    bare = instances_pane(TaskRunner(), Paths.for_root(tmp_path / "x"))
    qtbot.addWidget(bare)
    # Before the names arrive from the worker: "Reading your AWS profiles…", not "Pick one".
    assert bare.stack.currentWidget() is bare.frame.loading
    bare.refresh()  # no profile: nothing to do, no crash
    assert not bare.busy
    bare.set_profiles(["default"])
    assert bare.stack.currentWidget() is bare.empty_none
    assert "Refresh" in bare.empty_none.title_label.text()


def test_lists_a_region_with_reasons_and_only_connectable_by_default(qtbot, pane, aws_env):
    fleet = aws_env.sandbox.fleet
    pane.set_regions(["us-east-1"])
    refresh(qtbot, pane)
    assert pane.stack.currentWidget() is pane.view
    assert pane.model.rowCount() == len(fleet.in_region("us-east-1"))
    shown = view_rows(pane)
    assert shown and all(r.connectable for r in shown)
    assert {r.instance_id for r in shown} == {
        n.instance_id for n in fleet.in_region("us-east-1")
        if n.ping == "Online" and n.state in ("running", "hybrid")}
    assert pane.only_connectable.isChecked()
    pane.only_connectable.setChecked(False)
    assert len(view_rows(pane)) == pane.model.rowCount()
    assert pane.refreshed_label.text().startswith("Last refreshed")
    total = pane.model.rowCount()
    qtbot.waitUntil(lambda: pane.count_label.text() == f"{total} of {total} shown")


def test_all_regions_stream_in_and_a_failing_region_is_shown_alone(qtbot, pane, aws_env):
    sb = aws_env.sandbox
    sb.control.fault_region("eu-west-1", "UnauthorizedOperation", service="ec2",
                            message="<b>not</b> allowed & denied")
    inserted: list[int] = []
    resets: list[int] = []
    pane.model.rowsInserted.connect(lambda _p, a, b: inserted.append(b - a + 1))
    pane.model.modelReset.connect(lambda: resets.append(1))
    pane.set_regions(all_regions=True)
    assert pane.region_box.currentText() == ALL_REGIONS
    refresh(qtbot, pane, timeout=120000)
    fleet = sb.fleet
    expected = len(fleet.nodes) - len(fleet.in_region("eu-west-1"))
    assert pane.model.rowCount() == expected
    assert sum(inserted) == expected and len(inserted) == 2  # one insert per non-empty region
    assert len(resets) == 1  # the clear at the start of the refresh, never while streaming
    assert pane.regions_total >= len(fleet.regions)
    assert pane.progress.value() == pane.regions_total
    assert not pane.banner.isHidden()
    text = pane.banner_label.text()
    assert "eu-west-1" in text and "<b>not</b> allowed & denied" in text
    assert pane.banner_label.textFormat() == Qt.TextFormat.PlainText
    assert {r.region for r in pane.model.rows} == {"us-east-1", "ap-southeast-2"}


def test_a_single_failing_region_shows_the_error_state(qtbot, pane, aws_env):
    aws_env.sandbox.control.fault_region("ap-southeast-2", "OptInRequired")
    pane.set_regions(["ap-southeast-2"])
    refresh(qtbot, pane)
    assert pane.stack.currentWidget() is pane.error_state
    assert "ap-southeast-2" in pane.banner_label.text()


def test_hostile_names_show_literally_in_view_tooltip_and_menu(qtbot, pane, aws_env):
    fleet = aws_env.sandbox.fleet
    bold = fleet.by_name("<b>bold</b>")
    pane.set_regions([bold.region])
    pane.only_connectable.setChecked(False)
    refresh(qtbot, pane)
    pane.filter_edit.setText(bold.instance_id)
    model = pane.view.model()
    assert model.rowCount() == 1
    index = model.index(0, im.COL_NAME)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "<b>bold</b>"
    doc = QTextDocument()
    doc.setHtml(index.data(Qt.ItemDataRole.ToolTipRole))
    assert doc.toPlainText() == "<b>bold</b>"
    menu = pane.build_menu(index.data(im.ROW_ROLE))
    assert menu.actions()[0].text() == "<b>bold</b>"
    assert menu_text("%PATH% & calc") == "%PATH% && calc"
    assert menu_text("line1\nline2\tx") == "line1 line2 x"
    for label in (pane.count_label, pane.refreshed_label, pane.empty_filtered.text_label):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_picking_a_profile_lists_its_instances(qtbot, pane, aws_env):
    pane.set_regions(["eu-west-1"])
    with qtbot.waitSignal(pane.refreshed, timeout=60000):
        pane.profile_box.setCurrentText("jumpbox-only")
    assert pane.profile == "jumpbox-only"
    shown = view_rows(pane)
    assert shown and all(r.tag("Purpose") == "jumpbox" for r in shown)
    assert {r.instance_id for r in shown} == {
        n.instance_id for n in aws_env.sandbox.fleet.in_region("eu-west-1")
        if n.tags.get("Purpose") == "jumpbox" and n.ping == "Online"
        and n.state in ("running", "hybrid")}


def test_menu_and_double_click_emit_session_actions(qtbot, pane, aws_env):
    fleet = aws_env.sandbox.fleet
    pane.set_regions(["us-east-1"])
    pane.only_connectable.setChecked(False)
    refresh(qtbot, pane)
    rows = {r.name: r for r in pane.model.rows}
    got: list[tuple[str, str]] = []
    pane.action_requested.connect(lambda action, row: got.append((action, row.name)))

    def actions(name: str) -> dict[str, Any]:
        menu = pane.build_menu(rows[name])
        return {a.data(): a for a in menu.actions() if a.data()}

    web = actions("web-1.prod")
    assert set(web) == {"shell", "shell-reason", "shell-command", "ssh", "sftp", "scp",
                        "copy-ssh", "port-forward"}
    assert all(a.isEnabled() for a in web.values())
    web["ssh"].trigger()
    old = actions("old-agent-ssh")
    assert old["shell"].isEnabled() and not old["ssh"].isEnabled()
    assert "too old" in old["ssh"].statusTip()
    win = actions("win-1.prod")
    assert "rdp" in win and "ssh" not in win
    win["rdp"].trigger()
    stopped = actions("stopped-1")
    assert not any(a.isEnabled() for a in stopped.values())
    # Double-click: the default action for the platform.
    qtbot.keyClicks(pane.filter_edit, fleet.by_name("web-1.prod").instance_id)
    qtbot.waitUntil(lambda: pane.view.model().rowCount() == 1, timeout=5000)
    pane.show()
    qtbot.waitExposed(pane)
    view = pane.view
    cell = view.visualRect(view.model().index(0, im.COL_NAME)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double-click's
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # first press
    assert got == [("ssh", "web-1.prod"), ("rdp", "win-1.prod"), ("shell", "web-1.prod")]


def test_favourites_are_pinned_and_persisted(qtbot, pane, aws_env, tmp_path):
    pane.set_regions(["eu-west-1"])
    refresh(qtbot, pane)
    rows = view_rows(pane)
    target = rows[-1]
    pane.toggle_favourite(target)
    assert view_rows(pane)[0].instance_id == target.instance_id
    stored = json.loads((tmp_path / "gw" / "data" / "favourites.json").read_text())
    assert stored["instances"] == [["eu-west-1", target.instance_id]]
    again = instances_pane(TaskRunner(), Paths.for_root(tmp_path / "gw"), profiles=["default"])
    qtbot.addWidget(again)
    assert again.model.is_favourite(target)


def test_filter_box_and_show_all_link(qtbot, pane, aws_env):
    pane.set_regions(["eu-west-1"])
    refresh(qtbot, pane)
    pane.filter_edit.setText("tag:Environment=prod web")
    shown = view_rows(pane)
    assert shown and all(r.tag("Environment") == "prod" and "web" in r.name for r in shown)
    pane.filter_edit.setText("no-such-thing-anywhere")
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.empty_filtered)
    pane.empty_filtered.action.emit()
    assert pane.filter_edit.text() == "" and not pane.only_connectable.isChecked()
    assert len(view_rows(pane)) == pane.model.rowCount()


def test_cancel_stops_a_refresh(qtbot, pane, aws_env):
    pane.set_regions(all_regions=True)
    pane.refresh()
    task = pane.task
    assert task is not None and pane.busy and not pane.cancel_button.isHidden()
    pane.cancel()
    assert task.cancelled
    assert not pane.busy and pane.cancel_button.isHidden() and pane.refresh_button.isEnabled()
    qtbot.waitUntil(lambda: task.finished, timeout=30000)
    qtbot.wait(50)
    assert pane.stack.currentWidget() is not pane.loading
    assert pane.model.rowCount() == 0  # a cancelled refresh's late results are ignored


def test_unknown_permissions_are_explained(qtbot, pane, aws_env):
    sb = aws_env.sandbox
    sb.control.set_simulate_rule(sb.identities["default"].arn, {"deny_simulate": True})
    pane.set_regions(["eu-west-1"])
    refresh(qtbot, pane)
    assert not pane.permission_note.isHidden()
    assert "iam:SimulatePrincipalPolicy" in pane.permission_note.text()
    assert pane.permission_note.textFormat() == Qt.TextFormat.PlainText
    shown = view_rows(pane)
    assert shown
    access = pane.view.model().index(0, im.COL_ACCESS).data()
    assert access == "maybe"


def test_first_look_lists_instances_without_a_click(qtbot, aws_env, tmp_path):
    runner = TaskRunner()
    fresh = instances_pane(runner, Paths.for_root(tmp_path / "first"))
    qtbot.addWidget(fresh)
    fresh.show()
    assert not fresh.busy  # no profile yet: nothing to list
    with qtbot.waitSignal(fresh.refreshed, timeout=60000):
        fresh.set_profiles(["default"])  # profile names arrive from a worker after start-up
    assert fresh.model.rowCount() > 0
    assert fresh.last_refreshed is not None
    runner.shutdown(timeout_ms=30000)


def test_a_discovery_that_ends_after_its_pane_is_gone_delivers_nothing(qtbot, aws_env,
                                                                         tmp_path):
    """The pane is deleted (a window closed, a test ended) while its discovery still runs:
    the result must not reach the deleted widgets ("Internal C++ object already deleted")."""
    import shiboken6

    runner = TaskRunner()
    gone = instances_pane(runner, Paths.for_root(tmp_path / "gw"), profiles=["default"])
    aws_env.sandbox.control.fault_region("ap-southeast-2", "OptInRequired")
    gone.set_regions(["ap-southeast-2"])
    gone.refresh()
    task = gone.task
    assert task is not None
    ended: list[bool] = []
    task.done.connect(lambda: ended.append(True))
    shiboken6.delete(gone)
    qtbot.waitUntil(lambda: bool(ended), timeout=60000)
    qtbot.wait(50)  # the queued result and error are delivered (to nobody) in this turn
    assert task.finished
    runner.shutdown(timeout_ms=30000)


def test_columns_fit_their_values_and_the_default_window(qtbot, pane):
    from app.ui.main_window import DEFAULT_SIZE

    hh, metrics = pane.view.horizontalHeader(), pane.view.fontMetrics()
    margins = 8  # the delegate's text margins, both sides
    for col, widest in ((im.COL_PRIVATE_IP, "10.231.218.131"), (im.COL_PUBLIC_IP,
                        "54.214.107.224"), (im.COL_ID, "i-000000000000004f4"),
                        (im.COL_REGION, "ap-southeast-2")):
        assert hh.sectionSize(col) >= metrics.horizontalAdvance(widest) + margins, col
    # All but Tags (which takes the rest) leave it room for "Environment=staging" when the
    # window has its default size (the sidebar takes about 170 px of it).
    fixed = sum(hh.sectionSize(c) for c in range(hh.count() - 1))
    room = DEFAULT_SIZE.width() - 170 - 30 - fixed
    assert room >= metrics.horizontalAdvance("Environment=staging") + margins


def test_the_chosen_profile_gone_moves_the_pane_to_the_next(qtbot, pane):
    """Deleted or renamed in Profiles: its instances must not stay listed under another name."""
    refresh(qtbot, pane)
    assert pane.profile == "default" and pane.model.rowCount() > 0
    with qtbot.waitSignal(pane.profile_changed, timeout=10000) as moved:
        pane.set_profiles(["jumpbox-only"])
    assert moved.args == ["jumpbox-only"]
    assert pane.profile == "jumpbox-only"
    assert pane.model.rowCount() == 0 and pane.busy  # the old rows gone, the new listing asked
    qtbot.waitUntil(lambda: not pane.busy, timeout=60000)  # no worker outlives the test
