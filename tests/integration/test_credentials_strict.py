"""`gangway credentials` refuses the profile files exactly where botocore refuses them.

With a real gnome-keyring on a private D-Bus, as on a desktop (the helper needs a keyring).
"""

from __future__ import annotations

import os
import subprocess
import sys

import botocore.exceptions
import botocore.session
import pytest

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]


def gangway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          stdin=subprocess.PIPE, timeout=60, env=dict(os.environ), check=False)


def botocore_refuses() -> bool:
    session = botocore.session.Session()
    try:
        session.full_config  # noqa: B018 - reading it parses both files
    except botocore.exceptions.ConfigParseError:
        return True
    return False


BROKEN = [
    # (which file, text to add, the line botocore's parser names)
    ("config", "this line comes before any section\n", 1),  # MissingSectionHeaderError
    ("config", "\n[profile role]\nregion = again\n", None),  # DuplicateSectionError
    ("credentials", "\n[default]\nnot a setting\n", None),  # ParsingError
    ("config", "\n[profile nested]\ns3 =\n  no equals sign here\n", None),  # _parse_nested
]


@pytest.mark.parametrize(("which", "text", "line"), BROKEN)
def test_a_file_botocore_refuses_is_refused_with_file_and_line(aws_env, gnome_keyring, which: str, text: str,
                                                                line: int | None) -> None:
    path = aws_env.config_file if which == "config" else aws_env.credentials_file
    before = path.read_text()
    path.write_text(text + before if line == 1 else before + text)
    assert botocore_refuses()
    done = gangway("credentials", "--profile", "role")
    assert done.returncode == 1, done.stdout
    assert done.stdout == ""
    assert f"{path}:" in done.stderr and "AWS CLI" in done.stderr, done.stderr
    if line is not None:
        assert f"{path}:{line}" in done.stderr


def test_a_file_botocore_reads_is_accepted(aws_env, gnome_keyring) -> None:
    # An unquoted "[profile a b]" is odd but botocore reads it: no refusal for it.
    aws_env.config_file.write_text(aws_env.config_file.read_text() + "\n[profile a b]\nx = 1\n")
    assert not botocore_refuses()
    done = gangway("credentials", "--profile", "role")
    assert done.returncode == 0, done.stderr
    assert '"AccessKeyId"' in done.stdout
