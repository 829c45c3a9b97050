"""`gangway credentials` for protected long-term keys: straight from the Secret Service.

A real gnome-keyring on a private D-Bus. The helper runs on every ssh connection; for keys
kept in the keyring it must not load the keyring library (the slow part) nor build the
whole ProfileSet, and it must still answer exactly what the full path answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import open_secret_store

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]


def helper(profile: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "app", "credentials",
                           "--profile", profile], capture_output=True, text=True,
                          stdin=subprocess.PIPE, timeout=60, env=dict(os.environ), check=False)


def imported(stderr: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in stderr.splitlines()
            if line.startswith("import time:")}


def test_protected_keys_come_without_the_keyring_library(aws_env, gnome_keyring) -> None:
    ProfileWriter(open_secret_store()).protect_keys(load_profiles(), "default")
    done = helper("default")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    alice = aws_env.sandbox.identities["default"]
    assert (doc["AccessKeyId"], doc["SecretAccessKey"]) == (alice.access_key_id,
                                                            alice.secret_access_key)
    assert "SessionToken" not in doc and "Expiration" not in doc
    modules = imported(done.stderr)
    assert "keyring" not in modules and "app.core.aws.credentials.source" not in modules


def test_protected_keys_that_became_a_role_take_the_full_path(aws_env, gnome_keyring) -> None:
    # Someone adds role_arn by hand: the bare keys are no longer this profile's answer.
    ProfileWriter(open_secret_store()).protect_keys(load_profiles(), "default")
    text = aws_env.config_file.read_text().replace(
        "[default]\n", f"[default]\nrole_arn = {aws_env.sandbox.operator_role_arn}\n"
        "credential_source = Environment\n", 1)
    aws_env.config_file.write_text(text)
    done = helper("default")
    assert done.returncode in (0, 1)
    # the full path, which knows about roles (the keyring library itself is no longer needed
    # on Linux: Gangway speaks to the Secret Service directly)
    assert "app.core.aws.credentials.source" in imported(done.stderr)
    if done.returncode == 0:
        assert json.loads(done.stdout)["AccessKeyId"] != aws_env.sandbox.identities[
            "default"].access_key_id
