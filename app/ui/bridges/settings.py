"""Carries every SettingsStore save to the GUI thread as `changed(Settings)`.

The store calls its observers on the thread that saved; a signal emitted there reaches
receivers on the GUI thread queued, so appliers never run on a worker.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.settings import Settings, SettingsStore


class SettingsBridge(QObject):
    changed = Signal(object)  # Settings

    def __init__(self, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        store.subscribe(self._saved)

    def _saved(self, settings: Settings) -> None:
        self.changed.emit(settings)
