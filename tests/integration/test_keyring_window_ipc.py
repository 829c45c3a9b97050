"""`gangway credentials` asks the running window for MFA: several helpers, one prompt.

The window side is the real single-instance server (app.ui.ipc.IpcServer) with a handler
that runs `mfa.handle_request` in the real TaskRunner, as the application wires it; the
helpers are real `gangway credentials` processes started the way ssh or the AWS CLI start them.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core.aws.credentials import mfa
from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import MfaRequest
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.paths import Paths
from app.core.secrets import KeyringStore

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]


class CountingPrompt:
    def __init__(self, answer) -> None:
        self.answer = answer
        self.requests: list[MfaRequest] = []
        self.lock = threading.Lock()

    def __call__(self, request: MfaRequest) -> str | None:
        with self.lock:
            self.requests.append(request)
        return self.answer(request)


@pytest.fixture
def window(qtbot: Any, aws_env, gnome_keyring):
    from app.ui.ipc import IpcServer
    from app.ui.tasks import TaskRunner

    store = KeyringStore()
    ProfileWriter(store).protect_keys(load_profiles(), "mfa")
    service = CredentialService(store)
    tasks = TaskRunner()
    server = IpcServer(Paths.default().ensure())
    state: dict[str, Any] = {"prompt": None}

    def handle(message: dict[str, Any], reply) -> None:
        task = tasks.submit(mfa.handle_request, service, dict(message), state["prompt"])
        task.result.connect(reply)

    server.register(mfa.IPC_COMMAND, handle)
    assert server.listen()
    yield state
    server.close()
    tasks.shutdown()


def helpers(count: int, profile: str) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen(["gangway", "credentials", "--profile", profile],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(count)]


def finish(qtbot: Any, procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    qtbot.waitUntil(lambda: all(p.poll() is not None for p in procs), timeout=60000)
    out = []
    for p in procs:
        stdout, stderr = p.communicate()
        out.append((p.returncode, stdout, stderr))
    return out


def test_three_helpers_one_prompt_through_the_window(qtbot: Any, aws_env, window) -> None:
    prompt = CountingPrompt(lambda r: aws_env.sandbox.totp(r.serial))
    window["prompt"] = prompt
    results = finish(qtbot, helpers(3, "mfa"))
    assert [r[0] for r in results] == [0, 0, 0], [r[2] for r in results]
    docs = [json.loads(r[1]) for r in results]
    assert len({d["AccessKeyId"] for d in docs}) == 1 and docs[0]["SessionToken"]
    assert len(prompt.requests) == 1 and prompt.requests[0].profile == "mfa"
    # The window cached them in the keyring: the next helper is a cache hit, no prompt.
    again = finish(qtbot, helpers(1, "mfa"))
    assert again[0][0] == 0 and json.loads(again[0][1]) == docs[0]
    assert len(prompt.requests) == 1


def test_cancel_in_the_window_fails_the_helper_with_one_line(qtbot: Any, aws_env,
                                                            window) -> None:
    window["prompt"] = CountingPrompt(lambda r: None)
    [(code, stdout, stderr)] = finish(qtbot, helpers(1, "mfa"))
    assert code != 0 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "cancelled" in lines[0]
