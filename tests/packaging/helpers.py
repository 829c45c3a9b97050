"""Running a built Gangway the way ssh, the AWS CLI and a user's desktop run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

SMOKE_TIMEOUT = 180


def run(argv: list[str], env: dict[str, str], timeout: float = 60,
        stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=stdin, check=False)


def smoke(exe: Path, env: dict[str, str], proxy: str) -> subprocess.CompletedProcess[str]:
    return run([str(exe), "--smoke-test"], {**env, "GANGWAY_SMOKE_PROXY": proxy},
               timeout=SMOKE_TIMEOUT)


def assert_smoke_passed(done: subprocess.CompletedProcess[str]) -> None:
    out = done.stdout
    assert done.returncode == 0, f"smoke test failed:\n{out}\n{done.stderr}"
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for check in ("ipc", "keyring", "tray", "botocore", "proxy"):
        assert check in lines and lines[check].split()[1] == "ok", out
    assert "fail.Keyring" not in out, out
    assert "app.core.secret_service.SecretServiceStore" in lines["keyring"], out
    assert "SSH-2.0-OpenSSH" in lines["proxy"], out
    assert out.rstrip().endswith("smoke test passed"), out


def ssh_through(exe: Path, env: dict[str, str], cfg: Path, sshd, target: str,  # type: ignore[no-untyped-def]
                tmp: Path) -> subprocess.CompletedProcess[str]:
    """`gangway ssh-config --install` from this build, then plain OpenSSH through it."""
    done = run([str(exe), "ssh-config", "--install", "--config", str(cfg), "--no-aliases"], env)
    assert done.returncode == 0, done.stderr
    known = tmp / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    return run(["ssh", "-F", str(cfg), "-i", str(sshd.client_key), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-l", sshd.user, target,
                "echo", "via-frozen-proxy"], env, timeout=90)
