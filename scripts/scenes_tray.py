"""The tray icon states on light and dark panels, as the user sees them, in one PNG.

    python scripts/scenes_tray.py [OUT.png]      (default: build/scenes/tray.png)

Rows: a light panel, a dark panel, then the macOS template tinted black (light menu bar) and
white (dark menu bar). Columns: normal, failed, mfa, at 22 px and 44 px, drawn at 3x so the
details can be judged.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    from app.ui.resources import TRAY_STATES, tray_image

    _app = QGuiApplication.instance() or QGuiApplication([])
    out = Path(argv[0]) if argv else ROOT / "build" / "scenes" / "tray.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    zoom, cell = 3, 160
    rows = [("#eef0f3", False, None), ("#1f2329", False, None),
            ("#eceff1", True, QColor("black")), ("#262a30", True, QColor("white"))]
    sheet = QImage(cell * len(TRAY_STATES) * 2, cell * len(rows), QImage.Format.Format_ARGB32)
    painter = QPainter(sheet)
    for r, (panel, template, tint) in enumerate(rows):
        painter.fillRect(QRect(0, r * cell, sheet.width(), cell), QColor(panel))
        for c, (state, size) in enumerate((s, n) for s in TRAY_STATES for n in (22, 44)):
            image = tray_image(state, size, template)
            if tint is not None:  # what the menu bar does with a template: keep alpha, recolour
                tinted = QImage(image.size(), QImage.Format.Format_ARGB32_Premultiplied)
                tinted.fill(tint)
                p = QPainter(tinted)
                p.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
                p.drawImage(0, 0, image)
                p.end()
                image = tinted
            shown = image.scaled(size * zoom // 2, size * zoom // 2,
                                 Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.FastTransformation)
            painter.drawImage(c * cell + (cell - shown.width()) // 2,
                              r * cell + (cell - shown.height()) // 2, shown)
    painter.end()
    sheet.save(str(out))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
