"""The GUI side of the MFA prompt: worker threads ask, the GUI thread shows one dialog.

`MfaBroker.prompt` is the `Prompt` the CredentialService calls from worker threads. It
marshals the request to the GUI thread with a queued signal and blocks the worker on an
Event until the user answers. Requests for a profile whose dialog is already open join it:
three tunnels needing `mfa` at once see one dialog, and all three get its code.

After OK the dialog stays open ("checking the code"): a watcher thread joins the service's
in-flight attempt for that profile (`get(refresh=True)` shares the owner's future), so the
dialog closes when the attempt succeeds, and a wrong code comes back to the same dialog as
the core's retry prompt.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import MfaRequest
from app.core.errors import CancelledError
from app.ui.dialogs.mfa_dialog import WRONG_CODE, MfaDialog
from app.ui.errors import error_text

log = logging.getLogger(__name__)
_ids = itertools.count(1)


@dataclass
class _Round:
    """One question to the user; every worker asking meanwhile shares the answer."""

    request: MfaRequest
    event: threading.Event = field(default_factory=threading.Event)
    code: str | None = None


@dataclass
class _Pending:
    """One profile's open prompt (one dialog), across wrong-code retries."""

    profile: str
    id: int = field(default_factory=lambda: next(_ids))
    round: _Round | None = None
    dialog: MfaDialog | None = None
    watching: bool = False


class MfaBroker(QObject):
    dialog_opened = Signal(object)  # MfaDialog: for the tray/window to raise, and tests
    finished = Signal(str, object)  # profile, None on success or the exception
    _ask = Signal(int)  # pending id: open the dialog or show the retry in it
    _done = Signal(int, object)  # pending id, None or the exception of the attempt

    def __init__(self, service: CredentialService | None = None,
                 parent_widget: Callable[[], Any] | None = None,
                 durations: Callable[[MfaRequest], int | None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._parent_widget = parent_widget or (lambda: None)
        self._durations = durations
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._by_id: dict[int, _Pending] = {}
        self._ask.connect(self._on_ask)
        self._done.connect(self._on_done)
        self.dialogs_shown = 0

    # --- worker side -------------------------------------------------------------------------

    def prompt(self, request: MfaRequest) -> str | None:
        """Block this worker until the user answers; None when cancelled."""
        if QThread.currentThread() is self.thread():
            return self._prompt_modal(request)  # never the normal path: workers call this
        with self._lock:
            pending = self._pending.get(request.profile)
            if pending is None:
                pending = _Pending(request.profile)
                self._pending[request.profile] = pending
                self._by_id[pending.id] = pending
            current = pending.round
            if current is None or current.event.is_set():
                current = _Round(request)
                pending.round = current
                ask = True
            else:
                ask = False  # join the question already on screen
        if ask:
            self._ask.emit(pending.id)
        current.event.wait()
        if current.code is not None:
            self._watch(pending)
        return current.code

    def _watch(self, pending: _Pending) -> None:
        """Follow the attempt this code belongs to, to close the dialog when it ends."""
        service = self.service
        with self._lock:
            if pending.watching or service is None:
                start = False
            else:
                pending.watching = start = True
        if service is None:
            self._done.emit(pending.id, None)
            return
        if not start:
            return

        def refuse(_request: MfaRequest) -> str | None:
            return None  # the watcher never asks: it only joins the attempt in flight

        def watch() -> None:
            try:
                service.get(pending.profile, refuse, refresh=True)
            except BaseException as exc:  # reported, never raised in this thread
                self._done.emit(pending.id, exc)
            else:
                self._done.emit(pending.id, None)

        threading.Thread(target=watch, name=f"mfa-watch-{pending.id}", daemon=True).start()

    # --- GUI side ----------------------------------------------------------------------------

    def _on_ask(self, pending_id: int) -> None:
        pending = self._by_id.get(pending_id)
        if pending is None or pending.round is None:
            return
        request = pending.round.request
        if pending.dialog is not None:
            pending.dialog.show_error(WRONG_CODE if "reject" in request.error.lower()
                                      else (request.error or WRONG_CODE))
            pending.dialog.raise_()
            pending.dialog.activateWindow()
            return
        duration = self._durations(request) if self._durations else None
        dialog = MfaDialog(request, duration, self._parent_widget())
        pending.dialog = dialog
        dialog.code_entered.connect(lambda code, p=pending: self._answer(p, code))
        dialog.rejected.connect(lambda p=pending: self._cancel(p))
        self.dialogs_shown += 1
        dialog.open()
        dialog.raise_()
        dialog.activateWindow()
        self.dialog_opened.emit(dialog)

    def _answer(self, pending: _Pending, code: str) -> None:
        with self._lock:
            current = pending.round
        if current is not None and not current.event.is_set():
            current.code = code
            current.event.set()

    def _cancel(self, pending: _Pending) -> None:
        with self._lock:
            current = pending.round
            self._forget(pending)
        if current is not None and not current.event.is_set():
            current.code = None
            current.event.set()
        self.finished.emit(pending.profile, CancelledError(
            f"MFA for profile '{pending.profile}' was cancelled."))

    def _on_done(self, pending_id: int, exc: object) -> None:
        pending = self._by_id.get(pending_id)
        if pending is None:
            return  # cancelled meanwhile
        with self._lock:
            if pending.round is not None and not pending.round.event.is_set():
                pending.watching = False  # a new attempt asks again: watch that one next
                return
            self._forget(pending)
        dialog = pending.dialog
        if dialog is not None:
            if exc is not None and not isinstance(exc, CancelledError):
                log.info("MFA for %r failed: %s", pending.profile, exc)
            dialog.rejected.disconnect()
            dialog.done(MfaDialog.DialogCode.Accepted if exc is None
                        else MfaDialog.DialogCode.Rejected)
            dialog.deleteLater()
        self.finished.emit(pending.profile, exc)

    def _forget(self, pending: _Pending) -> None:
        if self._pending.get(pending.profile) is pending:
            del self._pending[pending.profile]
        self._by_id.pop(pending.id, None)

    def _prompt_modal(self, request: MfaRequest) -> str | None:
        dialog = MfaDialog(request, self._durations(request) if self._durations else None,
                           self._parent_widget())
        answer: list[str] = []
        def entered(code: str) -> None:
            answer.append(code)
            dialog.accept()

        dialog.code_entered.connect(entered)
        dialog.exec()
        dialog.deleteLater()
        return answer[0] if answer else None

    # --- queries and shutdown ----------------------------------------------------------------

    def open_dialog(self, profile: str) -> MfaDialog | None:
        pending = self._pending.get(profile)
        return pending.dialog if pending is not None else None

    def cancel_all(self) -> None:
        """Release every waiting worker (quit): each gets a cancel."""
        with self._lock:
            pendings = list(self._pending.values())
        for pending in pendings:
            if pending.dialog is not None:
                pending.dialog.reject()
            else:
                self._cancel(pending)


def reply_text(exc: BaseException) -> str:
    """One line for the credentials helper's stderr."""
    message, hint = error_text(exc)
    return " ".join(f"{message} {hint}".split())


def mfa_ipc_handler(service: CredentialService, broker: MfaBroker,
                    tasks: Any) -> Callable[[dict[str, Any], Callable[[dict[str, Any]], None]],
                                            None]:
    """The window's `{"cmd": "mfa", "profile": NAME}` handler for `gangway credentials`.

    The work (cache, STS, our dialog through the broker) runs in a task; the reply goes back
    when it ends: `{"ok": true, "credentials": ...}` or `{"ok": false, "error": ...}`.
    """
    from app.core.aws.credentials import mfa

    def handle(message: dict[str, Any], reply: Callable[[dict[str, Any]], None]) -> None:
        task = tasks.submit(mfa.handle_request, service, dict(message), broker.prompt,
                            name="ipc-mfa")
        task.result.connect(reply)
        task.error.connect(lambda exc: reply({"ok": False, "error": reply_text(exc),
                                              "reason": "error"}))

    return handle
