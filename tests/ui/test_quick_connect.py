"""Quick connect (Ctrl+K) with real parts: the on-disk inventory cache, favourites, history,
SSH preferences, the sandbox's profiles, SessionActions; driven with the keyboard."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.core.actions import Action
from app.core.aws.credentials.service import CredentialService
from app.core.aws.discovery.cache import InventoryCache
from app.core.aws.profiles.view import load_view
from app.core.aws.sessions.history import SessionHistory
from app.core.palette import Kind
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.core.settings import SettingsStore
from app.core.ssh.favourites import Favourites
from app.core.ssh.prefs import SshPrefs, SshPrefsStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.dialogs.quick_connect import QuickConnectDialog
from app.ui.quick_connect import REFRESH_AFTER, Commands, QuickConnect
from app.ui.session_actions import SessionActions
from app.ui.tasks import TaskRunner
from tests.ui.instances_factory import instances_pane, make_row


class Palette:
    def __init__(self, qtbot: Any, tmp_path: Path) -> None:
        self.paths = Paths.for_root(tmp_path / "gw").ensure()
        data = self.paths.data_dir
        self.tasks = TaskRunner()
        self.cache = InventoryCache(data)
        self.favourites = Favourites(data)
        self.history = SessionHistory(data)
        self.prefs = SshPrefsStore(data)
        self.service = CredentialService(MemoryStore())
        self.expiry = CredentialsBridge()
        self.ran: list[tuple[str, str]] = []
        commands = Commands(sso_login=lambda n: self.ran.append(("sso", n)),
                            protect_keys=lambda n: self.ran.append(("protect", n)),
                            enter_mfa=lambda n: self.ran.append(("mfa", n)))
        self.qc = QuickConnect(self.tasks, self.cache, self.favourites, self.history,
                               self.expiry, self.prefs, self.service, commands)
        self.chosen: list[tuple[Action, Any]] = []
        self.qc.action_requested.connect(lambda a, r: self.chosen.append((a, r)))
        self.qtbot = qtbot

    def load(self) -> None:
        self.qc.load()
        self.qtbot.waitUntil(lambda: self.qc.loaded, timeout=10000)

    def open(self) -> QuickConnectDialog:
        dialog = self.qc.open()
        assert isinstance(dialog, QuickConnectDialog)
        self.qtbot.addWidget(dialog)
        return dialog


@pytest.fixture
def palette(qtbot: Any, tmp_path: Path) -> Any:
    p = Palette(qtbot, tmp_path)
    yield p
    p.tasks.shutdown(timeout_ms=30000)


def _seed(p: Palette) -> None:
    p.cache.put("prod", [make_row("web-1.prod", n=1), make_row("db-1.prod", n=2),
                         make_row("api-1.prod", n=3, region="eu-west-1")])
    p.cache.put("dev", [make_row("web-2.dev", n=11), make_row("db-2.dev", n=12)])


def test_instant_from_the_cache_across_profiles_and_keyboard(palette: Palette, qtbot) -> None:
    _seed(palette)
    palette.load()
    dialog = palette.open()
    assert dialog.model.rowCount() == 5  # every profile's instances, before typing
    qtbot.keyClicks(dialog.edit, "web")
    # Both start with "web": the shorter name first.
    assert [i.title for i in dialog.model.items] == ["web-2.dev", "web-1.prod"]
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    assert dialog.current().title == "web-1.prod"
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    action, row = palette.chosen[-1]
    assert action is Action.SHELL and row.name == "web-1.prod"
    assert palette.qc.profile_of(row) == "prod"  # the profile of the item, not a pane's
    assert not dialog.isVisible()


def test_shift_enter_is_the_other_way_in_and_ssh_user_makes_ssh_the_default(
        palette: Palette, qtbot) -> None:
    _seed(palette)
    palette.load()
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "db-1")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert palette.chosen[-1][0] is Action.SSH
    db1 = palette.chosen[-1][1]
    palette.prefs.put("prod", db1.region, db1.instance_id, SshPrefs(user="ec2-user"))
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "db-1")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Enter)
    assert palette.chosen[-1][0] is Action.SSH
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "db-1")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert palette.chosen[-1][0] is Action.SHELL


def test_alt_enter_opens_the_actions_menu(palette: Palette, qtbot) -> None:
    _seed(palette)
    palette.load()
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "api")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.AltModifier)
    menu = dialog.menu
    assert menu is not None and menu.isVisible()
    labels = [a.text() for a in menu.actions() if a.text()]
    assert "Open shell" in labels and "Add to favourites" in labels
    next(a for a in menu.actions() if a.text() == "Copy SSH command").trigger()
    assert palette.chosen[-1][0] is Action.COPY_SSH
    menu.hide()


def test_favourites_and_recent_rank_first(palette: Palette, qtbot) -> None:
    _seed(palette)
    db2 = make_row("db-2.dev", n=12)
    palette.favourites.save({(db2.region, db2.instance_id)})
    api = make_row("api-1.prod", n=3, region="eu-west-1")
    palette.history.record_start(profile="prod", region="eu-west-1", target=api.instance_id,
                                 document="AWS-StartSSHSession")
    palette.load()
    dialog = palette.open()
    first = dialog.model.items[:2]
    assert [i.title for i in first] == ["db-2.dev", "api-1.prod"]
    assert first[0].favourite and first[1].recent
    qtbot.keyClicks(dialog.edit, "prod")  # the favourite does not match; the recent leads
    assert [i.title for i in dialog.model.items] == ["api-1.prod", "db-1.prod", "web-1.prod"]


def test_commands_for_profiles_run_from_the_palette(palette: Palette, qtbot, aws_env) -> None:
    palette.expiry.publish(load_view(palette.service).rows)
    palette.load()
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "log in sso")
    item = dialog.current()
    assert item is not None and item.kind is Kind.COMMAND
    assert item.title == "Log in to SSO: sso"
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert palette.ran == [("sso", "sso")]
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "protect default")
    assert dialog.current().title == "Protect keys: default"


def test_enter_dispatches_through_session_actions_with_the_items_profile(
        palette: Palette, qtbot, aws_env) -> None:
    _seed(palette)
    palette.load()
    actions = SessionActions(palette.tasks, palette.paths,
                             SettingsStore(palette.paths.settings_file),
                             profile=palette.qc.profile_of)
    palette.qc.action_requested.connect(actions.trigger)
    dialog = palette.open()
    qtbot.keyClicks(dialog.edit, "web-2")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    ssh = actions.dialog  # the SSH options dialog, for the dev profile's instance
    assert ssh is not None and ssh.target.profile == "dev"
    assert ssh.target.instance_id == make_row("web-2.dev", n=11).instance_id
    ssh.close()


def test_remember_persists_and_stale_profiles_refresh_in_the_background(
        palette: Palette, qtbot, aws_env) -> None:
    palette.cache.put("default", [make_row("gone-long-ago", n=99)],
                      when=time.time() - REFRESH_AFTER - 60)
    palette.cache.put("mfa", [make_row("needs-code", n=98)],
                      when=time.time() - REFRESH_AFTER - 60)
    palette.expiry.publish(load_view(palette.service).rows)
    palette.load()
    with qtbot.waitSignal(palette.qc.index_changed, timeout=90000):
        assert palette.qc.refresh_stale() == ["default"]  # "mfa" would ask for a code
    rows = palette.qc.cached["default"].rows
    assert rows and all(r.name != "gone-long-ago" for r in rows)
    qtbot.waitUntil(lambda: any(r.name != "gone-long-ago"
                                for r in palette.cache.load()["default"].rows), timeout=10000)
    assert [r.name for r in palette.cache.load()["mfa"].rows] == ["needs-code"]


def test_enter_in_the_instances_filter_opens_the_first_match(qtbot, tmp_path) -> None:
    runner = TaskRunner()
    try:
        pane = instances_pane(runner, Paths.for_root(tmp_path / "gw"), profiles=["default"])
        qtbot.addWidget(pane)
        pane.model.set_rows([make_row("web-1", n=1), make_row("web-2", n=2),
                             make_row("db-1", n=3)])
        opened: list[tuple[str, Any]] = []
        pane.action_requested.connect(lambda a, r: opened.append((a, r)))
        qtbot.keyClicks(pane.filter_edit, "web-2")
        qtbot.keyClick(pane.filter_edit, Qt.Key.Key_Return)
        assert [(a, r.name) for a, r in opened] == [("shell", "web-2")]
        assert pane.selected_row().name == "web-2"
    finally:
        runner.shutdown(timeout_ms=10000)


def test_the_tray_section_opens_the_palette(qtbot) -> None:
    from PySide6.QtWidgets import QMenu

    from app.ui.tray import quick_connect_section

    opened: list[bool] = []
    menu = QMenu()
    quick_connect_section(lambda: opened.append(True))(menu)
    entry = next(a for a in menu.actions() if a.text() == "Quick connect…")
    entry.trigger()
    assert opened == [True]
