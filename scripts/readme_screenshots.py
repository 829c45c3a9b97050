"""Refresh README's pictures (docs/screenshots/) from a `make screenshots` run.

Each is the build/screenshots/ PNG of the same name, at most 1000 px wide and in 256 colours,
so the repository stays small.

    python scripts/readme_screenshots.py [--src build/screenshots] [--dest docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README_SHOTS = ("instances-light", "instances-dark", "quick-connect-results", "profiles-dark",
                "first-run")
WIDTH = 1000


def _palette(image: Any) -> list[int]:
    """256 colours from the image itself: a window is a few flat greys and their anti-aliased
    edges, which a generic colour cube blurs into each other, plus the few saturated state
    colours (green, amber, red, the highlight), which plain frequency would drop."""
    from collections import Counter

    from PySide6.QtGui import QColor, QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    counts = Counter(rgb.pixel(x, y) for y in range(rgb.height()) for x in range(rgb.width()))
    vivid = [c for c, _n in counts.most_common() if QColor.fromRgb(c).hsvSaturation() > 90]
    chosen = vivid[:64]
    chosen += [c for c, _n in counts.most_common(256) if c not in set(chosen)]
    return chosen[:256]


def refresh(src: Path, dest: Path) -> list[Path]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    written = []
    for name in README_SHOTS:
        image = QImage(str(src / f"{name}.png"))
        if image.isNull():
            raise SystemExit(f"{src / name}.png is missing or unreadable: run make screenshots")
        if image.width() > WIDTH:
            image = image.scaledToWidth(WIDTH, Qt.TransformationMode.SmoothTransformation)
        small = image.convertToFormat(QImage.Format.Format_Indexed8, _palette(image),
                                      Qt.ImageConversionFlag.ThresholdDither)
        out = dest / f"{name}.png"
        if not small.save(str(out)):
            raise SystemExit(f"could not write {out}")
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument("--dest", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    for path in refresh(args.src, args.dest):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
