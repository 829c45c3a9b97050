"""The Tunnels pane's side panel: one tunnel's state in words, its problem and fix, its log.

The log is the supervisor's last 200 lines for that tunnel (plugin output, relay events and
state changes), kept up to date while the tunnel is shown. All of it is plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.core.tunnels.live import LOG_LINES
from app.core.tunnels.states import LogLine, TunnelState, TunnelStatus
from app.ui.icons import icon
from app.ui.models.tunnels_model import one_line
from app.ui.widgets.state_light import failure_colour, state_icon


def _label(wrap: bool = True) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class TunnelDetails(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.light = QLabel()
        self.title = _label(wrap=True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        head = QHBoxLayout()
        head.addWidget(self.light, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        self.summary = _label()
        self.problem = _label()
        self.warning = _label()
        self.warning.setStyleSheet("color: palette(placeholder-text);")
        self.open_button = QPushButton(icon("open"), "Open")
        self.copy_button = QPushButton(icon("copy"), "Copy")
        self.use_busy_port = QPushButton(icon("refresh"), "")
        self.use_busy_port.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.use_busy_port)
        buttons.addStretch(1)
        log_title = QLabel(f"Log (last {LOG_LINES} lines)")
        log_title.setStyleSheet("color: palette(placeholder-text);")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("Nothing yet: switch the tunnel on.")
        # Words on the left, the log on the right: the panel sits under the (wide) table.
        info = QWidget()
        info.setMinimumWidth(320)
        info.setMaximumWidth(460)
        column = QVBoxLayout(info)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(head)
        for w in (self.summary, self.problem, self.warning):
            column.addWidget(w)
        column.addLayout(buttons)
        column.addStretch(1)
        logs = QVBoxLayout()
        logs.addWidget(log_title)
        logs.addWidget(self.log, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(info)
        layout.addSpacing(12)
        layout.addLayout(logs, 1)
        self.show_status(None, [])

    def show_status(self, status: TunnelStatus | None, lines: list[LogLine] | None = None,
                    *, open_label: str = "Open") -> None:
        """Show `status` (None: nothing selected); `lines` replaces the log when given."""
        if status is None:
            self.name = ""
            self.title.setText("No tunnel selected")
            self.light.clear()
            for w in (self.summary, self.problem, self.warning):
                w.setText("")
                w.setVisible(False)
            self.open_button.setEnabled(False)
            self.copy_button.setEnabled(False)
            self.use_busy_port.setVisible(False)
            self.log.clear()
            return
        self.name = status.name
        self.title.setText(one_line(status.name))
        self.light.setPixmap(state_icon(status.state, self.palette()).pixmap(16, 16))
        problem = status.problem
        failed = status.state is TunnelState.FAILED
        # A failure is said once, as why and what to do; other states in one sentence.
        self.summary.setText(one_line(str(status), 600))
        self.summary.setVisible(not failed)
        self.problem.setVisible(problem is not None)
        if problem is not None:
            lead = "Failed: " if failed else "Last error: "
            holder = f" (held by {problem.holder})" if problem.holder and \
                problem.holder not in problem.message else ""
            self.problem.setText(one_line(f"{lead}{problem.message}{holder}", 600)
                                 + (f"\nWhat to do: {one_line(problem.hint, 400)}"
                                    if problem.hint else ""))
            colour = failure_colour(self.palette()).name() if failed else "palette(text)"
            self.problem.setStyleSheet(f"color: {colour};")
        self.warning.setText(one_line(status.warning, 400))
        self.warning.setVisible(bool(status.warning))
        suggested = problem.suggested_port if problem and problem.port_busy else None
        self.use_busy_port.setVisible(bool(suggested))
        if suggested:
            self.use_busy_port.setText(f"Use port {suggested} instead")
        self.open_button.setText(open_label)
        # "Open in browser" opens; "Copy command" / "Copy address" copy: the icon says which.
        self.open_button.setIcon(icon("open" if open_label.startswith("Open") else "copy"))
        self.open_button.setEnabled(True)
        self.copy_button.setEnabled(True)
        if lines is not None:
            self.log.setPlainText("\n".join(one_line(str(ln), 1000) for ln in lines))
            bar = self.log.verticalScrollBar()
            bar.setValue(bar.maximum())  # the newest line in view

    def append(self, line: LogLine) -> None:
        if line.name == self.name:
            self.log.appendPlainText(one_line(str(line), 1000))
