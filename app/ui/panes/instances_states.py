"""The Instances pane's pages: which one shows (the table, or an empty state that says
why and what to do), kept apart from discovery and actions. `InstancesPane` mixes it in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app.ui.widgets.empty_state import EmptyState

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QTableView

    from app.ui.models.instances_filter import InstancesFilter
    from app.ui.models.instances_model import InstancesModel
    from app.ui.panes.instances_frame import InstancesFrame
    from app.ui.widgets.profile_box import ProfileBox

NO_PROFILES_TITLE = "No AWS profiles yet"


class InstancesStatesMixin(QWidget):
    """Needs from the pane: model, proxy, view, profile box, counts, busy, refresh, errors."""

    setup_requested = Signal()  # no profile at all: take the user to the first-run guide
    frame: InstancesFrame
    model: InstancesModel
    proxy: InstancesFilter
    view: QTableView
    profile_box: ProfileBox
    count_label: QLabel
    region_errors: dict[str, str]
    regions_done: int
    last_refreshed: float | None
    profiles_known: bool

    @property
    def profile(self) -> str:
        return self.profile_box.currentText()

    @property
    def busy(self) -> bool:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    def show_all(self) -> None:
        raise NotImplementedError

    def _search_all(self) -> None:
        raise NotImplementedError

    def _build_states(self) -> None:
        self.empty_profile = EmptyState(
            "Pick a profile to see instances",
            "The instances you may connect to, across regions, will appear here, with the "
            "reason for any you cannot reach.")
        self.no_profiles = EmptyState(
            NO_PROFILES_TITLE, "Instances are found with an AWS profile. Set one up in "
            "Profiles: sign in with SSO, add access keys, or open a config file you have.",
            "Set up a profile", icon_name="profiles")
        self.no_profiles.action.connect(self.setup_requested)
        self.loading = EmptyState("Looking for instances…",
                                  "Asking EC2 and Systems Manager in each region.")
        self.empty_none = EmptyState(
            "No instances found",
            "No EC2 instances or managed nodes in the selected regions. Try "
            "“All enabled regions”.", "Search all enabled regions",
            icon_name="search")
        self.empty_none.action.connect(self._search_all)
        self.empty_filtered = EmptyState(
            "Nothing matches", "Every instance is hidden by the filter or by “Only what I "
            "can connect to”.", "Show all", icon_name="close")
        self.empty_filtered.action.connect(self.show_all)
        self.error_state = EmptyState("Could not list instances", "", "Retry",
                                      icon_name="refresh")
        self.error_state.action.connect(self.refresh)
        self.stack = self.frame.stack  # its "Reading…" page shows until the pane says more
        for widget in (self.view, self.empty_profile, self.no_profiles, self.loading,
                       self.empty_none, self.empty_filtered, self.error_state):
            self.stack.addWidget(widget)
            if isinstance(widget, EmptyState):
                # Texts change later (error messages); a wrapped label sized for the first
                # text would clip the next one.
                widget.text_label.setMinimumWidth(480)

    # --- presentation -----------------------------------------------------------------------
    _failed = False

    def _update_state(self, *_: object) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{shown} of {total} shown" if total else "")
        if not self.profile:
            none = self.profiles_known and self.profile_box.count() == 0
            # Until the names are read, the frame's "Reading…": not "Pick a profile".
            page: QWidget = (self.no_profiles if none else self.empty_profile
                             if self.profiles_known else self.frame.loading)
        elif total:
            page = self.view if shown else self.empty_filtered
        elif self.busy:
            page = self.loading
        elif self._failed:
            page = self.error_state
        elif self.region_errors and len(self.region_errors) >= self.regions_done > 0:
            self.error_state.set_text("Could not list instances",
                                      "No region could be searched; see the messages above.")
            page = self.error_state
        elif self.last_refreshed is None:
            self.empty_none.set_text("Press Refresh to list instances",
                                     f"Profile “{self.profile}” is selected.")
            page = self.empty_none
        else:
            self.empty_none.set_text("No instances found",
                                     "No EC2 instances or managed nodes in the selected "
                                     "regions. Try “All enabled regions”.")
            page = self.empty_none
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)

