"""The Profiles pane's frame: its toolbar, the filter and the "Reading…" page.

It needs no services and none of the pane's modules, so the window paints it first; the
ProfilesPane built right after adopts this very widget (connects the actions, adds its
banners, table and guide) instead of building another. A pane made on its own (tests,
scenes) builds its frame the same way, so both look alike.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from app.ui.widgets.empty_state import EmptyState

# (key, text) in toolbar order; None is a separator. The pane connects each key's slot.
TOOLBAR: tuple[tuple[str, str] | None, ...] = (
    ("new", "New"), ("edit", "Edit"), ("duplicate", "Duplicate"), ("rename", "Rename"),
    ("delete", "Delete"), None,
    ("protect", "Protect keys"), ("restore", "Restore keys"), None,
    ("mfa", "Enter MFA code"), ("sso", "SSO login"), ("identity", "Check identity"), None,
    ("reload", "Reload"), ("settings", "Settings…"))
# What the pane's update_actions() enables with no profile selected (the state it opens in).
IDLE = frozenset({"new", "sso", "reload", "settings"})
BANNERS_AT = 1  # the pane's banners go between the toolbar and the filter


class ProfilesFrame(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.actions_by_name: dict[str, QAction] = {}
        for item in TOOLBAR:
            if item is None:
                self.toolbar.addSeparator()
                continue
            key, text = item
            action = QAction(text, self)
            action.setEnabled(key in IDLE)
            self.toolbar.addAction(action)
            self.actions_by_name[key] = action
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter profiles by name, kind, region or account")
        self.filter_edit.setClearButtonEnabled(True)
        self.loading = EmptyState("Reading your AWS profiles…", "")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(8, 4, 8, 8)
        self.column.addWidget(self.toolbar)
        self.column.addWidget(self.filter_edit)  # right above what it filters
        self.column.addWidget(self.stack, 1)
