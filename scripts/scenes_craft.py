"""Screenshot scenes for the desktop craft work: the doctor, the first run, quick connect,
the policy helper, settings, light and dark palettes. Registered in `scripts/screenshots.py`.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


@scene("doctor-failures")
def doctor_failures(ctx: Ctx) -> QWidget:
    """This computer without the plugin, ssh or a tray; an instance with an old agent that
    the policy denies."""
    from app.core.aws.discovery.permissions import Access
    from app.core.doctor import run_checks
    from app.ui.dialogs.doctor_dialog import DoctorDialog
    from tests.ui.instances_factory import make_row

    saved = os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory() as empty:
        os.environ["PATH"] = empty
        try:
            checks = run_checks(tray_available=False, family="debian")
        finally:
            os.environ["PATH"] = saved
    row = make_row("payments-db-primary.prod", n=42, agent="3.0.161.0", access=Access.DENIED,
                   region="eu-central-1")
    dialog = DoctorDialog(ctx.app.services.tasks, row=row, account="123456789012",
                          checks=checks, parent=ctx.app.window)
    dialog.resize(820, 980)
    dialog.show()
    ctx.settle(400)
    return dialog


def _empty_checks() -> list:  # type: ignore[type-arg]
    from app.core.doctor import run_checks

    saved = os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory() as empty:
        os.environ["PATH"] = empty
        try:
            return run_checks(tray_available=True, family="debian")
        finally:
            os.environ["PATH"] = saved


@scene("first-run")
def first_run(ctx: Ctx) -> None:
    """A machine with no AWS files and no plugin: the guide, and Instances pointing to it."""
    app = ctx.app
    pane = app.panes.profiles
    with tempfile.TemporaryDirectory() as tmp:
        saved = (os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"])
        os.environ["AWS_CONFIG_FILE"] = os.path.join(tmp, "config")
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(tmp, "credentials")
        try:
            app.show_window()
            app.window.show_pane("Profiles")
            done: list[bool] = []
            pane.loaded.connect(lambda: done.append(True))
            pane.reload()
            ctx.wait_until(lambda: bool(done), 20)
            pane.guide.set_checks(_empty_checks())
            ctx.settle(400)
            ctx.save(app.window, "first-run")
            instances = app.panes.instances
            names = [instances.profile_box.itemText(i)
                     for i in range(instances.profile_box.count())]
            instances.set_profiles([])
            app.window.show_pane("Instances")
            ctx.settle(300)
            ctx.save(app.window, "first-run-instances")
            instances.set_profiles(names)
        finally:
            os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"] = saved
    done.clear()
    pane.reload()
    ctx.wait_until(lambda: bool(done), 20)
    app.window.show_pane("Profiles")


@scene("quick-connect")
def quick_connect(ctx: Ctx) -> None:
    """Ctrl+K over three profiles' cached instances: no text, then a two-word query."""
    from app.core.aws.discovery.permissions import Access
    from tests.ui.instances_factory import fleet, make_row

    app = ctx.app
    qc = app.quick_connect
    qc.load()
    ctx.wait_until(lambda: qc.loaded, 10)
    for n, profile in enumerate(("prod", "staging", "payments-eu")):
        rows = fleet(700, seed=n)
        if n == 2:
            rows.append(make_row("payments-db-primary.internal.example-corp.com", n=5001,
                                 access=Access.DENIED, region="eu-central-1"))
        qc.remember(profile, rows)
    app.show_window()
    dialog = qc.open(app.window)
    ctx.settle(300)
    ctx.save(dialog, "quick-connect")
    dialog.edit.setText("pay db")
    ctx.settle(300)
    ctx.save(dialog, "quick-connect-results")
    dialog.edit.setText("web-1")
    ctx.settle(300)
    ctx.save(dialog, "quick-connect-web")
    dialog.close()


@scene("policy-helper")
def policy_helper(ctx: Ctx) -> None:
    from app.ui.dialogs.policy_helper import PolicyHelper

    dialog = PolicyHelper(ctx.app.services.tasks, account="123456789012", users="alice, carol",
                          tag=("Team", "payments"), parent=ctx.app.window)
    dialog.show()
    ctx.settle(300)
    ctx.save(dialog, "policy-helper")
    dialog.select("tagged")
    ctx.settle(200)
    ctx.save(dialog, "policy-helper-tagged")
    dialog.close()


@scene("settings")
def settings_dialog(ctx: Ctx) -> None:
    dialog = ctx.app.open_preferences()
    ctx.settle(400)
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        ctx.settle(150)
        ctx.save(dialog, f"settings-{dialog.tabs.tabText(index).lower()}")
    dialog.reject()


@scene("window-2000-rows-default-size")
def window_2000_rows(ctx: Ctx) -> None:
    """The real window at its first-run size with 2,000 rows: every column must fit."""
    from app.ui.main_window import default_size
    from tests.ui.instances_factory import fleet

    app = ctx.app
    app.show_window()
    app.window.resize(default_size())
    pane = app.panes.instances
    saved = list(pane.model.rows)
    app.window.show_pane("Instances")
    ctx.settle(200)
    pane.cancel()  # the pane's first look starts a refresh; these rows are synthetic
    pane.model.set_rows(fleet(2000))
    pane.only_connectable.setChecked(False)
    ctx.settle(500)
    header = pane.view.horizontalHeader()
    shown = sum(header.sectionSize(c) for c in range(header.count())
                if not header.isSectionHidden(c))
    if shown > pane.view.viewport().width() + 1:
        ctx.notes.append(f"2000-rows: columns need {shown}px, the table has "
                         f"{pane.view.viewport().width()}px")
    ctx.save(app.window, "window-2000-rows-default-size")
    pane.model.set_rows(saved)


def _panes(ctx: Ctx, suffix: str) -> None:
    from tests.ui.instances_factory import fleet

    app = ctx.app
    app.show_window()
    window = app.window
    pane = app.panes.instances
    saved = list(pane.model.rows)
    pane.model.set_rows(fleet(60))
    pane.only_connectable.setChecked(False)
    for title in ("Profiles", "Instances", "Sessions"):
        window.show_pane(title)
        ctx.settle(400)
        if title == "Instances" and pane.busy:
            pane.cancel()
            pane.model.set_rows(fleet(60))
            ctx.settle(300)
        ctx.save(window, f"{title.lower()}-{suffix}")
    pane.model.set_rows(saved)
    window.show_pane("Profiles")


@scene("panes-light-dark")
def panes_light_dark(ctx: Ctx) -> None:
    from app.core.settings import Theme
    from app.ui import theme

    for mode, suffix in ((Theme.LIGHT, "light"), (Theme.DARK, "dark")):
        theme.apply(ctx.app, mode)
        ctx.settle(300)
        _panes(ctx, suffix)
        if mode is Theme.DARK:
            qc = ctx.app.quick_connect
            dialog = qc.open(ctx.app.window)
            dialog.edit.setText("web")
            ctx.settle(300)
            ctx.save(dialog, "quick-connect-dark")
            dialog.close()
            doctor = ctx.app.help.open_doctor(checks=_empty_checks())
            ctx.settle(300)
            ctx.save(doctor, "doctor-dark")
            doctor.close()
    theme.apply(ctx.app, Theme.SYSTEM)
