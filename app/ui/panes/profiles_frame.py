"""The Profiles pane's frame: its toolbar, the filter and the "Reading…" page.

It needs no services and none of the pane's modules, so the window paints it first; the
ProfilesPane built right after adopts this very widget (connects the actions, adds its
banners, table and guide) instead of building another. A pane made on its own (tests,
scenes) builds its frame the same way, so both look alike.

It touches no enum of the `Qt` namespace: PySide6 builds all ~100 of them on first use
(~13 ms), which the first paint need not wait for. Hence no alignment flags (stretches centre
the loading title), and the toolbar's text-beside-icon style is set as a property. Its icons
are palette icons (`icons.icon`): drawn when painted, in the palette of that moment.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLineEdit,
    QMenu,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.icons import icon
from app.ui.widgets.loading_page import loading_page

# (key, text) in toolbar order; None is a separator. The pane connects each key's slot.
# The everyday actions are on the bar; the rarer ones (MORE) under "More" (and in the row
# menu), so the bar is not a dozen buttons, half of them disabled.
TOOLBAR: tuple[tuple[str, str] | None, ...] = (
    ("new", "New"), ("edit", "Edit"), ("delete", "Delete"), None,
    ("mfa", "Enter MFA code"), ("sso", "SSO login"), ("identity", "Check identity"), None,
    ("reload", "Reload"), ("settings", "Settings…"), None,
    ("duplicate", "Duplicate"), ("rename", "Rename"), None,
    ("protect", "Protect keys"), ("restore", "Restore keys"))
MORE = frozenset(("duplicate", "rename", "protect", "restore"))
# Each action's icon (resources/ui-icons).
ICONS = {"new": "add", "edit": "edit", "duplicate": "copy", "rename": "rename",
         "delete": "delete", "protect": "lock", "restore": "unlock", "mfa": "mfa",
         "sso": "login", "identity": "identity", "reload": "refresh", "settings": "settings"}
TEXT_BESIDE_ICON = 2  # Qt.ToolButtonStyle.ToolButtonTextBesideIcon, without the namespace
# What the pane's update_actions() enables with no profile selected (the state it opens in).
IDLE = frozenset({"new", "sso", "reload", "settings"})
BANNERS_AT = 1  # the pane's banners go between the toolbar and the filter


class ProfilesFrame(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toolbar = QToolBar()
        self.toolbar.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        self.toolbar.setIconSize(QSize(16, 16))
        self.actions_by_name: dict[str, QAction] = {}
        self.more_menu = QMenu(self)
        for index, item in enumerate(TOOLBAR):
            more = index > 0 and (TOOLBAR[index - 1] or ("", ""))[0] in MORE
            if item is None:
                (self.more_menu if more else self.toolbar).addSeparator()
                continue
            key, text = item
            action = QAction(icon(ICONS[key]), text, self)
            action.setEnabled(key in IDLE)
            (self.more_menu if key in MORE else self.toolbar).addAction(action)
            self.actions_by_name[key] = action
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setToolTip("Duplicate, rename, and protect or restore keys")
        self.more_button.setMenu(self.more_menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.toolbar.addWidget(self.more_button)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter profiles by name, kind, region or account")
        self.filter_edit.setClearButtonEnabled(True)
        self.loading = loading_page("Reading your AWS profiles…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(8, 4, 8, 8)
        self.column.addWidget(self.toolbar)
        self.column.addWidget(self.filter_edit)  # right above what it filters
        self.column.addWidget(self.stack, 1)
