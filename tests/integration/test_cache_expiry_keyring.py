"""The credentials helper's fast path (the Secret Service read straight over D-Bus) applies
the same expiry rules as the service: a cached entry with no expiry or one beyond 36 h is
not printed. Real gnome-keyring on a private D-Bus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.aws.credentials.types import CACHE_PREFIX
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import KeyringStore

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]
VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("expiration", [None, "2099-01-01T00:00:00Z"])
def test_forged_cache_entries_are_not_served(aws_env, gnome_keyring,
                                             expiration: str | None) -> None:
    store = KeyringStore()
    ProfileWriter(store).protect_keys(load_profiles(), "mfa")
    forged = {"Version": 1, "AccessKeyId": "ASIAFORGEDFORGED0000", "SecretAccessKey": "f" * 40,
              "SessionToken": "forged"}
    if expiration:
        forged["Expiration"] = expiration
    store.set(CACHE_PREFIX + "mfa", json.dumps(forged))
    done = subprocess.run([str(VENV_BIN / "gangway"), "credentials", "--profile", "mfa"],
                          capture_output=True, text=True, stdin=subprocess.PIPE, timeout=60,
                          env=dict(os.environ), check=False)
    assert "ASIAFORGED" not in done.stdout
    assert done.returncode != 0 and "MFA" in done.stderr  # it asks for a code instead
