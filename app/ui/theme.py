"""Light, dark or the system's colours, switched while the app runs.

A forced theme uses the Fusion style with a full palette (every role the widgets and our
`palette(...)` style sheets read); "system" gives the platform's own palette back. Widgets
only ever use palette roles, so everything follows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from app.core.settings import Theme

_DARK = {
    QPalette.ColorRole.Window: "#2b2d30", QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f2023", QPalette.ColorRole.AlternateBase: "#26282b",
    QPalette.ColorRole.ToolTipBase: "#3a3d41", QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#9a9ea6", QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#34363a", QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b", QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#6ea8fe",
    QPalette.ColorRole.LinkVisited: "#b197fc", QPalette.ColorRole.Mid: "#55585d",
    QPalette.ColorRole.Dark: "#1a1b1d", QPalette.ColorRole.Light: "#45484d",
    QPalette.ColorRole.Midlight: "#3c3f43", QPalette.ColorRole.Shadow: "#000000",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#efefef", QPalette.ColorRole.WindowText: "#1e1e1e",
    QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f5f5f5",
    QPalette.ColorRole.ToolTipBase: "#ffffdc", QPalette.ColorRole.ToolTipText: "#1e1e1e",
    QPalette.ColorRole.PlaceholderText: "#6d6d6d", QPalette.ColorRole.Text: "#1e1e1e",
    QPalette.ColorRole.Button: "#efefef", QPalette.ColorRole.ButtonText: "#1e1e1e",
    QPalette.ColorRole.BrightText: "#c00000", QPalette.ColorRole.Highlight: "#308cc6",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#0b57d0",
    QPalette.ColorRole.LinkVisited: "#6b3fa0", QPalette.ColorRole.Mid: "#b8b8b8",
    QPalette.ColorRole.Dark: "#9f9f9f", QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#e3e3e3", QPalette.ColorRole.Shadow: "#767676",
}


def palette_for(theme: Theme) -> QPalette:
    palette = QPalette()
    roles = _DARK if theme is Theme.DARK else _LIGHT
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
        disabled = QColor(colour)
        if role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                    QPalette.ColorRole.ButtonText):
            disabled = QColor(roles[QPalette.ColorRole.PlaceholderText])
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply(app: QApplication, theme: Theme) -> None:
    hints = app.styleHints()
    if theme is Theme.SYSTEM:
        hints.unsetColorScheme()
        app.setPalette(app.style().standardPalette())
    else:
        fusion = QStyleFactory.create("Fusion")
        if fusion is not None and app.style().name().lower() != "fusion":
            app.setStyle(fusion)
        hints.setColorScheme(Qt.ColorScheme.Dark if theme is Theme.DARK
                             else Qt.ColorScheme.Light)
        app.setPalette(palette_for(theme))
    # Style sheets resolve palette(...) when polished: polish those widgets again.
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


def is_dark(app: QApplication) -> bool:
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128
