"""The window's panes: one factory per page, and `build_panes` for the set.

Each pane's module is imported by its factory. Every page has a light frame in `FRAMES`
(its controls and a "Reading…" page: no services, none of the pane's modules, no Qt namespace
enum), so whichever page the window reopens on paints as that frame; application.py builds
the panes right after the first paint, and the opening page's pane adopts its frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.ui.panes.instances_pane import InstancesPane
    from app.ui.panes.profiles_pane import ProfilesPane
    from app.ui.panes.sessions_pane import SessionsPane
    from app.ui.panes.tunnels_pane import TunnelsPane
    from app.ui.services import Services


@dataclass
class Panes:
    """The window's panes, by job (wiring refers to them by attribute, never by title)."""

    profiles: ProfilesPane
    instances: InstancesPane
    tunnels: TunnelsPane
    sessions: SessionsPane

    def titled(self) -> list[tuple[str, QWidget]]:
        return [("Profiles", self.profiles), ("Instances", self.instances),
                ("Tunnels", self.tunnels), ("Sessions", self.sessions)]


# Reading ~/.aws/config is file I/O, and the keyring probe is slow: both off the GUI thread.
def _profiles_pane(services: Services, frame: QWidget | None = None) -> QWidget:
    from app.core.aws.profiles.writer import ProfileWriter
    from app.ui.panes.profiles_frame import ProfilesFrame
    from app.ui.panes.profiles_pane import ProfilesPane

    creds = services.credentials
    pane = ProfilesPane(creds, ProfileWriter(creds.store), services.tasks, services.mfa,
                        services.expiry, settings=services.settings,
                        frame=frame if isinstance(frame, ProfilesFrame) else None)
    pane.reload()
    return pane


def _names_to(services: Services, pane: InstancesPane | SessionsPane | TunnelsPane,
              name: str) -> None:
    creds = services.credentials
    task = services.tasks.submit(lambda: creds.profiles().names(), name=name)
    task.result.connect(pane.set_profiles)


def _instances_pane(services: Services, frame: QWidget | None = None) -> QWidget:
    from app.ui.panes.instances_frame import InstancesFrame
    from app.ui.panes.instances_pane import InstancesPane

    pane = InstancesPane(services.tasks, services.credentials, services.favourites,
                         services.permissions,
                         frame=frame if isinstance(frame, InstancesFrame) else None)
    _names_to(services, pane, "instance profiles")
    return pane


def _tunnels_pane(services: Services, frame: QWidget | None = None) -> QWidget:
    from app.ui.panes.tunnels_frame import TunnelsFrame
    from app.ui.panes.tunnels_pane import TunnelsPane

    pane = TunnelsPane(services.tunnel_view, services.tasks, services.paths.runtime_dir,
                       frame=frame if isinstance(frame, TunnelsFrame) else None)
    _names_to(services, pane, "tunnel profiles")
    return pane


def _sessions_pane(services: Services, frame: QWidget | None = None) -> QWidget:
    from app.ui.panes.sessions_frame import SessionsFrame
    from app.ui.panes.sessions_pane import SessionsPane

    pane = SessionsPane(services.tasks, services.credentials, services.history,
                        settings=services.settings,
                        frame=frame if isinstance(frame, SessionsFrame) else None)
    _names_to(services, pane, "session profiles")
    return pane


# The frames: what the window paints first for each page (the frame modules import Qt
# widgets only).
def _profiles_frame() -> QWidget:
    from app.ui.panes.profiles_frame import ProfilesFrame

    return ProfilesFrame()


def _instances_frame() -> QWidget:
    from app.ui.panes.instances_frame import InstancesFrame

    return InstancesFrame()


def _tunnels_frame() -> QWidget:
    from app.ui.panes.tunnels_frame import TunnelsFrame

    return TunnelsFrame()


def _sessions_frame() -> QWidget:
    from app.ui.panes.sessions_frame import SessionsFrame

    return SessionsFrame()


# The window's pages in sidebar order, each with the function that builds its pane (around
# a frame from FRAMES, adopted, or with a frame of its own).
PANES: dict[str, Callable[[Services, QWidget | None], QWidget]] = {
    "Profiles": _profiles_pane, "Instances": _instances_pane, "Tunnels": _tunnels_pane,
    "Sessions": _sessions_pane}
# Each page's light frame (its controls and "Reading…": no services, none of the pane's
# modules, no Qt namespace enum): whichever page the window reopens on paints it first.
FRAMES: dict[str, Callable[[], QWidget]] = {
    "Profiles": _profiles_frame, "Instances": _instances_frame, "Tunnels": _tunnels_frame,
    "Sessions": _sessions_frame}


def build_panes(services: Services, frames: Mapping[str, QWidget] | None = None) -> Panes:
    """One pane per job; each says honestly what will appear in it. `frames`: frames from
    `FRAMES` that painted first, adopted by their panes."""
    frame = dict(frames or {})
    made = {title: make(services, frame.get(title)) for title, make in PANES.items()}
    return Panes(cast("ProfilesPane", made["Profiles"]),
                 cast("InstancesPane", made["Instances"]),
                 cast("TunnelsPane", made["Tunnels"]), cast("SessionsPane", made["Sessions"]))
