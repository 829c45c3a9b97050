"""The Instances pane's context menu: session actions (with why-not), copy, favourite.

Menu text never carries raw hostile text: `menu_text` doubles `&` (no mnemonics) and flattens
control characters (a tab would start a shortcut column); tooltips are escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from app.core.aws.discovery.capabilities import Action
from app.core.aws.discovery.rows import InstanceRow
from app.ui.models.instances_model import plain_tooltip

# What a session action needs, in the sessions engineer's vocabulary.
ACTIONS: tuple[tuple[str, str, Action], ...] = (
    ("shell", "Open shell", Action.SHELL),
    ("shell-reason", "Open shell with a reason…", Action.SHELL),
    ("shell-command", "Run a command…", Action.SHELL),
    ("ssh", "SSH", Action.SSH),
    ("sftp", "SFTP", Action.SFTP),
    ("scp", "Copy files (scp)…", Action.SCP),
    ("copy-ssh", "Copy SSH command", Action.SSH),
    ("port-forward", "Forward a port…", Action.PORT_FORWARD),
    ("rdp", "Remote desktop (RDP)", Action.RDP),
)

def menu_text(text: str) -> str:
    """Hostile text safe for a QAction: no mnemonics, no tab (shortcut separator), one line."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat.replace("&", "&&")[:80]


def build_menu(parent: QWidget, row: InstanceRow, *, favourite: bool,
               on_action: Callable[[str, InstanceRow], None],
               on_favourite: Callable[[InstanceRow], None]) -> QMenu:
    menu = QMenu(parent)
    title = menu.addAction(menu_text(row.name or row.instance_id))
    title.setEnabled(False)
    menu.addSeparator()
    for key, label, action in ACTIONS:
        cap = row.capabilities.get(action)
        if not cap.ok and cap.reason == "not offered for this platform":
            continue
        item = menu.addAction(label if cap.ok else f"{label} (unavailable)")
        item.setEnabled(cap.ok)
        item.setData(key)
        if not cap.ok:
            item.setStatusTip(menu_text(cap.reason))
            item.setToolTip(plain_tooltip(cap.reason))
        item.triggered.connect(lambda _=False, k=key, r=row: on_action(k, r))
    menu.setToolTipsVisible(True)
    menu.addSeparator()
    copies = (("Copy instance ID", row.instance_id), ("Copy private IP", row.private_ip),
              ("Copy name", row.name))
    for label, value in copies:
        copy = menu.addAction(label)
        copy.setEnabled(bool(value))
        copy.triggered.connect(lambda _=False, v=value: QGuiApplication.clipboard().setText(v))
    menu.addSeparator()
    fav = QAction("Remove from favourites" if favourite else "Add to favourites", menu)
    fav.triggered.connect(lambda _=False, r=row: on_favourite(r))
    menu.addAction(fav)
    return menu
