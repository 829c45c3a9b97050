"""`gangway doctor` end to end: the real console verb in a child process, with PATH, $TERMINAL
and the keyring backend set the way users' machines have them (or lack them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_program

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app", "doctor"]
STANDARD_PLUGIN_DIRS = ("/usr/local/sessionmanagerplugin/bin", "/usr/local/bin", "/usr/bin",
                        "/home/linuxbrew/.linuxbrew/bin")


def _bin(tmp_path: Path, **programs: str) -> Path:
    """A PATH directory holding exactly `programs` (name -> real path)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in programs.items():
        (bin_dir / name).symlink_to(target)
    return bin_dir


def _doctor(bin_dir: Path, *args: str, terminal: str | None = None,
            keyring: str = "keyring.backends.fail.Keyring") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TERMINAL", "PATH")}
    env["PATH"] = str(bin_dir)
    env["PYTHON_KEYRING_BACKEND"] = keyring
    if terminal is not None:
        env["TERMINAL"] = terminal
    return subprocess.run([*GANGWAY, *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=env, check=False)


@pytest.fixture
def no_system_plugin() -> None:
    """The plugin is also looked for in standard locations; a machine with one installed there
    cannot show 'missing'."""
    for d in STANDARD_PLUGIN_DIRS:
        if (Path(d) / "session-manager-plugin").exists():
            pytest.skip(f"a session-manager-plugin is installed in {d}")


def test_everything_essential_present_exits_0(aws_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plugin = aws_env.sandbox.plugin_dir / "session-manager-plugin"
    xterm = require_program("xterm")
    bin_dir = _bin(tmp_path, ssh=require_program("ssh"), **{"session-manager-plugin": str(plugin)})
    plain = _doctor(bin_dir, terminal=xterm)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert plain.stdout.rstrip().endswith("Essentials present.")
    as_json = _doctor(bin_dir, "--json", terminal=xterm)
    assert as_json.returncode == 0
    doc = json.loads(as_json.stdout)
    checks = {c["name"]: c for c in doc["checks"]}
    assert doc["ok"] is True
    assert [c["name"] for c in doc["checks"]] == [
        "AWS CLI", "session-manager-plugin", "OpenSSH client", "Keyring", "Terminal emulator",
        "Keyless SSH (EC2 Instance Connect)"]
    assert checks["session-manager-plugin"]["status"] == "ok"
    assert checks["session-manager-plugin"]["detail"].endswith(f" at {bin_dir}/session-manager-plugin")
    assert checks["OpenSSH client"]["status"] == "ok"
    assert checks["OpenSSH client"]["detail"].startswith("OpenSSH_")
    # The terminal from $TERMINAL, as the launcher would use it.
    assert checks["Terminal emulator"] == {
        "name": "Terminal emulator", "status": "ok", "detail": "$TERMINAL (xterm)", "hint": "",
        "essential": False, "fix": {"commands": [], "links": []}}
    # No AWS CLI on this PATH: a warning, not an essential.
    assert checks["AWS CLI"]["status"] == "warn" and checks["AWS CLI"]["detail"] == "not found"
    assert checks["AWS CLI"]["essential"] is False


def test_missing_plugin_exits_1_in_both_forms(aws_env, tmp_path, no_system_plugin) -> None:  # type: ignore[no-untyped-def]
    bin_dir = _bin(tmp_path, ssh=require_program("ssh"))
    plain = _doctor(bin_dir)
    assert plain.returncode == 1
    assert re.search(r"^session-manager-plugin +MISSING +not found$", plain.stdout, re.M)
    assert plain.stdout.rstrip().endswith("Some essentials are missing (see hints above).")
    assert "* session-manager-plugin: " in plain.stdout
    # --json keeps the same exit-code contract as the plain table.
    as_json = _doctor(bin_dir, "--json")
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is False
    [check] = [c for c in doc["checks"] if c["name"] == "session-manager-plugin"]
    assert (check["status"], check["detail"], check["essential"]) == ("missing", "not found", True)
    assert "session-manager-plugin" in check["hint"] or "Session Manager" in check["hint"]


def test_no_terminal_and_no_keyring_are_warnings(aws_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plugin = aws_env.sandbox.plugin_dir / "session-manager-plugin"
    bin_dir = _bin(tmp_path, ssh=require_program("ssh"), **{"session-manager-plugin": str(plugin)})
    result = _doctor(bin_dir, "--json")
    assert result.returncode == 0  # neither is essential
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["Terminal emulator"]["status"] == "warn"
    assert checks["Terminal emulator"]["detail"] == "none found"
    assert checks["Keyring"]["status"] == "warn"
    assert checks["Keyring"]["detail"] == (
        "no OS keyring found (Python keyring: keyring.backends.fail.Keyring)")
    assert "never in plaintext" in checks["Keyring"]["hint"]


def test_missing_ssh_is_essential(aws_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plugin = aws_env.sandbox.plugin_dir / "session-manager-plugin"
    bin_dir = _bin(tmp_path, **{"session-manager-plugin": str(plugin)})
    result = _doctor(bin_dir, "--json")
    assert result.returncode == 1
    [check] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "OpenSSH client"]
    assert (check["status"], check["detail"]) == ("missing", "not found")
    assert check["hint"] == "SSH, SFTP and SCP need the OpenSSH client; shells work without it."
