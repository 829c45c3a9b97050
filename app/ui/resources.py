"""Bundled resources (source tree, installed package or frozen build) and the icons drawn
from the one SVG source, resources/icons/gangway.svg.

The tray icon has three states: "normal", "failed" (a tunnel failed) and "mfa" (an MFA code
is needed). Elsewhere it is the full-colour app icon, whose own blue tile reads on light and
dark panels alike, with a ringed badge; on macOS it is a template image (black and alpha,
drawn by the menu bar in its own colour) cut from the same SVG, with the badge punched out.
scripts/make_icons.py writes the .ico, .icns, PNGs and template files from these functions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QIcon

if TYPE_CHECKING:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath

# The drawing classes (QtSvg, QPainter, QImage and their enums) are imported where they
# draw: the window's icon, the one thing needed before the first paint, is a QIcon of a file.
TRAY_STATES = ("normal", "failed", "mfa")
_BADGE = {"failed": ("#dc2626", "!"), "mfa": ("#f59e0b", "key")}


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def icon_svg() -> Path:
    return resources_dir() / "icons" / "gangway.svg"


def app_icon() -> QIcon:
    icon = QIcon(str(icon_svg()))
    return icon if not icon.isNull() else QIcon.fromTheme("network-server")


def render_icon(size: int) -> QImage:
    """The app icon at size x size pixels (ARGB32, premultiplied)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(str(icon_svg()))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def template_image(size: int) -> QImage:
    """A macOS menu-bar template: the icon's light strokes as black, everything else clear.

    The dark blue tile becomes transparent and the ramp, door and waves opaque, so the glyph
    is the same drawing as the app icon, in the one colour the menu bar allows.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage

    source = render_icon(size).convertToFormat(QImage.Format.Format_ARGB32)
    out = QImage(size, size, QImage.Format.Format_ARGB32)
    out.fill(Qt.GlobalColor.transparent)
    for y in range(size):
        for x in range(size):
            c = source.pixelColor(x, y)
            # the tile is at most ~0.38, the strokes 0.7-0.9: a steep ramp keeps edges smooth
            lum = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()
            alpha = max(0.0, min(1.0, (lum - 0.5) * 4.0)) * c.alphaF()
            out.setPixelColor(x, y, QColor(0, 0, 0, round(alpha * 255)))
    return out


def _badge_path(size: int) -> tuple[QRectF, QPainterPath]:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainterPath

    d = size * 0.5
    rect = QRectF(size - d, size - d, d, d)
    path = QPainterPath()
    path.addEllipse(rect)
    return rect, path


def _draw_mark(painter: QPainter, rect: QRectF, mark: str, color: QColor) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QFont, QPen

    pen = QPen(color, max(1.0, rect.width() * 0.14), Qt.PenStyle.SolidLine,
               Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if mark == "!":
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(rect.height() * 0.8)))
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")
        return
    # a key: a ring and a shaft with one tooth
    r = rect.width() * 0.17
    ring = QPointF(rect.left() + rect.width() * 0.34, rect.center().y())
    painter.drawEllipse(ring, r, r)
    end = QPointF(rect.right() - rect.width() * 0.18, ring.y())
    painter.drawLine(QPointF(ring.x() + r, ring.y()), end)
    painter.drawLine(end, QPointF(end.x(), ring.y() + rect.height() * 0.16))


def tray_image(state: str, size: int, template: bool = False) -> QImage:
    """One tray picture for `state` ("normal", "failed" or "mfa") at size x size pixels."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPainter, QPen

    if state not in TRAY_STATES:
        raise ValueError(f"unknown tray state {state!r}; expected one of {TRAY_STATES}")
    image = template_image(size) if template else render_icon(size)
    if state == "normal":
        return image
    hex_colour, mark = _BADGE[state]
    color = QColor(hex_colour)
    rect, path = _badge_path(size)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if template:
        # punch a ring out of the glyph, then draw a solid badge with its mark cut out
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        grown = rect.adjusted(-size * 0.06, -size * 0.06, size * 0.06, size * 0.06)
        painter.setBrush(Qt.GlobalColor.black)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(grown)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        painter.fillPath(path, QColor("black"))
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        _draw_mark(painter, rect, mark, QColor("black"))
    else:
        # a white ring keeps the badge apart from dark panels and from the tile alike
        painter.setPen(QPen(QColor("white"), max(1.0, size * 0.06)))
        painter.setBrush(color)
        painter.drawEllipse(rect.adjusted(size * 0.03, size * 0.03, -size * 0.03, -size * 0.03))
        _draw_mark(painter, rect, mark, QColor("white") if state == "failed"
                   else QColor("#1f2937"))
    painter.end()
    return image


def tray_icon(state: str) -> QIcon:
    """The tray icon for "normal", "failed" (a tunnel failed) or "mfa" (a code is needed)."""
    from PySide6.QtGui import QPixmap

    template = sys.platform == "darwin"
    icon = QIcon()
    for size in (16, 22, 24, 32, 44, 48, 64):
        icon.addPixmap(QPixmap.fromImage(tray_image(state, size, template)))
    if template:
        icon.setIsMask(True)  # NSImage.template: the menu bar tints it for light and dark
    return icon
