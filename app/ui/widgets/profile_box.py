"""The profile picker the panes share: refilling it keeps the user's choice and stays quiet."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox


class ProfileBox(QComboBox):
    def set_names(self, names: Sequence[str]) -> None:
        """Replace the list without emitting changes; keep the current name if it remains."""
        current = self.currentText()
        self.blockSignals(True)
        try:
            self.clear()
            self.addItems(list(names))
            if current in names:
                self.setCurrentText(current)
        finally:
            self.blockSignals(False)
