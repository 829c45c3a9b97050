"""What the CLI prints under hostile text and broken directories: one escaped line, no
traceback, no terminal escape sequence reaching the user's terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.display import json_text, one_line, printable

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"


def _gangway(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, *args], capture_output=True, text=True, timeout=timeout,
                          check=False, stdin=subprocess.DEVNULL)


def _no_controls(text: str) -> bool:
    return all(ch.isprintable() or ch == "\n" for ch in text)


def test_printable_escapes_every_control_and_format_character() -> None:
    assert printable(HOSTILE) == "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil"
    assert printable("a\nb", keep_newlines=True) == "a\nb"
    assert one_line("two\nlines\x1b") == "two lines\\x1b"
    doc = {"name": HOSTILE + "日本語\U000e0001"}
    text = json_text(doc, indent=2)
    assert _no_controls(text) and "日本語" in text
    assert json.loads(text) == doc


def test_an_aws_error_message_with_escapes_is_printed_escaped(aws_env) -> None:  # type: ignore[no-untyped-def]
    aws_env.sandbox.control.fault_region("us-east-1", "AccessDeniedException", service="ssm",
                                 message=f"denied {HOSTILE}")
    done = _gangway("proxy", "--profile", "default", "--region", "us-east-1",
                    "i-0123456789abcdef0", "22")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and _no_controls(done.stderr), repr(done.stderr)
    assert "\\x1b]0;pwned\\x07" in done.stderr


def test_a_hostile_profile_name_is_echoed_escaped(aws_env) -> None:  # type: ignore[no-untyped-def]
    for verb in (["proxy", "i-0123456789abcdef0", "22", "--profile"],
                 ["session", "--target", "i-0123456789abcdef0", "--profile"],
                 ["instances", "--region", "us-east-1", "--profile"]):
        done = _gangway(*verb, HOSTILE)
        assert done.returncode == 1
        assert _no_controls(done.stderr) and "\\x1b]0;pwned" in done.stderr, repr(done.stderr)


def test_an_os_error_is_one_line_never_a_traceback(aws_env) -> None:  # type: ignore[no-untyped-def]
    ssh_dir = Path(aws_env.home) / ".ssh"
    ssh_dir.write_text("a file where ~/.ssh should be a folder\n")
    done = _gangway("ssh-config", "--install", "--no-aliases", "--region", "us-east-1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("gangway ssh-config: ") and done.stderr.count("\n") == 1
    assert str(ssh_dir) in done.stderr
    assert ssh_dir.read_text() == "a file where ~/.ssh should be a folder\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 folder; the GitHub "
                    "runner (not root) runs this")
def test_a_read_only_ssh_folder_is_one_clear_line(aws_env) -> None:  # type: ignore[no-untyped-def]
    ssh_dir = Path(aws_env.home) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    ssh_dir.chmod(0o500)
    try:
        done = _gangway("ssh-config", "--install", "--no-aliases", "--region", "us-east-1")
    finally:
        ssh_dir.chmod(0o700)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot write in {ssh_dir}" in done.stderr and done.stderr.count("\n") == 1


def test_a_read_only_ssh_config_is_refused_and_kept(aws_env) -> None:  # type: ignore[no-untyped-def]
    ssh_dir = Path(aws_env.home) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    config = ssh_dir / "config"
    config.write_text("Host mine\n  User me\n")
    config.chmod(0o400)
    done = _gangway("ssh-config", "--install", "--no-aliases", "--region", "us-east-1")
    assert done.returncode == 1 and "read-only" in done.stderr
    assert config.read_text() == "Host mine\n  User me\n"
    assert config.stat().st_mode & 0o777 == 0o400
