"""The window as it first paints, on each page it can reopen on: the sidebar, the menus and
that page's light frame (its controls and "Reading…"), before any pane exists. Light and dark.

Registered with `scripts/screenshots.py` (listed in its SCENE_MODULES). Each shot is a new
MainWindow built the way GangwayApplication builds it before the first paint
(`panes/build.FRAMES`), at the application window's size, so it can be laid beside the
settled pane's shot (pane-<page>.png, <page>-light.png).
"""

from __future__ import annotations

from scripts.screenshots import Ctx, scene


@scene("first-paint-frames")
def first_paint_frames(ctx: Ctx) -> None:
    from PySide6.QtWidgets import QWidget

    from app.core.settings import Theme
    from app.ui import theme
    from app.ui.main_window import MainWindow
    from app.ui.panes.build import FRAMES, PANES

    for mode, suffix in ((Theme.LIGHT, "light"), (Theme.DARK, "dark")):
        theme.apply(ctx.app, mode)
        ctx.settle(200)
        for page, make in FRAMES.items():
            frame = make()
            window = MainWindow(ctx.app.paths, [(t, frame if t == page else QWidget())
                                                for t in PANES])
            window.set_nav_icons({t: t.lower() for t in PANES})
            window.resize(ctx.app.window.size())
            window.show_pane(page)
            window.show()
            ctx.settle(300)
            ctx.save(window, f"first-paint-{page.lower()}-{suffix}")
            window.close()
            window.deleteLater()
    theme.apply(ctx.app, Theme.SYSTEM)
    ctx.settle(200)
