"""The Help menu's windows: the doctor (and its check at start-up), About, the policy helper.

`HelpMenu` owns them and what they learn: the doctor's last checks feed the Instances pane's
Access column (is the plugin here?) and the first-run guide, and a missing essential opens
the doctor once after start-up. `GangwayApplication` makes one in `finish_start()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.core.checks import Check
    from app.ui.main_window import MainWindow
    from app.ui.panes.build import Panes
    from app.ui.services import Services

CHECK_AFTER_MS = 800  # the start-up check waits for the window to settle


class HelpMenu(QObject):
    def __init__(self, services: Services, window: MainWindow, panes: Panes, *,
                 tray_available: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services, self.window, self.panes = services, window, panes
        self.tray_available = tray_available
        self.doctor: QWidget | None = None
        self.checks: list[Check] | None = None

    def wire(self) -> None:
        """Help > Doctor, Policy Helper and About; the panes' "open the doctor" and "set up a
        profile"; the checks run once in the background, shortly after start-up."""
        window, panes = self.window, self.panes
        window.add_help_action("IAM &Policy Helper…", self.open_policy_helper)
        window.about_provider = self.open_about
        window.add_help_action("&Doctor…", self.open_doctor, "Ctrl+Shift+D")
        panes.instances.diagnose_requested.connect(lambda row: self.open_doctor(row=row))
        panes.profiles.doctor_requested.connect(self.open_doctor)
        for pane in (panes.instances, panes.sessions):
            pane.setup_requested.connect(lambda: window.show_pane("Profiles"))
        QTimer.singleShot(CHECK_AFTER_MS, self._check_at_start)

    def _check_at_start(self) -> None:
        from app.ui.dialogs.doctor_dialog import checks_job

        task = self.services.tasks.submit(checks_job, self.tray_available, name="doctor")
        # A bound slot, not a lambda: Qt drops it with this object (a child of the window),
        # so checks that end after the window has gone touch no deleted pane.
        task.result.connect(self._checked_at_start)

    def _checked_at_start(self, checks: object) -> None:
        self.checked(checks, at_start=True)

    def checked(self, checks: object, at_start: bool = False) -> None:
        from app.core.doctor import essentials_ok, plugin_missing

        if not isinstance(checks, list):
            return
        self.checks = checks
        self.panes.instances.set_plugin_missing(plugin_missing(checks))
        self.panes.profiles.guide.set_checks(checks)
        if at_start and not essentials_ok(checks):
            self.open_doctor(checks=checks)

    def open_doctor(self, row: object = None, checks: list[Check] | None = None) -> QWidget:
        from app.core.aws.discovery.rows import InstanceRow
        from app.ui.dialogs.doctor_dialog import DoctorDialog

        pane = self.panes.instances
        picked = row if isinstance(row, InstanceRow) else pane.selected_row()
        dialog = DoctorDialog(self.services.tasks, tray_available=self.tray_available,
                              row=picked, account=pane.account, checks=checks,
                              parent=self.window)
        dialog.checked.connect(self.checked)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.doctor = dialog
        dialog.show()
        return dialog

    def open_about(self) -> QWidget:
        from app.ui.dialogs.about import AboutDialog

        dialog = AboutDialog(self.services.tasks, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_policy_helper(self) -> QWidget:
        """Account and user from the Instances pane's profile, as far as Gangway knows them."""
        from app.ui.dialogs.policy_helper import PolicyHelper

        pane = self.panes.instances
        identity = self.services.credentials.cached_identity(pane.profile) if pane.profile \
            else None
        arn = identity.arn if identity else ""
        user = arn.split(":user/", 1)[1].rsplit("/", 1)[-1] if ":user/" in arn else ""
        account = pane.account or (identity.account if identity else "")
        dialog = PolicyHelper(self.services.tasks, account=account, users=user,
                              parent=self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
