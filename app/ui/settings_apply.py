"""What each setting changes in the running app, applied the moment it is saved.

`apply(new, before, targets)` is called by the application at start (before = None) and on
every save (through `bridges.settings.SettingsBridge`); it touches only what changed where a
change is expensive (the theme, the start-at-login file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QApplication, QMainWindow

from app.core.aws.credentials.service import CredentialService
from app.core.settings import Settings, Theme
from app.ui.tasks import TaskRunner


@dataclass
class Targets:
    app: QApplication
    window: QMainWindow  # has `hide_on_close`
    tray: Any  # Tray | None (has `messages`)
    credentials: CredentialService
    instances: Any  # InstancesPane (has `apply_settings`)
    tasks: TaskRunner


def apply(new: Settings, before: Settings | None, t: Targets) -> None:
    from app.ui import theme

    first = before is None
    # At start the system look is already in place: re-polishing every widget for nothing
    # would cost start-up time.
    if (first and new.appearance.theme is not Theme.SYSTEM) or \
            (not first and before.appearance != new.appearance):  # type: ignore[union-attr]
        theme.apply(t.app, new.appearance.theme)
    t.credentials.durations = new.credentials.durations()  # the next code uses them
    hide = t.tray is not None and new.general.close_to_tray
    t.window.hide_on_close = hide  # type: ignore[attr-defined]
    t.app.setQuitOnLastWindowClosed(not hide)
    if t.tray is not None:
        t.tray.messages = new.general.notifications
    t.instances.apply_settings(new.instances.regions(), new.instances.refresh_minutes)
    login = new.general.start_at_login
    if before is not None and before.general.start_at_login != login:
        from app.core import autostart, selfcmd

        t.tasks.submit(autostart.set_enabled, login, selfcmd.command(), name="start at login")
