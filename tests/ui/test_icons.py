"""Icons from the one SVG: the generated .ico/.icns/PNGs read back through Qt's own readers,
and the tray states draw differently, with a real template image for macOS."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from app.ui.resources import TRAY_STATES, template_image, tray_icon, tray_image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_icons  # noqa: E402


def test_make_icons_writes_every_format_and_qt_reads_them(qapp: Any, tmp_path: Path) -> None:
    written = make_icons.make_icons(tmp_path)
    assert make_icons.read_back(tmp_path / "gangway.ico") == [(n, n) for n in make_icons.ICO_SIZES]
    icns_sizes = sorted(w for w, _ in make_icons.read_back(tmp_path / "gangway.icns"))
    assert icns_sizes == sorted(n for _, n in make_icons.ICNS_TYPES)
    for n in make_icons.HICOLOR_SIZES:
        png = tmp_path / "hicolor" / f"{n}x{n}" / "apps" / "gangway.png"
        assert png in written and QImage(str(png)).size().width() == n
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "gangway.svg").read_text().startswith("<svg")
    for name in ("trayTemplate.png", "trayTemplate@2x.png", "tray-failed.png", "tray-mfa@2x.png"):
        assert (tmp_path / "tray" / name).stat().st_size > 100


def test_tray_states_differ_and_unknown_states_are_refused(qapp: Any) -> None:
    images = {s: tray_image(s, 32) for s in TRAY_STATES}
    assert images["normal"] != images["failed"] != images["mfa"] != images["normal"]
    for state in TRAY_STATES:
        icon = tray_icon(state)
        assert not icon.isNull() and icon.availableSizes()
    with pytest.raises(ValueError, match="unknown tray state"):
        tray_image("broken", 22)


def test_template_is_black_glyph_on_clear(qapp: Any) -> None:
    image = template_image(64).convertToFormat(QImage.Format.Format_ARGB32)
    colours = {(c.red(), c.green(), c.blue()) for y in range(64) for x in range(64)
               if (c := image.pixelColor(x, y)).alpha() > 0}
    assert colours == {(0, 0, 0)}  # a template is black and alpha only
    assert image.pixelColor(12, 12).alpha() == 0  # the blue tile is not part of the glyph
    opaque = sum(image.pixelColor(x, y).alpha() > 200 for y in range(64) for x in range(64))
    assert 64 < opaque < 64 * 64 // 2  # the strokes, not an empty or a filled square


def test_badges_read_on_light_and_dark_panels(qapp: Any) -> None:
    # The badge sits in the bottom-right quarter, ringed in white: its centre is the state's
    # colour and its ring is light, whatever panel is behind it.
    for state, (r_min, g_max) in {"failed": (180, 80), "mfa": (200, 200)}.items():
        image = tray_image(state, 64).convertToFormat(QImage.Format.Format_ARGB32)
        centre = image.pixelColor(40, 56)  # inside the badge, clear of its mark
        assert centre.red() >= r_min and centre.green() <= g_max, (state, centre.name())
        ring = image.pixelColor(48, 33)
        assert min(ring.red(), ring.green(), ring.blue()) > 200, (state, ring.name())


def _colours(image: QImage) -> set[str]:
    return {image.pixelColor(x, y).name() for y in range(image.height())
            for x in range(image.width()) if image.pixelColor(x, y).alpha() > 200}


def test_action_icons_follow_the_palette_when_painted(qapp: Any) -> None:
    from PySide6.QtGui import QIcon

    from app.core.settings import Theme
    from app.ui import theme
    from app.ui.icons import icon

    before = qapp.palette()
    try:
        refresh = icon("refresh")  # made once, as a button keeps it
        qapp.setPalette(theme.palette_for(Theme.LIGHT))  # the palette only: the style stays
        light = _colours(refresh.pixmap(32).toImage())
        qapp.setPalette(theme.palette_for(Theme.DARK))
        dark = _colours(refresh.pixmap(32).toImage())
        disabled = _colours(refresh.pixmap(32, QIcon.Mode.Disabled).toImage())
        assert light and dark and disabled
        assert light != dark != disabled  # the same icon, redrawn in the palette of the moment
        assert icon("no-such-icon").pixmap(16).isNull()
    finally:
        qapp.setPalette(before)


def test_dialog_buttons_wear_our_icons_not_the_styles(qapp: Any) -> None:
    from PySide6.QtWidgets import QDialogButtonBox, QPushButton

    from app.ui.icons import dress

    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                           | QDialogButtonBox.StandardButton.Cancel)
    go = QPushButton("Connect")
    box.addButton(go, QDialogButtonBox.ButtonRole.AcceptRole)
    dress(box, {go: "sessions"})
    names = {box.button(QDialogButtonBox.StandardButton.Save).icon().name(),
             box.button(QDialogButtonBox.StandardButton.Cancel).icon().name(), go.icon().name()}
    assert names == {"save", "close", "sessions"}


def test_message_boxes_wear_our_icons_too(qapp: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.ui.icons import dress

    box = QMessageBox(QMessageBox.Icon.Question, "Remove", "Remove it?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    yes = box.button(QMessageBox.StandardButton.Yes)
    dress(box, {yes: "delete"})
    assert yes.icon().name() == "delete"
    assert box.button(QMessageBox.StandardButton.Cancel).icon().name() == "close"


def _near(colours: set[str], expected: str) -> bool:
    """Every opaque pixel is `expected`, give or take premultiplied alpha's rounding."""
    want = [int(expected[i:i + 2], 16) for i in (1, 3, 5)]
    return bool(colours) and all(
        max(abs(int(c[i:i + 2], 16) - w) for i, w in zip((1, 3, 5), want, strict=True)) <= 2
        for c in colours)


def test_sidebar_icons_follow_a_theme_switch(qapp: Any, tmp_path: Path) -> None:
    """The sidebar's icons are drawn when painted: a theme switched at run time shows at once,
    in the new palette's text colour (and the highlighted text colour on the current page)."""
    from PySide6.QtGui import QIcon, QPalette

    from app.core.paths import Paths
    from app.core.settings import Theme
    from app.ui import theme
    from app.ui.main_window import MainWindow

    before = qapp.palette()
    try:
        window = MainWindow(Paths.for_root(tmp_path / "gw").ensure(), [])
        window.nav.addItem("Profiles")
        window.set_nav_icons({"Profiles": "profiles"})
        item = window.nav.item(0).icon()
        for choice in (Theme.LIGHT, Theme.DARK):
            qapp.setPalette(theme.palette_for(choice))
            text = qapp.palette().color(QPalette.ColorRole.WindowText).name()
            selected = qapp.palette().color(QPalette.ColorRole.HighlightedText).name()
            assert _near(_colours(item.pixmap(20).toImage()), text)
            assert _near(_colours(item.pixmap(20, QIcon.Mode.Selected).toImage()), selected)
        window.deleteLater()
    finally:
        qapp.setPalette(before)
