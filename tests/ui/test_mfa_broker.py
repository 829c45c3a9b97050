"""The MFA dialog and broker with a real CredentialService against the sandbox's STS."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import MfaRequest
from app.core.errors import CancelledError
from app.core.secrets import MemoryStore
from app.ui.dialogs.mfa_dialog import MfaDialog
from app.ui.mfa_broker import MfaBroker, mfa_ipc_handler
from app.ui.tasks import TaskRunner
from tests.conftest import threads_waiting_in
from tests.sandbox import totp as sandbox_totp
from tests.sandbox.sandbox import MFA_SECRET


def wrong_code(at: float | None = None) -> str:
    """A 6-digit code the sandbox rejects now (not any of the accepted steps)."""
    import time

    now = time.time() if at is None else at
    valid = {sandbox_totp.now(MFA_SECRET, now + d * 30) for d in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@pytest.fixture
def service(aws_env: Any) -> CredentialService:
    return CredentialService(MemoryStore())


@pytest.fixture
def broker(qtbot: Any, service: CredentialService) -> MfaBroker:
    b = MfaBroker(service, durations=lambda _r: 12 * 3600)
    service.prompt = b.prompt
    yield b
    b.cancel_all()


@pytest.fixture
def tasks(qtbot: Any) -> TaskRunner:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def run(tasks: TaskRunner, fn: Any, *args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    task = tasks.submit(fn, *args)
    task.result.connect(lambda v: out.setdefault("result", v))
    task.error.connect(lambda e: out.setdefault("error", e))
    return out


def wait_dialog(qtbot: Any, broker: MfaBroker, profile: str) -> MfaDialog:
    qtbot.waitUntil(lambda: broker.open_dialog(profile) is not None, timeout=15000)
    dialog = broker.open_dialog(profile)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def enter(qtbot: Any, dialog: MfaDialog, code: str) -> None:
    dialog.code.clear()
    qtbot.keyClicks(dialog.code, code)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_dialog_accepts_only_six_digits(qtbot: Any) -> None:
    dialog = MfaDialog(MfaRequest("prod <b>x</b>", "arn:aws:iam::1:mfa/bob"), 3600)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, "12ab3")
    assert dialog.code.text() == "123"  # the validator drops letters
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.code, "4567")
    assert dialog.code.text() == "123456"  # max length
    assert dialog.ok_button.isEnabled()
    assert dialog.profile_label.text() == "prod <b>x</b>"
    assert dialog.profile_label.textFormat() == Qt.TextFormat.PlainText
    assert "1 hour" in dialog.status_label.text()


def test_right_code_gives_cached_credentials(qtbot: Any, broker: MfaBroker,
                                             service: CredentialService, tasks: TaskRunner,
                                             aws_env: Any) -> None:
    out = run(tasks, service.get, "mfa")
    dialog = wait_dialog(qtbot, broker, "mfa")
    assert dialog.device_label.text() == aws_env.sandbox.mfa_serial
    enter(qtbot, dialog, aws_env.sandbox.totp())
    qtbot.waitUntil(lambda: "result" in out or "error" in out, timeout=20000)
    assert "error" not in out, out.get("error")
    assert service.cached("mfa") is not None
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert broker.open_dialog("mfa") is None


def test_wrong_code_keeps_dialog_open_then_retry_works(qtbot: Any, broker: MfaBroker,
                                                       service: CredentialService,
                                                       tasks: TaskRunner, aws_env: Any) -> None:
    out = run(tasks, service.get, "mfa")
    dialog = wait_dialog(qtbot, broker, "mfa")
    enter(qtbot, dialog, wrong_code())
    qtbot.waitUntil(dialog.error_label.isVisible, timeout=20000)
    assert "wrong code" in dialog.error_label.text().lower()
    assert dialog.isVisible() and broker.open_dialog("mfa") is dialog
    assert dialog.code.text() == "" and dialog.code.isEnabled()
    enter(qtbot, dialog, aws_env.sandbox.totp())
    qtbot.waitUntil(lambda: "result" in out or "error" in out, timeout=20000)
    assert "error" not in out, out.get("error")
    assert broker.dialogs_shown == 1


def test_cancel_cancels_cleanly(qtbot: Any, broker: MfaBroker, service: CredentialService,
                                tasks: TaskRunner) -> None:
    out = run(tasks, service.get, "mfa")
    dialog = wait_dialog(qtbot, broker, "mfa")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "error" in out or "result" in out, timeout=10000)
    assert isinstance(out.get("error"), CancelledError)
    assert service.cached("mfa") is None
    assert broker.open_dialog("mfa") is None


def test_three_concurrent_consumers_share_one_dialog(qtbot: Any, broker: MfaBroker,
                                                     service: CredentialService,
                                                     aws_env: Any) -> None:
    results: list[Any] = []
    lock = threading.Lock()

    def consumer() -> None:
        try:
            value: Any = service.get("mfa")
        except Exception as exc:
            value = exc
        with lock:
            results.append(value)

    threads = [threading.Thread(target=consumer, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    dialog = wait_dialog(qtbot, broker, "mfa")
    # Every consumer is in before the code is entered: one behind the dialog, two waiting on
    # its attempt (a late one would hit the cache and prove nothing).
    qtbot.waitUntil(lambda: threads_waiting_in("credentials/service.py", "get") == 3,
                    timeout=20000)
    assert broker.dialogs_shown == 1
    enter(qtbot, dialog, aws_env.sandbox.totp())
    qtbot.waitUntil(lambda: len(results) == 3, timeout=20000)
    for t in threads:
        t.join(5)
    keys = {r.access_key_id for r in results}
    assert len(keys) == 1 and all(not isinstance(r, Exception) for r in results)
    assert broker.dialogs_shown == 1


def test_direct_concurrent_prompts_join(qtbot: Any) -> None:
    """Prompts that bypass the service's single flight still share one dialog."""
    broker = MfaBroker(None)
    answers: list[str | None] = []
    request = MfaRequest("shared", "arn:aws:iam::1:mfa/x")
    threads = [threading.Thread(target=lambda: answers.append(broker.prompt(request)), daemon=True)
               for _ in range(3)]
    for t in threads:
        t.start()
    dialog = wait_dialog(qtbot, broker, "shared")
    qtbot.waitUntil(lambda: threads_waiting_in("ui/mfa_broker.py", "prompt") == 3,
                    timeout=5000)
    enter(qtbot, dialog, "123456")
    qtbot.waitUntil(lambda: len(answers) == 3, timeout=5000)
    assert answers == ["123456"] * 3
    assert broker.dialogs_shown == 1


def test_ipc_handler_replies_with_credentials(qtbot: Any, broker: MfaBroker,
                                              service: CredentialService, tasks: TaskRunner,
                                              aws_env: Any) -> None:
    replies: list[dict[str, Any]] = []
    handle = mfa_ipc_handler(service, broker, tasks)
    handle({"cmd": "mfa", "profile": "mfa"}, replies.append)
    dialog = wait_dialog(qtbot, broker, "mfa")
    enter(qtbot, dialog, aws_env.sandbox.totp())
    qtbot.waitUntil(lambda: bool(replies), timeout=20000)
    assert replies[0]["ok"] is True
    creds = replies[0]["credentials"]
    assert creds["SessionToken"] and creds["Expiration"]
    assert creds["AccessKeyId"] != aws_env.sandbox.identities["mfa"].access_key_id

    handle({"cmd": "mfa", "profile": ""}, replies.append)
    qtbot.waitUntil(lambda: len(replies) == 2, timeout=5000)
    assert replies[1] == {"ok": False, "error": "no profile named in the request",
                          "reason": "error"}


def test_ipc_handler_reports_cancel(qtbot: Any, broker: MfaBroker, service: CredentialService,
                                    tasks: TaskRunner) -> None:
    replies: list[dict[str, Any]] = []
    mfa_ipc_handler(service, broker, tasks)({"cmd": "mfa", "profile": "mfa"}, replies.append)
    dialog = wait_dialog(qtbot, broker, "mfa")
    dialog.reject()
    qtbot.waitUntil(lambda: bool(replies), timeout=10000)
    assert replies[0] == {"ok": False, "error": "MFA for profile 'mfa' was cancelled.",
                          "reason": "cancelled"}
