"""Unlocking a locked collection through the desktop's real prompt (gnome-keyring asks
gcr-prompter, started by the session bus on a private Xvfb display; xdotool is the user)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from app.core.errors import KeyringUnavailableError
from app.core.secret_service import SecretServiceStore
from app.core.secrets import SERVICE
from tests.integration import keyring_session
from tests.packaging.desktop import start_xvfb

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.needs_program("Xvfb"),
              pytest.mark.needs_program("xdotool"),
              pytest.mark.needs_program("dbus-update-activation-environment"),
              pytest.mark.needs_program("/usr/libexec/gcr-prompter"), pytest.mark.linux_only]

PROMPT_TITLE = "Unlock Login Keyring"  # gnome-keyring's title for the login collection


@dataclass
class Desktop:
    session: keyring_session.KeyringSession
    env: dict[str, str]

    def prompt_window(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.windows()
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError("no unlock prompt appeared")

    def windows(self) -> list[str]:
        done = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", PROMPT_TITLE],
                              capture_output=True, text=True, env=self.env, check=False)
        return done.stdout.split()

    def answer(self, *keys: str, text: str = "") -> None:
        window = self.prompt_window()
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=self.env, check=True)
        if text:
            subprocess.run(["xdotool", "type", "--delay", "20", text], env=self.env,
                           check=True)
        subprocess.run(["xdotool", "key", *keys], env=self.env, check=True)


@dataclass
class Call:
    """A store call in a worker thread (it blocks until the prompt is answered)."""
    result: dict[str, object] = field(default_factory=dict)

    def start(self, fn: object) -> threading.Thread:
        def work() -> None:
            try:
                self.result["value"] = fn()  # type: ignore[operator]
            except KeyringUnavailableError as exc:
                self.result["error"] = exc
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        return thread


@pytest.fixture
def locked_desktop(aws_env, monkeypatch) -> Iterator[Desktop]:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    xvfb, display = start_xvfb()
    try:
        session = keyring_session.start(aws_env.home, dict(os.environ))
        try:
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
            # What a desktop session does at login (dbus-update-activation-environment): the
            # prompter the bus starts for gnome-keyring then finds the display.
            subprocess.run(["dbus-update-activation-environment", f"DISPLAY={display}"],
                           env=session.env, check=True, capture_output=True)
            SecretServiceStore(SERVICE).set("keys:prod", "sëcret")
            session.lock()
            yield Desktop(session, {**session.env, "DISPLAY": display})
        finally:
            session.stop()
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=5)


def test_the_user_unlocks_through_the_prompt(locked_desktop: Desktop) -> None:
    store = SecretServiceStore(SERVICE, prompt_timeout=60)
    call = Call()
    thread = call.start(lambda: store.get("keys:prod"))
    locked_desktop.answer("Return", text=keyring_session.PASSWORD)
    thread.join(60)
    assert call.result == {"value": "sëcret"}
    store.set("keys:prod", "nëw")  # unlocked now: no second prompt
    assert store.get("keys:prod") == "nëw"


def test_a_dismissed_prompt_is_the_plain_error(locked_desktop: Desktop) -> None:
    store = SecretServiceStore(SERVICE, prompt_timeout=60)
    call = Call()
    thread = call.start(lambda: store.set("keys:prod", "never stored"))
    locked_desktop.answer("Escape")  # the user cancels
    thread.join(60)
    error = call.result.get("error")
    assert isinstance(error, KeyringUnavailableError), call.result
    assert str(error) == "The OS keyring is locked. Unlock it (log in to the desktop) and retry."
    assert "never stored" not in repr(error)


def test_an_unanswered_prompt_gives_up_and_closes(locked_desktop: Desktop) -> None:
    store = SecretServiceStore(SERVICE, prompt_timeout=3)
    call = Call()
    thread = call.start(lambda: store.get("keys:prod"))
    locked_desktop.prompt_window()  # it is shown, and nobody answers
    thread.join(60)
    assert not thread.is_alive()
    error = call.result.get("error")
    assert isinstance(error, KeyringUnavailableError) and "locked" in error.message
    deadline = time.monotonic() + 15  # we dismissed it: the window goes away
    while locked_desktop.windows() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert locked_desktop.windows() == []
