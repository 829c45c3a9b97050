"""ssh -> ProxyCommand (gangway proxy, or the AWS CLI) -> plugin stand-in -> the real sshd.

Started the way a user starts it: an ssh config written by `gangway ssh-config --install`,
then plain OpenSSH `ssh`/`scp` against the instance id or a favourite's alias.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.ssh import config_block
from app.core.ssh.proxycommand import Mode, proxy_command
from tests.conftest import require_program

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only, pytest.mark.needs_program("ssh")]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


def _known_hosts(tmp_path: Path, sshd) -> Path:  # type: ignore[no-untyped-def]
    # The proxied host is named by its instance id (or alias), never 127.0.0.1:port.
    path = tmp_path / "known_hosts"
    path.write_text(f"* {sshd.host_key_pub}\n")
    return path


def _ssh_base(cfg: Path, sshd, known: Path) -> list[str]:  # type: ignore[no-untyped-def]
    return ["ssh", "-F", str(cfg), "-i", str(sshd.client_key), "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-l", sshd.user]


def _install(cfg: Path, mode: Mode, aliases: list[config_block.Alias] | None = None,
             profile: str = "default") -> None:
    pc = proxy_command(mode, profile, REGION, gangway=GANGWAY)
    config_block.install(cfg, config_block.render(pc, aliases or []))


def _last_history(aws_env) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The newest local history row, once it has ended (the proxy outlives ssh briefly)."""
    path = Path(aws_env.env["GANGWAY_HOME"]) / "data" / "sessions.json"
    for _ in range(100):
        if path.exists():
            last = json.loads(path.read_text())["sessions"][-1]
            if last["ended"]:
                return last  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"no ended session in {path}")


def _run(argv: list[str], env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL, check=False)


def test_ssh_through_builtin_proxy_reaches_sshd(aws_env, sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = tmp_path / "ssh_config"
    _install(cfg, Mode.BUILTIN)
    done = _run([*_ssh_base(cfg, sshd, _known_hosts(tmp_path, sshd)), node.instance_id,
                 "echo", "logged-in-as", "$(whoami)"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"logged-in-as {sshd.user}"

    # The plugin got the documented contract, with the response and keys only in its env.
    rec = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 2][-1]
    argv = rec["argv"]
    assert argv[1] == "AWS_SSM_START_SESSION_RESPONSE" and rec["response_env_set"]
    assert argv[2] == REGION and argv[3] == "StartSession" and argv[4] == ""
    request = json.loads(argv[5])
    assert request == {"Target": node.instance_id, "DocumentName": "AWS-StartSSHSession",
                       "Parameters": {"portNumber": ["22"]}}
    assert argv[6] == aws_env.env["AWS_ENDPOINT_URL_SSM"].rstrip("/") or argv[6].startswith(
        aws_env.env["AWS_ENDPOINT_URL_SSM"].rstrip("/"))
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(rec["aws_env_names"])
    secret = aws_env.sandbox.identities["default"].secret_access_key
    assert all(secret not in a for a in argv)

    # TerminateSession was called when the plugin exited, and the history says how it ended.
    sessions = {s["SessionId"]: s for s in aws_env.sandbox.control.sessions()}
    ours = [s for s in sessions.values() if s["Target"] == node.instance_id]
    assert ours and all(s["Status"] == "Terminated" for s in ours)
    last = _last_history(aws_env)
    assert last["target"] == node.instance_id
    # ssh hangs up its proxy when done (SIGHUP), or the plugin saw EOF first and exited 0.
    assert last["ended"] in ("exit 0", "closed (SIGHUP)")
    assert last["session_id"] in sessions


def test_alias_for_favourite_and_name_tag(aws_env, sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = tmp_path / "ssh_config"
    _install(cfg, Mode.BUILTIN, [config_block.Alias("web-1.prod", node.instance_id)])
    known = _known_hosts(tmp_path, sshd)
    done = _run([*_ssh_base(cfg, sshd, known), "gw-web-1-prod", "echo", "via-alias"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "via-alias"
    # The proxy itself also resolves a Name tag given as %h.
    pc = proxy_command(Mode.BUILTIN, "default", REGION, gangway=GANGWAY)
    done = _run([*_ssh_base(Path("/dev/null"), sshd, known), "-o", f"ProxyCommand={pc}",
                 "bastion", "echo", "via-name-tag"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "via-name-tag"
    rec = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert json.loads(rec["argv"][5])["Target"] == aws_env.sandbox.fleet.by_name(
        "bastion").instance_id


def test_ssh_through_aws_cli_mode(aws_env, sshd, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    require_program("/usr/bin/aws")  # the Debian AWS CLI v2 (.ci/run installs it)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = tmp_path / "ssh_config"
    _install(cfg, Mode.CLI)
    # The documented text, byte for byte, is what ssh runs.
    text = cfg.read_text()
    assert ("ProxyCommand sh -c \"aws ssm start-session --target %h --document-name "
            "AWS-StartSSHSession --parameters 'portNumber=%p'\"") in text
    # Debian's awscli 2.9 predates AWS_ENDPOINT_URL_<SERVICE> (CLI 2.13), so a two-line
    # wrapper named `aws` hands it the same endpoint as --endpoint-url; everything else is
    # the real CLI, its real `ssm start-session` and its real plugin invocation.
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "aws").write_text('#!/bin/sh\nexec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL_SSM" "$@"\n')
    (shim / "aws").chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(shim), str(aws_env.sandbox.plugin_dir), "/usr/bin",
                                   env["PATH"]])
    env["AWS_PROFILE"] = "default"
    env["AWS_REGION"] = REGION
    done = _run([*_ssh_base(cfg, sshd, _known_hosts(tmp_path, sshd)), node.instance_id,
                 "echo", "cli-mode-ok"], env=env, timeout=90)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cli-mode-ok"
    rec = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]
    assert json.loads(rec["argv"][5])["Target"] == node.instance_id


def test_scp_round_trip(aws_env, sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from app.core.ssh.argv import HostKeyPolicy, SshOptions, scp_argv

    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    known = _known_hosts(tmp_path, sshd)
    opts = SshOptions(user=sshd.user, identity_file=str(sshd.client_key),
                      proxy_command=proxy_command(Mode.BUILTIN, "default", REGION,
                                                  gangway=GANGWAY),
                      known_hosts=HostKeyPolicy.STRICT, known_hosts_file=str(known),
                      config_file="/dev/null", identities_only=True,
                      extra_options=("BatchMode=yes",))
    payload = "line 1\nünïcödé $(not run) 'quoted'\n" + "x" * 100_000
    src = tmp_path / "up load.txt"
    src.write_text(payload)
    remote = tmp_path / "remote side.txt"
    back = tmp_path / "back.txt"
    done = _run(scp_argv(node.instance_id, opts, [str(src)], str(remote), upload=True))
    assert done.returncode == 0, done.stderr
    done = _run(scp_argv(node.instance_id, opts, [str(remote)], str(back), upload=False))
    assert done.returncode == 0, done.stderr
    assert back.read_text() == payload


def test_ssh_config_cli_install_and_ssh_G(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config"
    original = "# mine\nHost myhost\n  User me\n"
    cfg.write_text(original)
    done = _run([*GANGWAY, "ssh-config", "--profile", "default", "--region", REGION,
                 "--install", "--config", str(cfg)])
    assert done.returncode == 0, done.stderr
    assert cfg.read_text().startswith(original)
    g = _run(["ssh", "-G", "-F", str(cfg), "i-0123456789abcdef0"])
    assert g.returncode == 0, g.stderr
    lines = dict(line.split(" ", 1) for line in g.stdout.splitlines() if " " in line)
    assert "proxy --profile default --region us-east-1 '%h' %p" in lines["proxycommand"]
    assert lines["hostname"] == "i-0123456789abcdef0"
    assert lines["user"] != "me"
    assert _run(["ssh", "-G", "-F", str(cfg), "myhost"]).stdout.count("user me") == 1
    again = _run([*GANGWAY, "ssh-config", "--profile", "default", "--region", REGION,
                  "--install", "--config", str(cfg)])
    assert "already up to date" in again.stdout
    done = _run([*GANGWAY, "ssh-config", "--uninstall", "--config", str(cfg)])
    assert done.returncode == 0, done.stderr
    assert cfg.read_text() == original
