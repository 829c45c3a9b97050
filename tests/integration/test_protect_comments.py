"""Protect keeps every comment in ~/.aws/credentials (a real gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import re

import pytest

from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.secrets import open_secret_store

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]

CREDENTIALS = """\
# Top of file.
[work]
# Work keys, rotated by IT every 90 days.
aws_access_key_id = AKIAWORKEXAMPLE00001
; between the two keys
aws_secret_access_key = work-secret-value
# trailing note inside [work]

# The next profile is the build robot.
[robot]
aws_access_key_id = AKIAROBOTEXAMPLE0001
aws_secret_access_key = robot-secret-value
# last line
"""


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\s*[#;]", line)]


def test_protect_keeps_every_comment_and_the_other_profile(aws_env, gnome_keyring) -> None:
    crd = aws_env.credentials_file
    crd.write_text(CREDENTIALS, encoding="utf-8")
    store = open_secret_store()
    assert store.real
    profiles = ProfileWriter(store).protect_keys(
        load_profiles(aws_env.config_file, crd), "work")
    text = crd.read_text(encoding="utf-8")
    assert comments(text) == comments(CREDENTIALS)
    # the order is kept: the comment about [robot] still sits right above its header
    assert "# The next profile is the build robot.\n[robot]\n" in text
    assert "work-secret-value" not in text and "AKIAWORKEXAMPLE00001" not in text
    assert profiles.require("robot").in_credentials
    assert profiles.require("work").kind.name == "PROTECTED"
