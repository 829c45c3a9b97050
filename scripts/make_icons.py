"""Write every icon file from the one SVG source, resources/icons/gangway.svg.

    python scripts/make_icons.py [OUT]        (default: build/icons)

OUT/gangway.ico        Windows: 16-256 px, PNG-compressed entries
OUT/gangway.icns       macOS: 16-1024 px (icp4..ic10)
OUT/hicolor/NxN/apps/gangway.png, OUT/hicolor/scalable/apps/gangway.svg   Linux (.deb)
OUT/tray/tray-STATE.png, tray-STATE@2x.png, trayTemplate[-STATE][@2x].png   tray states

Qt renders and encodes each size (QSvgRenderer, QImageWriter "png"); the .ico and .icns
containers are assembled here because Qt's ico and icns writers store one image per file.
Every file is read back with QImageReader (the qico/qicns plugins) before the script ends.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns OSType -> pixel size (the @2x types share a size with a larger 1x one)
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256),
              ("ic09", 512), ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256),
              ("ic14", 512))
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def png_bytes(image: object) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QImageWriter

    assert isinstance(image, QImage)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, b"png")
    if not writer.write(image):
        raise RuntimeError(f"PNG encoding failed: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO file of PNG entries (Windows Vista and later read these at every size)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[str, bytes]) -> bytes:
    body = b"".join(struct.pack(">4sI", kind.encode(), 8 + len(png)) + png
                    for kind, png in pngs.items())
    return struct.pack(">4sI", b"icns", 8 + len(body)) + body


def read_back(path: Path) -> list[tuple[int, int]]:
    """The sizes Qt's own reader finds in an image file (every image, for ico/icns)."""
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(path))
    sizes = []
    for _ in range(max(1, reader.imageCount())):
        image = reader.read()
        if image.isNull():
            raise RuntimeError(f"{path}: Qt cannot read it back ({reader.errorString()})")
        sizes.append((image.width(), image.height()))
        if not reader.jumpToNextImage():
            break
    return sizes


def make_icons(out: Path) -> list[Path]:
    from app.ui.resources import TRAY_STATES, icon_svg, render_icon, tray_image

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rendered = {n: png_bytes(render_icon(n)) for n in {*ICO_SIZES, *HICOLOR_SIZES, 512, 1024}}

    target = out / "gangway.ico"
    target.write_bytes(ico({n: rendered[n] for n in ICO_SIZES}))
    written.append(target)
    target = out / "gangway.icns"
    target.write_bytes(icns({kind: rendered[n] for kind, n in ICNS_TYPES}))
    written.append(target)
    for n in HICOLOR_SIZES:
        target = out / "hicolor" / f"{n}x{n}" / "apps" / "gangway.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rendered[n])
        written.append(target)
    scalable = out / "hicolor" / "scalable" / "apps" / "gangway.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icon_svg(), scalable)
    written.append(scalable)
    tray = out / "tray"
    tray.mkdir(exist_ok=True)
    for state in TRAY_STATES:
        suffix = "" if state == "normal" else f"-{state}"
        for scale, tag in ((1, ""), (2, "@2x")):
            for template, name in ((False, f"tray{suffix}"), (True, f"trayTemplate{suffix}")):
                target = tray / f"{name}{tag}.png"
                target.write_bytes(png_bytes(tray_image(state, 22 * scale, template)))
                written.append(target)
    for path in written:
        if path.suffix != ".svg":
            read_back(path)
    return written


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    out = Path(argv[0]) if argv else ROOT / "build" / "icons"
    _app = QGuiApplication.instance() or QGuiApplication([])
    written = make_icons(out)
    print(f"wrote {len(written)} icon files to {out}")
    for name in ("gangway.ico", "gangway.icns"):
        sizes = read_back(out / name)
        print(f"  {name}: {', '.join(f'{w}x{h}' for w, h in sizes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
