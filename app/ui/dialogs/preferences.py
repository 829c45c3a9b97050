"""Settings (Ctrl+,): every typed setting in one dialog, a tab per section, saved through
the SettingsStore; whoever subscribed to the store applies the change at once (theme, tray,
durations, start at login, regions, refresh), no restart.

The terminal list is detected on a worker (a PATH scan); until it arrives the field offers
the saved choice and "first found".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import terminals
from app.core.settings import (
    AppearanceSettings,
    CredentialSettings,
    GeneralSettings,
    InstanceSettings,
    SessionSettings,
    Settings,
    SettingsStore,
)
from app.ui.icons import dress
from app.ui.tasks import TaskRunner
from app.ui.widgets.settings_form import SectionForm

# (attribute of Settings, tab title, section class)
TABS: tuple[tuple[str, str, type[Any]], ...] = (
    ("general", "General", GeneralSettings),
    ("appearance", "Appearance", AppearanceSettings),
    ("instances", "Instances", InstanceSettings),
    ("credentials", "Credentials", CredentialSettings),
    ("sessions", "Sessions", SessionSettings),
)
FIRST_FOUND = "First terminal found"


class TerminalBox(QComboBox):
    """The terminal to open sessions in: "" (the first detected) or a detected kind."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.addItem(FIRST_FOUND, "")
        if value:
            self.addItem(value, value)
            self.setCurrentIndex(1)

    def set_found(self, found: object) -> None:
        chosen = self.value()
        for term in found if isinstance(found, list) else []:
            kind = str(getattr(term, "kind", ""))
            if kind and self.findData(kind) < 0:
                self.addItem(str(getattr(term, "name", kind)), kind)
        index = self.findData(chosen)
        self.setCurrentIndex(max(0, index))

    def value(self) -> str:
        return str(self.currentData() or "")


class PreferencesDialog(QDialog):
    saved = Signal(object)  # Settings

    def __init__(self, store: SettingsStore, tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Settings")
        self.resize(620, 460)
        self.current: Settings = store.load()
        self.tabs = QTabWidget()
        self.forms: dict[str, SectionForm] = {}
        self.terminal_box: TerminalBox | None = None
        for attr, title, cls in TABS:
            custom: dict[str, Callable[[Any], QWidget]] | None = (
                {"terminal": self._terminal_box} if cls is SessionSettings else None)
            form = SectionForm(cls, getattr(self.current, attr), custom)
            self.forms[attr] = form
            page = QWidget()
            column = QVBoxLayout(page)
            column.addWidget(form)
            column.addStretch(1)
            self.tabs.addTab(page, title)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        dress(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        task = tasks.submit(terminals.detect, name="detect terminals")
        task.result.connect(lambda found: self.terminal_box and self.terminal_box.set_found(found))

    def _terminal_box(self, value: Any) -> QWidget:
        self.terminal_box = TerminalBox(str(value))
        return self.terminal_box

    def value(self) -> Settings:
        # Sections this dialog does not show are kept as they are.
        return dataclasses.replace(self.current, **{attr: form.value()
                                                    for attr, form in self.forms.items()})

    def save(self) -> None:
        new = self.value()
        try:
            self.store.save(new)
        except OSError as exc:
            self.error.setText(f"The settings could not be saved ({exc.strerror or exc}).")
            self.error.show()
            return
        self.current = new
        self.saved.emit(new)
        self.accept()
