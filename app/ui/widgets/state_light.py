"""A tunnel's state light: a shape per state (so it reads without colour) in palette colours.

    listening     filled disc            the palette's highlight (accent)
    starting      half-filled ring       highlight
    reconnecting  ring with a gap        highlight
    idle          hollow ring            highlight
    off           small hollow ring      placeholder text
    failed        disc with "!"          the highlight's lightness and saturation, turned red

Every colour comes from the widget's palette, so a dark palette gets lights that read on it;
the failure red is the palette's own highlight with only its hue moved. Text next to the light
always says the state in words too.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap

from app.core.tunnels.states import TunnelState

SIZE = 16
_cache: dict[tuple[TunnelState, str, str, int], QIcon] = {}


def failure_colour(palette: QPalette) -> QColor:
    """A red of the palette's own strength (its highlight, hue moved to red)."""
    accent = palette.color(QPalette.ColorRole.Highlight)
    sat = max(accent.hslSaturation(), 150)
    light = min(max(accent.lightness(), 90), 170)
    return QColor.fromHsl(2, sat, light)


def state_colour(state: TunnelState, palette: QPalette) -> QColor:
    if state is TunnelState.FAILED:
        return failure_colour(palette)
    if state is TunnelState.OFF:
        return palette.color(QPalette.ColorRole.PlaceholderText)
    return palette.color(QPalette.ColorRole.Highlight)


def state_icon(state: TunnelState, palette: QPalette, scale: int = 1) -> QIcon:
    colour = state_colour(state, palette)
    base = palette.color(QPalette.ColorRole.Base)
    key = (state, colour.name(), base.name() + palette.color(
        QPalette.ColorRole.HighlightedText).name(), scale)
    icon = _cache.get(key)
    if icon is None:
        icon = QIcon(_draw(state, colour, base, scale))
        # On a selected row the highlight is the background: draw in the highlighted text's
        # colour there (a failure keeps its red, which reads on the highlight).
        on_highlight = palette.color(QPalette.ColorRole.HighlightedText)
        selected = colour if state is TunnelState.FAILED else on_highlight
        icon.addPixmap(_draw(state, selected, base, scale), QIcon.Mode.Selected)
        _cache[key] = icon
    return icon


def _draw(state: TunnelState, colour: QColor, base: QColor, scale: int) -> QPixmap:
    size = SIZE * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    width = 2.0 * scale
    ring = QRectF(3 * scale, 3 * scale, 10 * scale, 10 * scale)
    pen = QPen(colour, width)
    if state is TunnelState.LISTENING:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(QRectF(2 * scale, 2 * scale, 12 * scale, 12 * scale))
    elif state is TunnelState.FAILED:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(QRectF(1 * scale, 1 * scale, 14 * scale, 14 * scale))
        mark = QPen(base, 2.0 * scale, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(mark)
        p.drawLine(QPointF(8 * scale, 4.5 * scale), QPointF(8 * scale, 9 * scale))
        p.drawPoint(QPointF(8 * scale, 11.8 * scale))
    elif state is TunnelState.STARTING:
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(ring)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPie(ring, 90 * 16, 180 * 16)
    elif state is TunnelState.RECONNECTING:
        p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawArc(ring, 60 * 16, 280 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(QRectF(10.2 * scale, 1.8 * scale, 4 * scale, 4 * scale))
    elif state is TunnelState.IDLE:
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(ring)
    else:  # off
        p.setPen(QPen(colour, 1.5 * scale))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF(4.5 * scale, 4.5 * scale, 7 * scale, 7 * scale))
    p.end()
    return pixmap
