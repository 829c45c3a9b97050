"""Empty states: the title sits at one height on every pane, whatever text follows it."""

from __future__ import annotations

from typing import Any

from app.ui.panes.profiles_frame import ProfilesFrame
from app.ui.widgets.empty_state import EmptyState
from app.ui.widgets.title_page import TITLE_AT


def _title_top(page: Any, label: Any) -> int:
    return label.mapTo(page, label.rect().topLeft()).y()


def test_titles_sit_at_the_same_height_whatever_follows(qtbot: Any) -> None:
    short = EmptyState("No tunnels saved", "One line.")
    long = EmptyState("Could not list instances", "A much longer explanation. " * 30,
                      "Retry", icon_name="refresh")
    for page in (short, long):
        qtbot.addWidget(page)
        page.resize(900, 700)
        page.show()
    qtbot.waitExposed(long)
    qtbot.wait(20)
    top = _title_top(short, short.title_label)
    assert top == _title_top(long, long.title_label)
    assert abs(top - 700 * TITLE_AT) <= 16  # the page's margin above the spacer
    assert not long.button.icon().isNull()  # type: ignore[union-attr]


def test_the_profiles_loading_page_puts_its_title_there_too(qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel

    empty = EmptyState("No sessions yet", "Sessions will appear here.")
    frame = ProfilesFrame()
    qtbot.addWidget(frame)
    loading = frame.loading
    loading.setParent(None)  # on its own, at the empty state's size
    for page in (empty, loading):
        qtbot.addWidget(page)
        page.resize(900, 700)
        page.show()
    qtbot.waitExposed(loading)
    qtbot.wait(20)
    title = next(w for w in loading.findChildren(QLabel) if w.text())
    assert _title_top(loading, title) == _title_top(empty, empty.title_label)
