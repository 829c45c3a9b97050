"""`gangway credentials` asks the running window for the MFA code over the real socket.

The window side here is the real IpcServer with the handler the application registers, the
broker and a CredentialService; the helper is the real console script in a child process,
exactly as ssh or the plugin would start it (stdin a pipe nobody writes to).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.ui.ipc import IpcServer
from app.ui.mfa_broker import MfaBroker, mfa_ipc_handler
from app.ui.tasks import TaskRunner
from tests.conftest import threads_waiting_in

GANGWAY = Path(sys.executable).parent / "gangway"


@pytest.fixture
def window(qtbot: Any, aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # No OS keyring in the helper's environment: only the window can answer.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    paths = Paths.default().ensure()
    service = CredentialService(MemoryStore())
    broker = MfaBroker(service)
    service.prompt = broker.prompt
    tasks = TaskRunner()
    server = IpcServer(paths)
    server.register("mfa", mfa_ipc_handler(service, broker, tasks))
    assert server.listen()
    yield service, broker
    broker.cancel_all()
    tasks.shutdown()
    server.close()


def helper(profile: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(GANGWAY), "credentials", "--profile", profile],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def finish(qtbot: Any, procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    qtbot.waitUntil(lambda: all(p.poll() is not None for p in procs), timeout=60000)
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=5)
        out.append((p.returncode, stdout, stderr))
    return out


def test_three_helpers_one_dialog_right_code(qtbot: Any, window: Any, aws_env: Any) -> None:
    service, broker = window
    procs = [helper("mfa") for _ in range(3)]
    qtbot.waitUntil(lambda: broker.open_dialog("mfa") is not None, timeout=30000)
    dialog = broker.open_dialog("mfa")
    assert dialog is not None
    # All three helpers' requests are in the window, waiting on the one attempt, before the
    # code is typed (a late helper would hit the cache and prove nothing).
    qtbot.waitUntil(lambda: threads_waiting_in("credentials/service.py", "get") == 3,
                    timeout=30000)
    qtbot.keyClicks(dialog.code, aws_env.sandbox.totp())
    dialog.ok_button.click()
    results = finish(qtbot, procs)
    assert broker.dialogs_shown == 1
    docs = []
    for code, stdout, stderr in results:
        assert code == 0, stderr
        docs.append(json.loads(stdout))
    cached = service.cached("mfa")
    assert cached is not None
    assert {d["AccessKeyId"] for d in docs} == {cached.access_key_id}
    assert all(d["Version"] == 1 and d["SessionToken"] and d["Expiration"] for d in docs)


def test_cancel_in_window_fails_helper_with_one_line(qtbot: Any, window: Any) -> None:
    _service, broker = window
    proc = helper("mfa")
    qtbot.waitUntil(lambda: broker.open_dialog("mfa") is not None, timeout=30000)
    dialog = broker.open_dialog("mfa")
    assert dialog is not None
    dialog.reject()
    [(code, stdout, stderr)] = finish(qtbot, [proc])
    assert code != 0 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and "cancel" in stderr.lower()


def test_a_window_without_the_mfa_command_lets_the_helper_ask_itself(
        qtbot: Any, aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A window of a Gangway that does not know "mfa" (an older one still running after an
    # upgrade) answers "unknown command"; the helper then goes on as with no window at all:
    # here, with no keyring either, it says that (not "unknown command 'mfa'").
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    paths = Paths.default().ensure()
    server = IpcServer(paths)
    server.register("ping", lambda _msg, reply: reply({"ok": True}))
    assert server.listen()
    try:
        from app.core.aws.credentials import mfa

        found: list[object] = []
        worker = threading.Thread(target=lambda: found.append(mfa.ask_window(paths, "mfa")))
        worker.start()
        qtbot.waitUntil(lambda: not worker.is_alive(), timeout=30000)
        assert found == [None]
        proc = helper("mfa")
        [(code, stdout, stderr)] = finish(qtbot, [proc])
    finally:
        server.close()
    assert code == 1 and stdout == ""
    assert stderr.startswith("gangway credentials: No OS keyring is available")
    assert "unknown command" not in stderr
