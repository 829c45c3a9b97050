"""The Sessions pane's frame: its one row of controls (profile, Refresh, the filter,
Terminate, the status, Terminal settings) and a "Reading…" page, as the settled pane lays
them out.

It needs no services and none of the pane's modules, so the window paints it first when it
reopens on Sessions; the SessionsPane built right after adopts this very widget (connects
the controls, adds the table and the empty states). A pane made on its own builds its frame
the same way. Like profiles_frame.py it touches no enum of the `Qt` namespace (its icons
are palette icons, drawn when painted).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.icons import icon
from app.ui.widgets.loading_page import loading_page
from app.ui.widgets.profile_box import ProfileBox


class SessionsFrame(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_box = ProfileBox()
        self.profile_box.setMinimumWidth(160)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.terminate_button = QPushButton(icon("stop"), "Terminate…")
        self.terminate_button.setEnabled(False)
        self.terminate_button.setToolTip("End one of your own active sessions")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by target, reason, session id, status…")
        self.filter_edit.setClearButtonEnabled(True)
        self.status = QLabel()
        # Room for "12 active · refreshed 23:59:59" from the start: the filter keeps its width
        # when the count arrives.
        self.status.setMinimumWidth(self.status.fontMetrics().horizontalAdvance(
            "12 active · refreshed 23:59:59"))
        self.status.setStyleSheet("color: palette(placeholder-text);")
        top = QHBoxLayout()
        top.addWidget(QLabel("Profile"))  # static text: no markup to guard against
        top.addWidget(self.profile_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.terminate_button)
        top.addWidget(self.status)
        # The window's pane has a settings store; a pane without one hides this.
        self.settings_button = QPushButton(icon("settings"), "Terminal settings…")
        self.settings_button.setToolTip("Which terminal opens sessions, the SSH proxy mode, "
                                        "and the reason prompt")
        top.addWidget(self.settings_button)
        self.loading = loading_page("Reading your AWS profiles…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.column = QVBoxLayout(self)
        self.column.addLayout(top)
        self.column.addWidget(self.stack, 1)
