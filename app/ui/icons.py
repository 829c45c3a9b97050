"""Gangway's own line icons (resources/ui-icons/*.svg), drawn in the palette's colours.

The SVGs use `currentColor`; each icon is rendered with the window text colour for normal
use and the highlighted text colour for a selected item, so a light or dark theme (or a
theme switch) gives icons that match. The app/tray icon is separate (`resources.app_icon`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap

from app.ui.resources import resources_dir

if TYPE_CHECKING:
    from PySide6.QtSvg import QSvgRenderer

SIZES = (20, 40)  # the sidebar, the sidebar at 2x


@lru_cache(maxsize=64)
def _svg(name: str) -> str:
    return (resources_dir() / "ui-icons" / f"{name}.svg").read_text(encoding="utf-8")


def _renderer(svg: str, colour: QColor) -> QSvgRenderer:
    from PySide6.QtSvg import QSvgRenderer  # loaded with the first icon, not at import

    return QSvgRenderer(QByteArray(svg.replace("currentColor", colour.name()).encode()))


def _draw(renderer: QSvgRenderer, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))  # transparent, without the Qt namespace's enums
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def tinted(name: str, colour: QColor, size: int) -> QPixmap:
    """One icon in one colour (state chips: the colour says it, the shape says it again)."""
    try:
        return _draw(_renderer(_svg(name), colour), size)
    except OSError:
        return QPixmap()


def ui_icon(name: str, palette: QPalette) -> QIcon:
    """`name` from resources/ui-icons; an empty icon if the file is missing."""
    try:
        svg = _svg(name)
    except OSError:
        return QIcon()
    icon = QIcon()
    # Qt derives the disabled look from the normal pixmap. One parse per colour, drawn at
    # each size (the sidebar draws them before its first paint).
    for role, mode in ((QPalette.ColorRole.WindowText, QIcon.Mode.Normal),
                       (QPalette.ColorRole.HighlightedText, QIcon.Mode.Selected)):
        renderer = _renderer(svg, palette.color(role))
        for size in SIZES:
            icon.addPixmap(_draw(renderer, size), mode)
    return icon
