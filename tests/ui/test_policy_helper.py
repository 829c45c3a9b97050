"""Help > IAM policy helper: filled in, valid JSON for each kind, copy and save, and what
the dialog shows is what the simulator allows (pytest-qt, the sandbox's simulation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.ui.dialogs.policy_helper import KINDS, PolicyHelper
from app.ui.tasks import TaskRunner
from tests.core.test_policies import ACCOUNT, INSTANCE, Simulator


@pytest.fixture
def helper(qtbot: Any) -> Any:
    tasks = TaskRunner()
    dialog = PolicyHelper(tasks, account=ACCOUNT, users="alice")
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    tasks.shutdown(timeout_ms=10000)


def shown(dialog: PolicyHelper) -> dict[str, Any]:
    return json.loads(dialog.output.toPlainText())


def test_every_kind_is_valid_json_with_the_values_filled_in(helper: PolicyHelper) -> None:
    assert helper.account.text() == ACCOUNT and helper.users.text() == "alice"
    for key, *_ in KINDS:
        helper.select(key)
        doc = shown(helper)
        assert doc["Version"] == "2012-10-17" and doc["Statement"], key
        if key != "instance":
            assert ACCOUNT in helper.output.toPlainText(), key


def test_typing_users_and_a_tag_changes_the_policy(helper: PolicyHelper, qtbot) -> None:
    helper.select("only-users")
    assert not helper.tag_key.isEnabled() and helper.users.isEnabled()
    helper.users.clear()
    qtbot.keyClicks(helper.users, "alice, carol")
    condition = shown(helper)["Statement"][0]["Condition"]
    assert condition == {"StringNotEquals": {"aws:username": ["alice", "carol"]}}
    helper.select("tagged")
    qtbot.keyClicks(helper.tag_key, "Team")
    qtbot.keyClicks(helper.tag_value, "web")
    assert shown(helper)["Statement"][0]["Condition"] == {
        "StringEquals": {"ssm:resourceTag/Team": "web"}}


def test_copy_and_save(helper: PolicyHelper, qtbot, tmp_path: Path) -> None:
    qtbot.mouseClick(helper.copy_button, Qt.MouseButton.LeftButton)
    assert json.loads(QGuiApplication.clipboard().text()) == shown(helper)
    qtbot.mouseClick(helper.save_button, Qt.MouseButton.LeftButton)
    assert helper.file_dialog is not None and helper.file_dialog.isVisible()
    target = tmp_path / "gangway-user.json"
    with qtbot.waitSignal(helper.saved, timeout=10000):
        helper.file_dialog.selectFile(str(target))
        helper.file_dialog.accept()
    assert json.loads(target.read_text()) == shown(helper)
    assert target.stat().st_mode & 0o777 == 0o600
    assert "Saved" in helper.status.text()


def test_what_the_dialog_shows_is_what_the_simulator_allows(helper: PolicyHelper, qtbot,
                                                             aws_env) -> None:
    simulate = Simulator(aws_env)
    user_doc = shown(helper)
    assert simulate([user_doc], "ssm:StartSession", INSTANCE)[0] == "allowed"
    helper.select("only-users")
    guard = shown(helper)
    ctx = {"aws:username": "mallory"}
    assert simulate([user_doc, guard], "ssm:StartSession", INSTANCE, **ctx)[0] == "explicitDeny"
    helper.select("instance")
    assert simulate([shown(helper)], "ssmmessages:OpenDataChannel")[0] == "allowed"
