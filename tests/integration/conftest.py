"""Fixtures for integration tests that need a real OS keyring (gnome-keyring on D-Bus)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from tests.integration import keyring_session

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def gnome_keyring(aws_env, monkeypatch) -> Iterator[keyring_session.KeyringSession]:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    # The helper must be this venv's `gangway`, whatever else is on PATH.
    monkeypatch.setenv("PATH", os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]))
    session = keyring_session.start(aws_env.home, dict(os.environ))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
    previous = keyring.get_keyring()
    keyring.core.init_backend()  # choose the backend again, now that a bus exists
    try:
        yield session
    finally:
        keyring.set_keyring(previous)
        session.stop()
