"""Help > Doctor in the window: real checks on this machine, fixes a user can copy and click,
the Access column saying the plugin is missing, and per-instance reasons (pytest-qt)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.core.aws.discovery.permissions import Access
from app.core.aws.sessions import plugin
from app.core.paths import Paths
from app.ui.dialogs.doctor_dialog import DoctorDialog
from app.ui.models import instances_model as im
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import instances_pane, make_row


@pytest.fixture(autouse=True)
def _no_keyring_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyring check names the backend; a probe here would make keyring remember, for
    the whole process, which backends were viable in this test's environment (keyring's
    get_all_keyring runs once), and a later test with a real gnome-keyring would not find
    it. An explicit backend skips the probe."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def runner() -> Any:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown(timeout_ms=10000)


def _no_plugin_installed() -> None:
    found = [d for d in plugin.standard_locations() if (d / plugin.PLUGIN).exists()]
    if found:
        pytest.skip(f"a real plugin is installed at {found[0]}; cannot test its absence")


def _wait_checked(qtbot: Any, dialog: DoctorDialog) -> None:
    qtbot.waitUntil(lambda: bool(dialog.local), timeout=20000)


def test_missing_plugin_shows_its_install_commands_and_a_link(qtbot, runner, tmp_path,
                                                              monkeypatch) -> None:
    _no_plugin_installed()
    monkeypatch.setenv("PATH", str(tmp_path))  # no plugin, no ssh, no terminal
    dialog = DoctorDialog(runner, tray_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.summary.text() == "Checking…"
    _wait_checked(qtbot, dialog)
    assert "missing" in dialog.summary.text()
    view = dialog.view_for("session-manager-plugin")
    assert view is not None and view.status_label.text() == "Missing"
    commands = [line.edit.text() for line in view.copy_lines]
    assert commands and any("session-manager-plugin" in c for c in commands)
    # Copy puts the exact command on the clipboard.
    qtbot.mouseClick(view.copy_lines[-1].button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == commands[-1]
    assert view.copy_lines[-1].button.text() == "Copied"
    # The documentation link is a real, clickable anchor.
    assert view.links_label.openExternalLinks()
    assert 'href="https://docs.aws.amazon.com/' in view.links_label.text()


def test_check_again_runs_the_checks_again(qtbot, runner, aws_env) -> None:
    dialog = DoctorDialog(runner, tray_available=True)
    qtbot.addWidget(dialog)
    _wait_checked(qtbot, dialog)
    assert dialog.view_for("session-manager-plugin").status_label.text() == "OK"
    with qtbot.waitSignal(dialog.checked, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.again, Qt.MouseButton.LeftButton)
    assert [c.name for c in blocker.args[0]] == [c.name for c in dialog.local]
    assert len([v for v in dialog.views if v.check in dialog.local]) == len(dialog.local)


def test_denied_instance_shows_the_statement_to_add(qtbot, runner, aws_env) -> None:
    row = make_row("db-1", access=Access.DENIED, n=3)
    dialog = DoctorDialog(runner, tray_available=True, row=row, account="123456789012")
    qtbot.addWidget(dialog)
    view = dialog.view_for("Permission (simulated)")
    assert view is not None and view.status_label.text() == "Missing"
    assert view.statement_edit is not None
    shown = json.loads(view.statement_edit.toPlainText())
    assert f"arn:aws:ec2:us-east-1:123456789012:instance/{row.instance_id}" in shown["Resource"]


def test_access_column_says_the_plugin_is_missing(qtbot, runner, tmp_path) -> None:
    pane = instances_pane(runner, Paths.for_root(tmp_path / "gw"))
    qtbot.addWidget(pane)
    ok, stopped = make_row("web-1", n=1), make_row("off", n=2, state="stopped")
    pane.model.set_rows([ok, stopped])

    def access() -> dict[str, str]:
        return {pane.model.row_at(i).name: pane.model.index(i, im.COL_ACCESS).data()
                for i in range(pane.model.rowCount())}

    assert access() == {"web-1": "yes", "off": "stopped"}
    with qtbot.waitSignal(pane.model.dataChanged):
        pane.set_plugin_missing(True)
    assert access() == {"web-1": im.NEEDS_PLUGIN, "off": "stopped"}
    web = next(i for i in range(2) if pane.model.row_at(i).name == "web-1")
    tip = pane.model.index(web, im.COL_ACCESS).data(Qt.ItemDataRole.ToolTipRole)
    assert "Help &gt; Doctor" in tip
    pane.set_plugin_missing(False)
    assert access()["web-1"] == "yes"


def test_each_check_is_a_chip_in_its_state_colour(qtbot) -> None:
    from app.core.checks import Check, Status
    from app.ui.widgets.check_view import CheckView
    from app.ui.widgets.colours import state_colour

    views = {s: CheckView(Check("x", s, "detail", "hint", essential=False))
             for s in (Status.OK, Status.WARN, Status.MISSING)}
    for status, kind in ((Status.OK, "ok"), (Status.WARN, "warn"), (Status.MISSING, "missing")):
        view = views[status]
        qtbot.addWidget(view)
        colour = state_colour(kind, view.palette()).name()
        assert f"color: {colour}" in view.status_label.styleSheet()
    assert views[Status.WARN].status_label.text() != views[Status.MISSING].status_label.text()
