"""scripts/demo.py starts the sandbox outside pytest and tears it down on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox.sshd import start_sshd

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo.py"


def test_demo_launches_the_app_with_this_interpreter() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import demo  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert demo.app_argv() == [sys.executable, "-m", "app"]


def test_demo_print_env_then_ctrl_c_tears_down(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--print-env", "--home", str(home), "--size", "40"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    exports: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("Press Ctrl-C"):
                break
            if line.startswith("export "):
                key, _, value = line[len("export ") :].rstrip("\n").partition("=")
                exports[key] = value.strip("'")
        for service in ("EC2", "STS", "IAM", "SSM", "SSO", "SSO_OIDC"):
            assert exports[f"AWS_ENDPOINT_URL_{service}"].startswith("http://127.0.0.1:")
        assert exports["HOME"] == str(home)
        assert (home / ".aws" / "config").read_text().count("[profile ") >= 6
        endpoints = json.loads(
            (tmp_path / "demo-sandbox" / "server" / "endpoints.json").read_text()
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(int(endpoints["pid"])):
            time.sleep(0.05)
        assert not _alive(int(endpoints["pid"])), "sandbox server left running"
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def test_demo_totp_prints_a_code() -> None:
    out = subprocess.run(
        [sys.executable, str(DEMO), "--totp"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0 and out.stdout.strip().isdigit() and len(out.stdout.strip()) == 6


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of an exited parent still "exists"; check its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.needs_program("/usr/sbin/sshd", "ssh-keygen")
def test_sshd_starts_again_in_the_same_workdir(tmp_path: Path) -> None:
    """`make demo` reuses build/demo-sandbox: the second start must not ask "Overwrite (y/n)?"."""
    servers = []
    try:
        for _ in range(2):
            servers.append(start_sshd(tmp_path / "sshd"))
        _first, second = servers
        assert second.process.poll() is None
        assert second.host_key_pub.startswith("ssh-ed25519 ")
        assert (tmp_path / "sshd" / "authorized_keys").read_text().strip() == (
            second.client_key.with_suffix(".pub").read_text().strip()
        )
    finally:
        for server in servers:
            server.stop()
