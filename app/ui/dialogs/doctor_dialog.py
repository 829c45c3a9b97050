"""Help > Doctor: this computer's prerequisites, and why the selected instance can or cannot
be reached, each problem with its fix.

The local checks run programs (`--version`), so they run on the TaskRunner; the dialog shows
"Checking…" until they are back. It receives values (the runner, whether a tray exists, the
selected row and account), never the window or the pane.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.aws.discovery.diagnose import instance_checks, title
from app.core.aws.discovery.rows import InstanceRow
from app.core.checks import Check, Status
from app.core.doctor import essentials_ok, run_checks
from app.ui.icons import dress
from app.ui.tasks import TaskRunner
from app.ui.widgets.check_view import CheckView


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    return label


def problems_first(checks: Sequence[Check]) -> list[Check]:
    """Missing, then needing attention, then fine; the order within each kept."""
    rank = {Status.MISSING: 0, Status.WARN: 1, Status.OK: 2}
    return sorted(checks, key=lambda c: rank[c.status])


def checks_job(tray_available: bool | None) -> list[Check]:
    return run_checks(tray_available=tray_available)


class DoctorDialog(QDialog):
    checked = Signal(object)  # list[Check], each time the local checks come back

    def __init__(self, tasks: TaskRunner, *, tray_available: bool | None = None,
                 row: InstanceRow | None = None, account: str = "",
                 checks: Sequence[Check] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.tray_available = tray_available
        self.setWindowTitle("Gangway doctor")
        self.resize(760, 640)
        self.local: list[Check] = []
        self.views: list[CheckView] = []
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.local_box = QVBoxLayout()
        self.instance_checks: list[Check] = []
        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(_heading("This computer"))
        column.addWidget(self.summary)
        column.addLayout(self.local_box)
        if row is not None:
            self.instance_checks = instance_checks(row, account=account)
            column.addSpacing(12)
            column.addWidget(_heading(f"Instance {title(row)}"))
            for check in problems_first(self.instance_checks):
                view = CheckView(check)
                self.views.append(view)
                column.addWidget(view)
        else:
            note = QLabel("Select an instance in the Instances pane, then open the doctor "
                          "again, to see why it can or cannot be reached.")
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(placeholder-text);")
            column.addSpacing(12)
            column.addWidget(note)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.again = QPushButton("Check again")
        self.again.clicked.connect(self.run)
        buttons.addButton(self.again, QDialogButtonBox.ButtonRole.ActionRole)
        dress(buttons, {self.again: "refresh"})
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        if checks is not None:
            self.show_local(list(checks))
        else:
            self.run()

    def run(self) -> None:
        self.summary.setText("Checking…")
        self.again.setEnabled(False)
        task = self.tasks.submit(checks_job, self.tray_available, name="doctor")
        task.result.connect(self.show_local)
        task.error.connect(lambda exc: self.summary.setText(f"The checks failed: {exc}"))
        task.done.connect(lambda: self.again.setEnabled(True))

    def show_local(self, checks: object) -> None:
        if not isinstance(checks, list):
            return
        self.local = checks
        while self.local_box.count():
            item = self.local_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.views = [v for v in self.views if v.check in self.instance_checks]
        for check in problems_first(checks):
            view = CheckView(check)
            self.views.append(view)
            self.local_box.addWidget(view)
        problems = [c for c in checks if not c.ok]
        if essentials_ok(checks):
            self.summary.setText("Everything Gangway needs is here." if not problems else
                                 "The essentials are here; some extras need attention.")
        else:
            self.summary.setText("Something Gangway needs is missing: the fixes are below.")
        self.again.setEnabled(True)
        self.checked.emit(checks)

    def view_for(self, name: str) -> CheckView | None:
        return next((v for v in self.views if v.check.name == name), None)
