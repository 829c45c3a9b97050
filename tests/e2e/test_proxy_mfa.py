"""An MFA profile through the built-in proxy: the thing the AWS CLI mode cannot do.

The proxy asks the running Gangway window for credentials over the single-instance socket.
Here the window's side is the real core handler (`mfa.handle_request` with a CredentialService
whose prompt types the sandbox's TOTP code) behind a plain Unix socket, speaking the same
JSON-lines protocol as the Qt server; the Qt transport itself is tested with the GUI.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.aws.credentials import mfa
from app.core.aws.credentials.service import CredentialService
from app.core.secrets import MemoryStore
from app.core.ssh import config_block
from app.core.ssh.proxycommand import Mode, proxy_command
from tests.fake_window import fake_window

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only, pytest.mark.needs_program("ssh")]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


@contextlib.contextmanager
def window_answering_mfa(sandbox) -> Iterator[list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    service = CredentialService(MemoryStore(), prompt=lambda request: sandbox.totp())
    seen: list[dict] = []  # type: ignore[type-arg]

    def answer(message: dict) -> dict:  # type: ignore[type-arg]
        seen.append(message)
        return mfa.handle_request(service, message, None)

    with fake_window(answer):
        yield seen


def test_mfa_profile_without_window_or_display_fails_clearly(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    done = subprocess.run([*GANGWAY, "proxy", "--profile", "mfa", "--region", REGION,
                           node.instance_id, "22"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert "MFA" in done.stderr and done.stderr.count("\n") == 1
    assert [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5] == []


def test_ssh_with_mfa_profile_through_the_window(aws_env, sshd, tmp_path: Path,
                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = tmp_path / "ssh_config"
    config_block.install(cfg, config_block.render(
        proxy_command(Mode.BUILTIN, "mfa", REGION, gangway=GANGWAY)))
    known = tmp_path / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    with window_answering_mfa(aws_env.sandbox) as asked:
        done = subprocess.run(
            ["ssh", "-F", str(cfg), "-i", str(sshd.client_key), "-o", "IdentitiesOnly=yes",
             "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
             "-o", "BatchMode=yes", "-l", sshd.user, node.instance_id, "echo", "mfa-ok"],
            capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "mfa-ok"
    assert [m["cmd"] for m in asked] == ["mfa"] and asked[0]["profile"] == "mfa"
    rec = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert "AWS_SESSION_TOKEN" in rec["aws_env_names"]  # temporary MFA credentials
    owner = [s for s in aws_env.sandbox.control.sessions()
             if s["Target"] == node.instance_id][-1]["Owner"]
    assert "bob" in owner
