"""The Instances pane's context menu: session actions (with why-not), copy, favourite.

Menu text never carries raw hostile text: `menu_text` doubles `&` (no mnemonics) and flattens
control characters (a tab would start a shortcut column); tooltips are escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.core.actions import Action
from app.core.aws.discovery.rows import InstanceRow
from app.ui.icons import icon
from app.ui.models.instances_model import plain_tooltip

ACTIONS: tuple[tuple[Action, str], ...] = (
    (Action.SHELL, "Open shell"),
    (Action.SHELL_REASON, "Open shell with a reason…"),
    (Action.SHELL_COMMAND, "Run a command…"),
    (Action.SSH, "SSH"),
    (Action.SFTP, "SFTP"),
    (Action.SCP, "Copy files (scp)…"),
    (Action.COPY_SSH, "Copy SSH command"),
    (Action.PORT_FORWARD, "Forward a port…"),
    (Action.RDP, "Remote desktop (RDP)"),
)

# What the Instances table's keys do (SessionActions.SHORTCUTS), shown next to each entry.
MENU_KEYS: dict[Action, str] = {
    Action.SHELL: "Return", Action.SHELL_REASON: "Ctrl+Shift+R",
    Action.SHELL_COMMAND: "Ctrl+Shift+E", Action.SSH: "Ctrl+Shift+S",
    Action.SFTP: "Ctrl+Shift+F", Action.SCP: "Ctrl+Shift+U", Action.COPY_SSH: "Ctrl+Shift+C"}

# The main ways in wear the icons the panes use for them (resources/ui-icons).
MENU_ICONS: dict[Action, str] = {
    Action.SHELL: "sessions", Action.SSH: "key", Action.SFTP: "folder", Action.SCP: "transfer",
    Action.COPY_SSH: "copy", Action.PORT_FORWARD: "tunnels", Action.RDP: "instances"}


def menu_text(text: str) -> str:
    """Hostile text safe for a QAction: no mnemonics, no tab (shortcut separator), one line."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat.replace("&", "&&")[:80]


def build_menu(parent: QWidget, row: InstanceRow, *, favourite: bool,
               on_action: Callable[[Action, InstanceRow], None],
               on_favourite: Callable[[InstanceRow], None],
               on_diagnose: Callable[[InstanceRow], None] | None = None) -> QMenu:
    menu = QMenu(parent)
    title = menu.addAction(menu_text(row.name or row.instance_id))
    title.setEnabled(False)
    menu.addSeparator()
    for action, label in ACTIONS:
        cap = row.capabilities.get(action)
        if not cap.ok and cap.reason == "not offered for this platform":
            continue
        item = menu.addAction(label if cap.ok else f"{label} (unavailable)")
        item.setEnabled(cap.ok)
        item.setData(action.value)
        if action in MENU_ICONS:
            item.setIcon(icon(MENU_ICONS[action]))
        if not cap.ok:
            item.setStatusTip(menu_text(cap.reason))
            item.setToolTip(plain_tooltip(cap.reason))
        if action in MENU_KEYS:  # the keys that do it in the table, shown in the menu
            item.setShortcut(QKeySequence(MENU_KEYS[action]))
        item.triggered.connect(lambda _=False, a=action, r=row: on_action(a, r))
    menu.setToolTipsVisible(True)
    menu.addSeparator()
    copies = (("Copy instance ID", row.instance_id), ("Copy private IP", row.private_ip),
              ("Copy name", row.name))
    for label, value in copies:
        copy = menu.addAction(icon("copy"), label)
        copy.setEnabled(bool(value))
        copy.triggered.connect(lambda _=False, v=value: QGuiApplication.clipboard().setText(v))
    menu.addSeparator()
    fav = QAction(icon("star"), "Remove from favourites" if favourite else "Add to favourites",
                  menu)
    fav.triggered.connect(lambda _=False, r=row: on_favourite(r))
    menu.addAction(fav)
    if on_diagnose is not None:
        diagnose = menu.addAction(icon("doctor"), "Diagnose connection…")
        diagnose.triggered.connect(lambda _=False, r=row: on_diagnose(r))
    return menu
