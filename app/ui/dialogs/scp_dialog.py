"""Copy files to or from an instance with scp over Session Manager.

scp runs through a QProcess (asynchronous: the event loop keeps running), with the same
ProxyCommand as SSH. scp draws its progress meter only on a tty, so the dialog shows a busy
bar, the size being sent (uploads) or the size received so far (downloads, by polling the
destination), and scp's own "Transferred: sent N, received M bytes" line from `-v` at the end.
BatchMode is on: with no terminal to type into, a password prompt would hang forever.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.actions import Action
from app.core.aws.discovery.rows import InstanceRow
from app.core.launch import Keyless, SessionRequest, Target, command_argv, ssh_request
from app.core.ssh.prefs import SshPrefs
from app.core.ssh.proxycommand import Mode
from app.ui.dialogs.ssh_options_dialog import HEADER_WIDTH, elided
from app.ui.errors import error_text
from app.ui.icons import dress

_TRANSFERRED = re.compile(r"Transferred: sent (\d+), received (\d+) bytes")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _tree_size(path: Path) -> int:
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0


class ScpDialog(QDialog):
    finished_copy = Signal(int, str)  # exit code, message

    def __init__(self, row: InstanceRow, target: Target, mode: Mode, prefs: SshPrefs, *,
                 gangway: Sequence[str] | None = None, keyless: Keyless | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row, self.target, self.mode = row, target, mode
        self.keyless = keyless
        self.profile = target.profile
        self.prefs = prefs
        self.gangway = list(gangway) if gangway else None
        self.process: QProcess | None = None
        self.request: SessionRequest | None = None
        self.stderr = ""
        self.total = 0
        self.exit_code: int | None = None
        self.cancelled = False
        self.setWindowTitle("Copy files over Session Manager")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(HEADER_WIDTH + 60)

        header = QLabel()
        header.setTextFormat(Qt.TextFormat.PlainText)
        who = f"{row.name} ({row.instance_id})" if row.name else row.instance_id
        header.setText(elided(f"scp with {who}, profile {self.profile}", HEADER_WIDTH, header))

        self.upload = QRadioButton("Upload to the instance")
        self.download = QRadioButton("Download from the instance")
        self.upload.setChecked(True)
        self.direction = QButtonGroup(self)
        self.direction.addButton(self.upload)
        self.direction.addButton(self.download)
        self.local = QLineEdit()
        self.local.setPlaceholderText("local file(s); several separated by ;")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        local_row = QHBoxLayout()
        local_row.addWidget(self.local, 1)
        local_row.addWidget(self.browse)
        self.remote = QLineEdit()
        self.remote.setPlaceholderText("e.g. /tmp/ or ~/file.txt (relative to the home)")
        user = self.prefs.user or "ssh's default user"
        form = QFormLayout()
        form.addRow("", self.upload)
        form.addRow("", self.download)
        form.addRow("Local:", local_row)
        form.addRow("Remote path:", self.remote)
        as_label = QLabel(f"{user} (change it in the SSH dialog)")
        as_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("As:", as_label)

        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.start_button = self.buttons.addButton("Upload",
                                                   QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = self.buttons.addButton("Stop",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        dress(self.buttons, {self.start_button: "transfer", self.cancel_button: "stop"})
        self.start_button.clicked.connect(self.start)
        # The main button says which way the file goes.
        self.download.toggled.connect(lambda down: self.start_button.setText(
            "Download" if down else "Upload"))
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.poll = QTimer(self)
        self.poll.setInterval(250)
        self.poll.timeout.connect(self._poll_size)

    # --- inputs ----------------------------------------------------------------------------
    def sources_and_destination(self) -> tuple[tuple[str, ...], str]:
        local = [p.strip() for p in self.local.text().split(";") if p.strip()]
        remote = self.remote.text().strip()
        if self.upload.isChecked():
            return tuple(local), remote or "."
        return (remote,) if remote else (), local[0] if local else ""

    def build(self) -> tuple[list[str], dict[str, str]]:
        sources, dest = self.sources_and_destination()
        upload = self.upload.isChecked()
        if upload:
            missing = [s for s in sources if not Path(s).expanduser().exists()]
            if missing:
                raise FileNotFoundError(f"{missing[0]} does not exist")
        elif not dest:
            raise ValueError("choose where to save the download")
        # Without a tty nothing can answer a prompt: fail instead of hanging.
        prefs = SshPrefs(self.prefs.user, self.prefs.identity_file, self.prefs.use_agent,
                         self.prefs.port, f"{self.prefs.extra} -o BatchMode=yes".strip())
        base = ssh_request(Action.SSH, self.target, self.mode, prefs, keyless=self.keyless)
        req = SessionRequest(Action.SCP_UPLOAD if upload else Action.SCP_DOWNLOAD, base.target,
                             mode=base.mode, ssh=base.ssh, keyless_key=base.keyless_key,
                             scp_sources=tuple(str(Path(s).expanduser()) if upload else s
                                               for s in sources),
                             scp_destination=dest if upload else str(Path(dest).expanduser()))
        self.request = req
        argv, env = command_argv(req, gangway=self.gangway)
        # -v for the final "Transferred:" byte count (scp passes it on to ssh).
        return [argv[0], "-v", *argv[1:]], env

    def _browse(self) -> None:
        if self.upload.isChecked():
            files, _ = QFileDialog.getOpenFileNames(self, "Files to upload")
            if files:
                self.local.setText(";".join(files))
        else:
            folder = QFileDialog.getExistingDirectory(self, "Save downloads in")
            if folder:
                self.local.setText(folder)

    # --- running ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.process is not None:
            return
        try:
            argv, env = self.build()
        except Exception as exc:
            message, hint = error_text(exc) if not isinstance(exc, OSError | ValueError) else (
                f"Cannot copy: {exc}.", "")
            self.status.setText(f"{message} {hint}".strip())
            return
        sources, _dest = self.sources_and_destination()
        if self.upload.isChecked():
            self.total = sum(_tree_size(Path(s).expanduser()) for s in sources)
            self.status.setText(f"Uploading {human_size(self.total)}…")
        else:
            self.status.setText("Downloading…")
            self.poll.start()
        proc = QProcess(self)
        penv = QProcessEnvironment.systemEnvironment()
        for key, value in env.items():
            penv.insert(key, value)
        proc.setProcessEnvironment(penv)
        proc.setStandardInputFile(os.devnull)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self.process = proc
        self.exit_code = None
        self.cancelled = False
        self.stderr = ""
        self.bar.setRange(0, 0)  # busy
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        proc.start(argv[0], argv[1:])

    def cancel(self) -> None:
        if self.process is not None:
            self.cancelled = True
            self.status.setText("Cancelling…")
            self.process.kill()

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        chunk = bytes(self.process.readAllStandardError().data()).decode(errors="replace")
        self.stderr = (self.stderr + chunk)[-64_000:]

    def _poll_size(self) -> None:
        _, dest = self.sources_and_destination()
        if dest:
            got = _tree_size(Path(dest).expanduser())
            self.status.setText(f"Downloading… {human_size(got)} received so far")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error is QProcess.ProcessError.FailedToStart:
            self._done(127, "scp could not be started; is OpenSSH installed?")

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stderr()
        if self.cancelled or status is QProcess.ExitStatus.CrashExit:
            self._done(-1, "Cancelled." if self.cancelled else "scp stopped unexpectedly.")
            return
        if code == 0:
            match = _TRANSFERRED.search(self.stderr)
            moved = ""
            if match:
                sent, received = int(match.group(1)), int(match.group(2))
                moved = f" ({human_size(sent)} sent, {human_size(received)} received)"
            self._done(0, f"Done{moved}.")
            return
        lines = [ln for ln in self.stderr.splitlines()
                 if ln.strip() and not ln.startswith(("debug", "OpenSSH_", "Transferred",
                                                     "Bytes per second", "Executing:"))]
        detail = " ".join(lines[-3:]) or f"scp exited with code {code}"
        self._done(code, f"Copy failed: {detail}")

    def _done(self, code: int, message: str) -> None:
        self.poll.stop()
        self.exit_code = code
        self.process = None
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if code == 0 else 0)
        self.status.setText(message)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.finished_copy.emit(code, message)

    def reject(self) -> None:
        if self.process is not None:
            self.process.kill()  # finishes asynchronously; the QProcess belongs to the dialog
        super().reject()
