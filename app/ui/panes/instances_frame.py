"""The Instances pane's frame: the profile and region row, the filter row and a "Reading…"
page, as the settled pane lays them out.

It needs no services and none of the pane's modules, so the window paints it first when it
reopens on Instances; the InstancesPane built right after adopts this very widget (connects
its controls, adds the banners, the table and the empty states) instead of building another.
A pane made on its own builds its frame the same way, so both look alike. Like
profiles_frame.py it touches no enum of the `Qt` namespace (no text formats or alignments:
the pane sets those on adoption); its icons are palette icons, drawn when painted.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.icons import icon
from app.ui.widgets.loading_page import loading_page
from app.ui.widgets.profile_box import ProfileBox

# The region box's choices: the profile's own region, every enabled one, or one region.
DEFAULT_REGION = "Profile's region"
ALL_REGIONS = "All enabled regions"
KNOWN_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "me-south-1", "af-south-1",
)
BANNERS_AT = 2  # the pane's banners go between the filter row and the pages


class InstancesFrame(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_box = ProfileBox()
        self.profile_box.setMinimumWidth(160)
        self.region_box = QComboBox()
        self.region_box.addItems([DEFAULT_REGION, ALL_REGIONS, *KNOWN_REGIONS])
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.cancel_button = QPushButton(icon("stop"), "Cancel")
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        self.refreshed_label = QLabel()
        self.refreshed_label.setStyleSheet("color: palette(placeholder-text);")
        top = QHBoxLayout()
        top.addWidget(QLabel("Profile"))  # static texts: no markup to guard against
        top.addWidget(self.profile_box)
        top.addWidget(QLabel("Region"))
        top.addWidget(self.region_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress)
        top.addStretch(1)
        top.addWidget(self.refreshed_label)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, id, IP or tag:Key=Value")
        self.filter_edit.setClearButtonEnabled(True)
        self.only_connectable = QCheckBox("Only what I can connect to")
        self.only_connectable.setChecked(True)  # the filter's default; the pane follows it
        self.count_label = QLabel()
        second = QHBoxLayout()
        second.addWidget(self.filter_edit, 1)
        second.addWidget(self.only_connectable)
        second.addWidget(self.count_label)

        self.loading = loading_page("Reading your AWS profiles…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.column = QVBoxLayout(self)
        self.column.addLayout(top)
        self.column.addLayout(second)
        self.column.addWidget(self.stack, 1)
