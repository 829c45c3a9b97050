"""Style sheets that take every colour from the palette, so light, dark and high-contrast
themes all read (no literal colours in widgets)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

# Hues for states: the lightness follows the palette (lighter on a dark window), so the
# colour reads in both themes; the icon's shape carries the same meaning for who cannot
# tell the hues apart.
_HUES = {"ok": 130, "warn": 35, "missing": 5, "info": 210}


def state_colour(state: str, palette: QPalette) -> QColor:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor.fromHsl(_HUES.get(state, 210), 170 if dark else 200, 165 if dark else 90)

# A notice above a table: the tooltip colours are the palette's "soft attention" pair.
BANNER_CSS = ("QFrame#{name} {{ background: palette(tool-tip-base); border: 1px solid "
              "palette(mid); border-radius: 4px; }} QFrame#{name} QLabel {{ color: "
              "palette(tool-tip-text); }}")


def error_css(palette: QPalette) -> str:
    """An error line: the palette's own red (lighter on a dark window), as in the tunnel
    editor and the state chips, so every dialog says "problem" the same way."""
    return f"color: {state_colour('missing', palette).name()};"
