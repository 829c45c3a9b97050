"""Quit asks first only when tunnels are on (quitting switches them off); otherwise it quits.

    guard = QuitGuard(services.tunnel_view, parent=lambda: window)
    guard.confirmed.connect(app.quit)
    window.quit_requested.connect(guard.request); tray.quit_requested.connect(guard.request)
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from app.ui.bridges.tunnels import TunnelsBridge
from app.ui.icons import dress


class QuitGuard(QObject):
    confirmed = Signal()

    def __init__(self, bridge: TunnelsBridge, parent: Callable[[], QWidget | None],
                 owner: QObject | None = None) -> None:
        super().__init__(owner)
        self.bridge = bridge
        self.parent_widget = parent
        self.box: QMessageBox | None = None  # the question open now (tests answer it)

    def request(self) -> None:
        count = self.bridge.on_count()
        if count == 0:
            self.confirmed.emit()
            return
        if self.box is not None and self.box.isVisible():
            self.box.raise_()
            return
        some = "1 tunnel is" if count == 1 else f"{count} tunnels are"
        parent = self.parent_widget()
        if parent is not None and not parent.isVisible():
            parent = None  # asked from the tray with the window closed: a window of its own
        box = QMessageBox(QMessageBox.Icon.Question, "Quit Gangway",
                          f"{some} on. Quitting switches {'it' if count == 1 else 'them'} off "
                          "and closes their local ports.",
                          QMessageBox.StandardButton.Cancel, parent)
        quit_button = box.addButton("Quit and switch off", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        dress(box, {quit_button: "stop"})
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText("To keep them running, close the window instead.")

        def clicked(button: QAbstractButton) -> None:
            if button is quit_button:
                self.confirmed.emit()

        box.buttonClicked.connect(clicked)
        self.box = box
        box.open()
