"""Gangway's own line icons (resources/ui-icons/*.svg), drawn in the palette's colours.

The SVGs use `currentColor`; each icon is rendered with the window text colour for normal
use and the highlighted text colour for a selected item, so a light or dark theme (or a
theme switch) gives icons that match. The app/tray icon is separate (`resources.app_icon`).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap

from app.ui.resources import resources_dir

SIZES = (16, 20, 40)  # list rows and menus, the sidebar, the sidebar at 2x


@lru_cache(maxsize=64)
def _svg(name: str) -> str:
    return (resources_dir() / "ui-icons" / f"{name}.svg").read_text(encoding="utf-8")


def _pixmap(svg: str, colour: QColor, size: int) -> QPixmap:
    from PySide6.QtSvg import QSvgRenderer  # loaded with the first icon, not at import

    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour.name()).encode()))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def tinted(name: str, colour: QColor, size: int) -> QPixmap:
    """One icon in one colour (state chips: the colour says it, the shape says it again)."""
    try:
        return _pixmap(_svg(name), colour, size)
    except OSError:
        return QPixmap()


def ui_icon(name: str, palette: QPalette) -> QIcon:
    """`name` from resources/ui-icons; an empty icon if the file is missing."""
    try:
        svg = _svg(name)
    except OSError:
        return QIcon()
    icon = QIcon()
    normal = palette.color(QPalette.ColorRole.WindowText)
    selected = palette.color(QPalette.ColorRole.HighlightedText)
    for size in SIZES:  # Qt derives the disabled look from the normal pixmap
        icon.addPixmap(_pixmap(svg, normal, size), QIcon.Mode.Normal)
        icon.addPixmap(_pixmap(svg, selected, size), QIcon.Mode.Selected)
    return icon
