"""The Sessions pane and its model, against the sandbox's DescribeSessions/TerminateSession."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app.core.aws.client import client, new_session
from app.core.aws.credentials.service import CredentialService
from app.core.aws.sessions import api
from app.core.aws.sessions.api import SessionRecord
from app.core.aws.sessions.history import SessionHistory
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.ui.models import sessions_model as sm
from app.ui.models.sessions_model import SessionsModel
from app.ui.panes.sessions_pane import SessionsPane
from app.ui.tasks import TaskRunner

HOSTILE_REASON = "<b>audit</b> $(id)\nsecond line"


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    r = TaskRunner()
    yield r  # type: ignore[misc]
    r.shutdown()


def _ssm(profile: str):  # type: ignore[no-untyped-def]
    return client(new_session(profile), "ssm", "us-east-1")


def make_pane(qtbot: QtBot, runner: TaskRunner, paths: Paths,
              profiles: tuple[str, ...] = ("default", "jumpbox-only", "expired")) -> SessionsPane:
    pane = SessionsPane(runner, CredentialService(MemoryStore()), SessionHistory(paths.data_dir),
                        profiles=profiles)
    qtbot.addWidget(pane)
    pane.show()
    return pane


def refresh(qtbot: QtBot, pane: SessionsPane) -> None:
    with qtbot.waitSignal(pane.refreshed, timeout=20_000):
        pane.refresh()


def test_model_is_valid_and_shows_hostile_text_as_data(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = SessionsModel()
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    model.set_rows([
        SessionRecord("alice-1", "i-0abc", "Connected", start=start, document="AWS-StartSSHSession",
                      reason=HOSTILE_REASON, profile="default", local=True),
        SessionRecord("alice-2", "i-0def", "Local", ended="exit 255", profile="default",
                      local=True),
        SessionRecord("bob-3", "i-0abc", "Terminated", owner="arn:bob"),
        SessionRecord("alice-4", "i-0abc", "Local", ended="closed (SIGHUP)", local=True),
        SessionRecord("alice-5", "i-0abc", "Local", ended="error: TargetNotConnected: "
                      "i-0abc is not connected.", local=True),
        SessionRecord("carol-6", "i-0abc", "Disconnected", owner="arn:carol"),
    ])
    model.set_names({"i-0abc": "<i>web</i>\n1"})
    qtmodeltester.check(model)
    idx = model.index(0, sm.COL_REASON)
    assert model.data(idx) == "<b>audit</b> $(id) second line"
    assert "&lt;b&gt;" in model.data(idx, Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, sm.COL_TARGET)) == "<i>web</i> 1 (i-0abc)"
    assert model.data(model.index(0, sm.COL_STATUS)) == "Active"
    assert model.data(model.index(1, sm.COL_STATUS)) == "Ended with exit code 255"
    assert model.data(model.index(2, sm.COL_STATUS)) == "Terminated"
    assert model.data(model.index(3, sm.COL_STATUS)) == "Ended: the terminal was closed"
    assert model.data(model.index(4, sm.COL_STATUS)) == (
        "Failed: the instance's SSM agent was not connected")
    assert model.data(model.index(5, sm.COL_STATUS)) == "Disconnected (it may resume)"
    # Each state is a chip: an icon always, and a colour where it is not plain "active/ended".
    icons = [model.data(model.index(i, sm.COL_STATUS), Qt.ItemDataRole.DecorationRole)
             .pixmap(16) for i in range(6)]
    assert all(not icon.isNull() for icon in icons)
    assert icons[0].toImage() != icons[4].toImage() != icons[3].toImage()
    colours = [model.data(model.index(i, sm.COL_STATUS), Qt.ItemDataRole.ForegroundRole)
               for i in range(6)]
    assert colours[0] is None and colours[3] is None
    assert colours[4] is not None and colours[1] is not None
    assert colours[4].color() != colours[1].color()  # failed is not "exit 255"
    assert model.data(model.index(0, sm.COL_TIME)) == start.astimezone().strftime(
        "%Y-%m-%d %H:%M:%S")
    assert isinstance(model.data(model.index(0, 0), sm.ROW_ROLE), SessionRecord)


def test_active_and_history_merged_with_local_and_terminate_own(
        qtbot: QtBot, runner: TaskRunner, aws_env) -> None:  # type: ignore[no-untyped-def]
    fleet = aws_env.sandbox.fleet
    web, bastion = fleet.by_name("web-1.prod"), fleet.by_name("bastion")
    paths = Paths.default().ensure()
    mine = api.start_session(_ssm("default"), web.instance_id, reason=HOSTILE_REASON)
    ended = api.start_session(_ssm("default"), bastion.instance_id)
    api.terminate_session(_ssm("default"), ended.session_id)
    theirs = api.start_session(_ssm("jumpbox-only"), bastion.instance_id)
    history = SessionHistory(paths.data_dir)
    history.record_start(profile="default", region="us-east-1", target=web.instance_id,
                         document="AWS-StartSSHSession", reason="from gangway",
                         session_id=mine.session_id)
    failed = history.record_start(profile="default", region="us-east-1",
                                  target="i-0nothere", document="")
    history.record_end(failed, "error: TargetNotConnected")

    pane = make_pane(qtbot, runner, paths)
    pane.set_names({web.instance_id: "web-1.prod"})
    refresh(qtbot, pane)
    assert pane.stack.currentWidget() is pane.view
    by_id = {r.session_id: r for r in pane.model.rows}
    assert {mine.session_id, ended.session_id, theirs.session_id} <= set(by_id)
    assert by_id[mine.session_id].local and by_id[mine.session_id].profile == "default"
    # AWS's copy wins (the core folded the line break before sending it).
    assert by_id[mine.session_id].reason == "<b>audit</b> $(id) second line"
    assert by_id[ended.session_id].status == "Terminated"
    assert any(r.ended == "error: TargetNotConnected" for r in pane.model.rows)
    assert "active" in pane.status.text()
    row_of = {pane.proxy.index(i, sm.COL_SESSION).data(): i for i in range(pane.proxy.rowCount())}
    assert pane.proxy.index(row_of[mine.session_id], sm.COL_TARGET).data() == (
        f"web-1.prod ({web.instance_id})")

    # Someone else's active session cannot be terminated from here.
    pane.view.selectRow(row_of[theirs.session_id])
    assert not pane.terminate_button.isEnabled()
    pane.view.selectRow(row_of[ended.session_id])
    assert not pane.terminate_button.isEnabled()
    pane.view.selectRow(row_of[mine.session_id])
    assert pane.terminate_button.isEnabled()
    pane.ask_terminate()
    box = pane.confirm_box
    assert isinstance(box, QMessageBox) and box.textFormat() == Qt.TextFormat.PlainText
    assert mine.session_id in box.text()
    yes = next(b for b in box.buttons() if b.text() == "Terminate")
    with qtbot.waitSignal(pane.terminated, timeout=20_000):
        yes.click()
    qtbot.waitUntil(lambda: pane.task is None, timeout=20_000)
    status = {s["SessionId"]: s["Status"] for s in aws_env.sandbox.control.sessions()}
    assert status[mine.session_id] == "Terminated"
    assert status[theirs.session_id] != "Terminated"
    assert {r.session_id: r.status for r in pane.model.rows}[mine.session_id] == "Terminated"

    # Filter: by session id, then something that matches nothing.
    pane.filter_edit.setText(theirs.session_id)
    assert pane.proxy.rowCount() == 1
    pane.filter_edit.setText("zzz-no-such-thing")
    assert pane.stack.currentWidget() is pane.nothing_matches
    pane.nothing_matches.button.click()  # type: ignore[union-attr]
    assert pane.stack.currentWidget() is pane.view


def test_empty_state_when_there_are_no_sessions(qtbot: QtBot, runner: TaskRunner,
                                                aws_env) -> None:  # type: ignore[no-untyped-def]
    pane = make_pane(qtbot, runner, Paths.default().ensure())
    refresh(qtbot, pane)
    assert pane.model.rowCount() == 0
    assert pane.stack.currentWidget() is pane.empty
    labels = pane.empty.findChildren(QLabel)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_failed_refresh_shows_the_error_state_and_retry(qtbot: QtBot, runner: TaskRunner,
                                                        aws_env) -> None:  # type: ignore[no-untyped-def]
    pane = make_pane(qtbot, runner, Paths.default().ensure())
    pane.set_profile("expired")
    qtbot.waitUntil(lambda: pane.task is None, timeout=20_000)
    assert pane.stack.currentWidget() is pane.error_state
    assert pane.failed and "expired" in pane.failed.lower()
    pane.set_profile("default")
    qtbot.waitUntil(lambda: pane.task is None, timeout=20_000)
    assert pane.stack.currentWidget() is pane.empty and pane.failed is None


def test_no_profile_says_so(qtbot: QtBot, runner: TaskRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pane = make_pane(qtbot, runner, Paths.for_root(tmp_path).ensure(), profiles=())
    assert pane.refresh() is None
    assert pane.stack.currentWidget() is pane.frame.loading  # the names are not read yet
    pane.set_profiles([])
    assert pane.stack.currentWidget() is pane.no_profiles
    assert pane.refresh() is None
    assert not pane.settings_button.isVisibleTo(pane)  # no settings store: nothing to open


def test_terminal_settings_open_from_the_pane(qtbot: QtBot, runner: TaskRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.core.settings import SettingsStore
    from app.ui.dialogs.terminal_settings import TerminalSettingsDialog

    paths = Paths.for_root(tmp_path).ensure()
    pane = SessionsPane(runner, CredentialService(MemoryStore()), SessionHistory(paths.data_dir),
                        settings=SettingsStore(paths.settings_file))
    qtbot.addWidget(pane)
    assert pane.settings_button.isVisibleTo(pane)
    pane.settings_button.click()
    dialogs = pane.findChildren(TerminalSettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    qtbot.waitUntil(lambda: dialogs[0].task.finished, timeout=10_000)
    dialogs[0].reject()


def test_a_pane_shown_before_its_profiles_looks_once_they_come(
        qtbot: QtBot, runner: TaskRunner, aws_env) -> None:  # type: ignore[no-untyped-def]
    """The window reopened on Sessions shows the pane before the profile names are read: when
    they arrive it lists the first profile's sessions, as on any first look (it did not, and
    said "No sessions yet" without having asked)."""
    pane = make_pane(qtbot, runner, Paths.default().ensure(), profiles=())
    assert pane.task is None and pane.last_refreshed is None
    with qtbot.waitSignal(pane.refreshed, timeout=20_000):
        pane.set_profiles(["default", "expired"])
    assert pane.profile == "default" and pane.last_refreshed is not None
    assert pane.stack.currentWidget() is not pane.loading
    pane.set_profiles(["default", "expired"])  # the list again: no second look
    assert pane.task is None
