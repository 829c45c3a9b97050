"""The credentials helper's own MFA dialog, as a user meets it with no Gangway window open:
the real dialog child on a private Xvfb display, typed into with xdotool. A wrong code comes
back as a second dialog that says so; the right one gives credentials; Escape cancels."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.core.aws.credentials.source import CliCredentialSource
from app.core.errors import CancelledError
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from tests.packaging.desktop import xvfb_display

pytestmark = [pytest.mark.needs_program("Xvfb"), pytest.mark.needs_program("xdotool"),
              pytest.mark.linux_only]

TITLE = "Gangway: MFA code"  # the dialog's window title


@pytest.fixture
def display(aws_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with xvfb_display() as display:
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)  # the child draws on Xvfb
        yield display


def answer_dialog(*keys: str, text: str = "") -> None:
    """Wait for the dialog (it is a new window each attempt), type, press keys."""
    found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", TITLE],
                           capture_output=True, text=True, timeout=60, check=True)
    window = found.stdout.split()[-1]
    subprocess.run(["xdotool", "windowfocus", "--sync", window], timeout=30, check=True)
    if text:
        subprocess.run(["xdotool", "type", "--delay", "20", text], timeout=30, check=True)
    subprocess.run(["xdotool", "key", *keys], timeout=30, check=True)
    # This window gone before the next attempt's own one is looked for.
    deadline = time.monotonic() + 30
    while window in visible_dialogs():
        assert time.monotonic() < deadline, "the MFA dialog did not close"
        time.sleep(0.05)


def visible_dialogs() -> list[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", TITLE],
                           capture_output=True, text=True, timeout=30, check=False)
    return found.stdout.split()


def in_worker(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["value"] = fn()
        except Exception as exc:  # handed to the test below
            out["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, out


def test_a_wrong_code_then_the_right_one(aws_env, display: str) -> None:  # type: ignore[no-untyped-def]
    source = CliCredentialSource(Paths.default(), store=MemoryStore())
    thread, out = in_worker(lambda: source.credentials("mfa"))
    right = aws_env.sandbox.totp()
    answer_dialog("Return", text="000000" if right != "000000" else "111111")
    # The second dialog carries the reason; the sandbox's current code goes in.
    answer_dialog("Return", text=aws_env.sandbox.totp())
    thread.join(60)
    assert "error" not in out, out.get("error")
    creds = out["value"]
    assert creds.session_token and creds.expiration is not None
    assert source.service().cached("mfa") == creds
    assert source.credentials("mfa") == creds  # the next helper: from the cache, no dialog
    assert visible_dialogs() == []


def test_escape_cancels(aws_env, display: str) -> None:  # type: ignore[no-untyped-def]
    source = CliCredentialSource(Paths.default(), store=MemoryStore())
    thread, out = in_worker(lambda: source.credentials("mfa"))
    answer_dialog("Escape")
    thread.join(60)
    assert isinstance(out.get("error"), CancelledError)
    assert out["error"].message == "MFA for profile 'mfa' was cancelled."
    assert source.service().cached("mfa") is None


def test_the_mfa_prompt_verb_frozen_builds_start(display: str) -> None:
    """Frozen builds have no `python -m`: the helper starts `gangway mfa-prompt` instead
    (selfcmd.module_command). The same dialog: the code on stdout, exit 0; Escape, exit 1."""
    argv = [sys.executable, "-m", "app", "mfa-prompt", "--profile", "prod",
            "--serial", "arn:aws:iam::123456789012:mfa/me", "--role", "admin",
            "--attempt", "2", "--error", "That code was not accepted."]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        answer_dialog("Return", text="123456")
        out, err = child.communicate(timeout=60)
    assert (child.returncode, out) == (0, "123456\n"), err
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        answer_dialog("Escape")
        out, err = child.communicate(timeout=60)
    assert (child.returncode, out) == (1, ""), err
