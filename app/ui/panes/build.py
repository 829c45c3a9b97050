"""The window's panes: one factory per page, and `build_panes` for the set.

Each pane's module is imported by its factory, so start-up pays only for the page the window
opens on (application.py builds the others right after the first paint). A page with a light
frame in `FRAMES` paints that first; its pane, built after the first paint, adopts it.
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


def _instances_pane(services: Services) -> QWidget:
    from app.ui.panes.instances_pane import InstancesPane

    pane = InstancesPane(services.tasks, services.credentials, services.favourites,
                         services.permissions)
    _names_to(services, pane, "instance profiles")
    return pane


def _tunnels_pane(services: Services) -> QWidget:
    from app.ui.panes.tunnels_pane import TunnelsPane

    pane = TunnelsPane(services.tunnel_view, services.tasks, services.paths.runtime_dir)
    _names_to(services, pane, "tunnel profiles")
    return pane


def _sessions_pane(services: Services) -> QWidget:
    from app.ui.panes.sessions_pane import SessionsPane

    pane = SessionsPane(services.tasks, services.credentials, services.history,
                        settings=services.settings)
    _names_to(services, pane, "session profiles")
    return pane


def _profiles_frame() -> QWidget:
    from app.ui.panes.profiles_frame import ProfilesFrame

    return ProfilesFrame()


# The window's pages in sidebar order, each with the function that builds it.
PANES: dict[str, Callable[[Services], QWidget]] = {
    "Profiles": _profiles_pane, "Instances": _instances_pane, "Tunnels": _tunnels_pane,
    "Sessions": _sessions_pane}
# Pages with a light frame (toolbar, filter, "Reading…": no services, none of the pane's
# modules, no Qt namespace enum) that paints first: how to build the frame, and the pane
# around it (the pane adopts the frame).
FRAMES: dict[str, tuple[Callable[[], QWidget], Callable[[Services, QWidget], QWidget]]] = {
    "Profiles": (_profiles_frame, _profiles_pane)}


def build_panes(services: Services, built: Mapping[str, QWidget] | None = None,
                frames: Mapping[str, QWidget] | None = None) -> Panes:
    """One pane per job; each says honestly what will appear in it. `built`: panes already
    made (the page the window opened on), kept as they are; `frames`: frames from `FRAMES`
    that painted first, adopted by their panes."""
    have, frame = dict(built or {}), dict(frames or {})
    made = {title: have.get(title) or (
        FRAMES[title][1](services, frame[title]) if title in frame else make(services))
        for title, make in PANES.items()}
    return Panes(cast("ProfilesPane", made["Profiles"]),
                 cast("InstancesPane", made["Instances"]),
                 cast("TunnelsPane", made["Tunnels"]), cast("SessionsPane", made["Sessions"]))
