"""Gangway's own line icons (resources/ui-icons/*.svg), drawn in the palette's colours.

The SVGs use `currentColor`. `icon(name)` draws at paint time in the application palette's
text colour (the highlighted text colour for a selected item, the disabled text colour for a
disabled button), so buttons, toolbars and menus follow a theme switch without being told.
`tinted` draws a state chip in its state colour. The app/tray icon is separate
(`resources.app_icon`).

Nothing here touches the Qt namespace's enums (PySide6 builds them all on first use): the
window's first paint draws the sidebar's and the Profiles toolbar's icons.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

from app.ui.resources import resources_dir

if TYPE_CHECKING:
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QMessageBox

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


@lru_cache(maxsize=512)
def _cached(name: str, rgb: str, size: int) -> QPixmap:
    try:
        return _draw(_renderer(_svg(name), QColor(rgb)), size)
    except OSError:
        return QPixmap()


def _mode_colour(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    return palette.color(QPalette.ColorRole.WindowText)


class _PaletteEngine(QIconEngine):
    """Renders the SVG when Qt asks, in the palette of that moment (cached per colour)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        side = max(1, min(size.width(), size.height()))
        return _cached(self.name, _mode_colour(mode).name(), side)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        side = max(1, round(min(size.width(), size.height()) * max(scale, 1.0)))
        pixmap = QPixmap(_cached(self.name, _mode_colour(mode).name(), side))
        pixmap.setDevicePixelRatio(max(scale, 1.0))
        return pixmap

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        painter.drawPixmap(rect, self.pixmap(rect.size(), mode, state))

    def clone(self) -> QIconEngine:
        return _PaletteEngine(self.name)

    def iconName(self) -> str:
        return self.name


def icon(name: str) -> QIcon:
    """`name` from resources/ui-icons, drawn in the application's palette when painted."""
    return QIcon(_PaletteEngine(name))


# The icon each standard button wears, by the button's name in Qt's enums.
_STANDARD = {"Save": "save", "Ok": "confirm", "Yes": "confirm", "Cancel": "close",
             "Close": "close", "No": "close"}


def dress(box: QDialogButtonBox | QMessageBox,
          extra: dict[QAbstractButton, str] | None = None) -> None:
    """Our icons on a dialog's or message box's standard buttons (Save, OK, Yes, Cancel,
    Close) and on any `extra` buttons (Connect, Log in, Delete...), so every dialog's main
    buttons look alike (in place of the style's stock pixmaps, which some styles draw and
    others do not). Call it once the buttons are added."""
    for button in box.buttons():
        name = _STANDARD.get(box.standardButton(button).name or "")
        if name:
            button.setIcon(icon(name))
    for button, name in (extra or {}).items():
        button.setIcon(icon(name))


def tinted(name: str, colour: QColor, size: int) -> QPixmap:
    """One icon in one colour (state chips: the colour says it, the shape says it again);
    cached, as a table asks for it on every paint."""
    return _cached(name, colour.name(), size)


@lru_cache(maxsize=128)
def _chip(name: str, rgb: str, selected_rgb: str, size: int) -> QIcon:
    result = QIcon()
    result.addPixmap(_cached(name, rgb, size), QIcon.Mode.Normal)
    result.addPixmap(_cached(name, selected_rgb, size), QIcon.Mode.Selected)
    return result


def chip(name: str, colour: QColor, size: int = 16) -> QIcon:
    """A table cell's state chip: the icon in its state colour, and in the highlighted text
    colour on a selected row (where a red or green icon would sink into the highlight)."""
    selected = QGuiApplication.palette().color(QPalette.ColorRole.HighlightedText)
    return _chip(name, colour.name(), selected.name(), size)

