"""The credential-expiry service of the window: the latest profile rows, a clock, warnings.

The Profiles pane publishes each view it loads; the tray's credentials section, its
notifications and the pane's own remaining-time texts all observe this one object, so the
tray never reads a widget and the pane does not own the timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.aws.profiles.view import ExpiryNotices, ProfileRow

TICK_MS = 30_000  # remaining times are shown to the minute


class CredentialsBridge(QObject):
    ticked = Signal(object)  # datetime (UTC): re-word remaining times
    rows_changed = Signal()
    expiring = Signal(str, str)  # title, text: once per profile and expiry
    mfa_requested = Signal(str)  # a profile the user picked to refresh (from the tray)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[ProfileRow, ...] = ()
        self.notices = ExpiryNotices()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def rows(self) -> tuple[ProfileRow, ...]:
        return self._rows

    def publish(self, rows: Sequence[ProfileRow]) -> None:
        self._rows = tuple(rows)
        self.rows_changed.emit()
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.ticked.emit(now)
        for title, text in self.notices.due(self._rows, now):
            self.expiring.emit(title, text)
