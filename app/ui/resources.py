"""Locating bundled resources in a source tree, an installed package, or a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    icon = QIcon(str(resources_dir() / "icons" / "gangway.svg"))
    return icon if not icon.isNull() else QIcon.fromTheme("network-server")
