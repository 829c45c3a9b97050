"""Style sheets that take every colour from the palette, so light, dark and high-contrast
themes all read (no literal colours in widgets)."""

from __future__ import annotations

# A notice above a table: the tooltip colours are the palette's "soft attention" pair.
BANNER_CSS = ("QFrame#{name} {{ background: palette(tool-tip-base); border: 1px solid "
              "palette(mid); border-radius: 4px; }} QFrame#{name} QLabel {{ color: "
              "palette(tool-tip-text); }}")
# An error line: weight and the text colour, not a hue a dark theme cannot show.
ERROR_CSS = "font-weight: bold; color: palette(text);"
