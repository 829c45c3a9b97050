"""The tunnels' wiring into the window: the Instances pane's tunnel actions, the tray's
tunnels section and notices, and closing without a tray while tunnels are on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow
    from app.ui.panes.build import Panes
    from app.ui.services import Services
    from app.ui.tray import Tray


def wire_tunnels(services: Services, panes: Panes, window: MainWindow,
                 tray: Tray | None) -> None:
    """Instances' "Forward a port…" and "Remote desktop" -> the Tunnels pane; the instances
    listed -> the editor's target check; the tray's tunnels section, failure icon and
    notices; no tray: closing minimises instead while tunnels are on."""
    from app.core.actions import Action
    from app.core.aws.discovery.rows import InstanceRow
    from app.ui.tray import tunnels_section
    from app.ui.tunnel_open import open_tunnel

    bridge, pane, instances = services.tunnel_view, panes.tunnels, panes.instances

    def instance_action(action: object, row: object) -> None:
        if not isinstance(row, InstanceRow) or action not in (
                Action.PORT_FORWARD, Action.REMOTE_PORT_FORWARD, Action.RDP):
            return
        window.show_pane("Tunnels")
        if action == Action.RDP:
            pane.remote_desktop(row, instances.profile)
        else:
            pane.forward_port(row, instances.profile,
                              remote_host=action == Action.REMOTE_PORT_FORWARD)

    instances.action_requested.connect(instance_action)
    for signal_ in (instances.model.modelReset, instances.model.rowsInserted):
        signal_.connect(lambda *_: pane.set_inventory(instances.model.rows))
    if tray is not None:
        tray.add_section(tunnels_section(bridge, lambda name: open_tunnel(bridge, name)))
        bridge.failed_changed.connect(lambda failed: tray.set_state(
            "failed" if failed else "normal"))
        bridge.notice.connect(tray.notify)
    else:  # GNOME without AppIndicator: never hide into nothing
        window.keep_running = lambda: bridge.on_count() > 0
