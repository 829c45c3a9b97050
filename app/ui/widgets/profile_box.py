"""The profile picker the panes share: refilling it keeps the user's choice and stays quiet."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox


class ProfileBox(QComboBox):
    def set_names(self, names: Sequence[str]) -> None:
        """Replace the list; keep the current name if it remains, without a change signal.
        If the chosen profile is gone (deleted, renamed), the pick moves to the first name
        and `currentTextChanged` says so, or the pane would show the old profile's rows
        under the new name. A first fill (nothing chosen yet) stays quiet: the panes decide
        when to list it."""
        current = self.currentText()
        self.blockSignals(True)
        try:
            self.clear()
            self.addItems(list(names))
            if current in names:
                self.setCurrentText(current)
        finally:
            self.blockSignals(False)
        if current and self.currentText() != current:
            self.currentTextChanged.emit(self.currentText())
