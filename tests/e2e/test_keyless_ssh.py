"""Keyless SSH, end to end: `gangway ssh-config --keyless --install`, then plain `ssh`, `scp`
and `sftp` -> `gangway proxy --push-key %r` -> SendSSHPublicKey (the sandbox's EC2 Instance
Connect) -> plugin stand-in -> the real sshd, whose AuthorizedKeysCommand asks the sandbox for
the keys pushed for that user on that instance in the last 60 s.

No key is on disk for the client except Gangway's ephemeral one (a fresh HOME, no agent).
The 60 s are the sandbox clock's, advanced through its control API; nothing sleeps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.aws.sessions import keypush
from app.core.paths import Paths
from app.core.ssh.ephemeral import EphemeralKey
from app.core.ssh.proxycommand import Mode, proxy_command

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only, pytest.mark.needs_program("ssh"),
              pytest.mark.needs_program("ssh-keygen")]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


@pytest.fixture
def eic_sshd(sshd):  # type: ignore[no-untyped-def]
    """The sandbox sshd with its AuthorizedKeysCommand (needs root, as sshd requires the
    command to be root-owned; CI runs as root)."""
    if sshd.eic_dir is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("the sandbox sshd has no AuthorizedKeysCommand (CI must run as root)")
        pytest.skip("the sandbox sshd's AuthorizedKeysCommand needs root")
    return sshd


def _run(argv: list[str], env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL, check=False)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SSH_AUTH_SOCK", None)  # no agent: the ephemeral key is the only key
    return env


def _install(aws_env, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "ssh_config"
    original = "# my own settings\nHost other\n  User me\n"
    cfg.write_text(original)
    done = _run([*GANGWAY, "ssh-config", "--profile", "default", "--region", REGION,
                 "--keyless", "--install", "--config", str(cfg)])
    assert done.returncode == 0, done.stderr
    assert cfg.read_text().startswith(original)
    return cfg


def _ssh(cfg: Path, sshd, tmp_path: Path, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    known = tmp_path / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    return ["ssh", "-F", str(cfg), "-o", f"UserKnownHostsFile={known}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=20", "-l", sshd.user, *extra]


def _key(aws_env) -> EphemeralKey:  # type: ignore[no-untyped-def]
    return EphemeralKey(Paths.default().data_dir)


def _pushes(aws_env, instance_id: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [p for p in aws_env.sandbox.control.eic_pushes() if p["instance_id"] == instance_id]


def test_ssh_with_only_the_ephemeral_key_then_push_again_after_60s(  # type: ignore[no-untyped-def]
        aws_env, eic_sshd, tmp_path: Path) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = _install(aws_env, tmp_path)
    assert not list(aws_env.home.glob(".ssh/id_*"))  # the user has no key of their own
    pair = _key(aws_env).load()
    assert pair is not None
    done = _run([*_ssh(cfg, eic_sshd, tmp_path, "-v"), node.instance_id, "echo", "keyless-ok"],
                env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "keyless-ok"
    offered = [ln for ln in done.stderr.splitlines() if "Offering public key" in ln]
    assert offered and all(str(pair.private_path) in ln for ln in offered), offered
    pushes = _pushes(aws_env, node.instance_id)
    assert [(p["os_user"], p["key"]) for p in pushes] == [(eic_sshd.user, pair.public_key.rsplit(
        " ", 1)[0])]

    # 61 s later the pushed key has expired on the instance: without a push it is refused...
    aws_env.sandbox.control.advance_clock(61)
    plain = proxy_command(Mode.BUILTIN, "default", REGION, gangway=GANGWAY)
    refused = _run([*_ssh(Path("/dev/null"), eic_sshd, tmp_path), "-o", f"ProxyCommand={plain}",
                    "-o", f"IdentityFile={pair.private_path}", "-o", "IdentitiesOnly=yes",
                    node.instance_id, "true"], env=_env())
    assert refused.returncode != 0
    assert "Permission denied" in refused.stderr
    # ...and a new connection through the block pushes again and gets in.
    again = _run([*_ssh(cfg, eic_sshd, tmp_path), node.instance_id, "echo", "again"], env=_env())
    assert again.returncode == 0, again.stderr
    assert len(_pushes(aws_env, node.instance_id)) == 2


def test_scp_and_sftp_through_the_keyless_block(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = _install(aws_env, tmp_path)
    base = _ssh(cfg, eic_sshd, tmp_path)[1:]  # the options, without "ssh"
    opts = [o for o in base if o not in ("-l", eic_sshd.user)]
    payload = "keyless scp\n" + "y" * 50_000
    src = tmp_path / "up.txt"
    src.write_text(payload)
    remote = tmp_path / "remote.txt"
    host = f"{eic_sshd.user}@{node.instance_id}"
    done = _run(["scp", *opts, str(src), f"{host}:{remote}"], env=_env())
    assert done.returncode == 0, done.stderr
    assert remote.read_text() == payload
    aws_env.sandbox.control.advance_clock(61)  # each connection pushes its own key
    batch = tmp_path / "batch"
    back = tmp_path / "back.txt"
    batch.write_text(f"get {remote} {back}\n")
    done = _run(["sftp", *opts, "-b", str(batch), host], env=_env())
    assert done.returncode == 0, done.stderr
    assert back.read_text() == payload
    assert len(_pushes(aws_env, node.instance_id)) == 2


def test_push_denied_falls_back_to_the_users_key(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    alice = aws_env.sandbox.identities["default"].arn
    aws_env.sandbox.control.set_simulate_rule(
        alice, {"actions": ["ec2-instance-connect:SendSSHPublicKey"], "deny_all": True})
    cfg = _install(aws_env, tmp_path)
    # The user's own key, named on the command line (IdentitiesOnly keeps named keys).
    user_key = tmp_path / "my_key"
    shutil.copy(eic_sshd.client_key, user_key)
    user_key.chmod(0o600)
    done = _run([*_ssh(cfg, eic_sshd, tmp_path, "-i", str(user_key)), node.instance_id,
                 "echo", "fallback-ok"], env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fallback-ok"
    notices = [ln for ln in done.stderr.splitlines() if ln.startswith("gangway proxy:")]
    assert len(notices) == 1, done.stderr
    assert "refused the Gangway key" in notices[0] and "AccessDeniedException" in notices[0]
    assert _pushes(aws_env, node.instance_id) == []


def test_zone_lookup_denied_falls_back_too(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = _install(aws_env, tmp_path)
    aws_env.sandbox.control.fault_region(REGION, "UnauthorizedOperation", service="ec2")
    done = _run([*_ssh(cfg, eic_sshd, tmp_path, "-i", str(eic_sshd.client_key)),
                 node.instance_id, "echo", "still-in"], env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "still-in"
    notices = [ln for ln in done.stderr.splitlines() if ln.startswith("gangway proxy:")]
    assert len(notices) == 1 and "Availability Zone" in notices[0]
    assert "ec2:DescribeInstances" in notices[0]
    assert aws_env.sandbox.control.eic_pushes() == []


def test_hybrid_node_skips_the_push(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hybrid = next(n for n in aws_env.sandbox.fleet.nodes
                  if n.hybrid and n.ping == "Online" and n.region == REGION)
    cfg = _install(aws_env, tmp_path)
    g = _run(["ssh", "-G", "-F", str(cfg), hybrid.instance_id])
    lines = dict(ln.split(" ", 1) for ln in g.stdout.splitlines() if " " in ln)
    assert "--push-key" not in lines["proxycommand"]  # the block never asks for mi- nodes
    # Asked explicitly: the push is skipped with a clear message; the user's key is used.
    pushing = proxy_command(Mode.BUILTIN, "default", REGION, gangway=GANGWAY, push_key=True)
    done = _run([*_ssh(Path("/dev/null"), eic_sshd, tmp_path, "-i", str(eic_sshd.client_key),
                       "-o", "IdentitiesOnly=yes", "-o", f"ProxyCommand={pushing}"),
                 hybrid.instance_id, "echo", "hybrid-ok"], env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hybrid-ok"
    assert "hybrid managed node" in done.stderr and "not pushing" in done.stderr
    assert aws_env.sandbox.control.eic_pushes() == []


def test_wrong_zone_and_unknown_instance_are_clear_errors(aws_env) -> None:  # type: ignore[no-untyped-def]
    from app.core.aws import sigv4
    from app.core.aws.sessions import connect

    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    pair = EphemeralKey(Paths.default().data_dir).ensure()
    source = _source()
    fast = connect.route(source, "default", REGION)
    assert isinstance(fast.eic, sigv4.InstanceConnect)  # the boto3-free route
    slow = keypush.BotoInstanceConnect(source.session("default", REGION), REGION)
    for eic in (fast.eic, slow):
        with pytest.raises(keypush.KeyPushError, match="zone us-east-1z"):
            keypush.push(eic, node.instance_id, "ec2-user", pair.public_key, zone="us-east-1z")
        with pytest.raises(keypush.KeyPushError, match="does not know the instance"):
            keypush.push(eic, "i-0000000000000dead", "ec2-user", pair.public_key)
        with pytest.raises(keypush.KeyPushError, match="found no instance i-0000000000000dead"):
            keypush.push(eic, "i-0000000000000dead", "ec2-user", pair.public_key,
                         zone="us-east-1a")
        # The right zone, from DescribeInstances: pushed.
        assert keypush.push(eic, node.instance_id, "ec2-user", pair.public_key).pushed
    assert len(aws_env.sandbox.control.eic_pushes()) == 2


def _source():  # type: ignore[no-untyped-def]
    from app.core.aws.credentials.source import CliCredentialSource

    return CliCredentialSource(Paths.default(), ask_window=False)


def test_the_api_checks_key_formats(aws_env) -> None:  # type: ignore[no-untyped-def]
    from app.core.aws.sessions import connect

    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    eic = connect.route(_source(), "default", REGION).eic  # botocore would refuse some first
    good = EphemeralKey(Paths.default().data_dir).ensure().public_key
    body = good.split()[1]
    for bad in (f"ssh-dss {body} padding", f"ssh-rsa {body} padding", "x" * 100,
                f"ssh-ed25519 {body[:-8]}!!!!!!!! padding"):
        with pytest.raises(keypush.KeyPushError, match="refused the push"):
            keypush.push(eic, node.instance_id, "ec2-user", bad)
    assert aws_env.sandbox.control.eic_pushes() == []


def test_rotation_old_key_stops_working_once_expired(  # type: ignore[no-untyped-def]
        aws_env, eic_sshd, tmp_path: Path) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = _install(aws_env, tmp_path)
    keys = _key(aws_env)
    old = keys.load()
    assert old is not None
    done = _run([*_ssh(cfg, eic_sshd, tmp_path), node.instance_id, "true"], env=_env())
    assert done.returncode == 0, done.stderr
    kept = tmp_path / "old_key"  # what a copied key file would be worth
    shutil.copy(old.private_path, kept)
    kept.chmod(0o600)
    rotated = _run([*GANGWAY, "ssh-config", "--rotate-key"])
    assert rotated.returncode == 0, rotated.stderr
    assert "ED25519" in rotated.stdout and "PRIVATE" not in rotated.stdout
    new = keys.load()
    assert new is not None and new.public_key != old.public_key
    assert (new.private_path.stat().st_mode & 0o777) == 0o600
    aws_env.sandbox.control.advance_clock(61)
    plain = proxy_command(Mode.BUILTIN, "default", REGION, gangway=GANGWAY)
    refused = _run([*_ssh(Path("/dev/null"), eic_sshd, tmp_path), "-o",
                    f"ProxyCommand={plain}", "-o", f"IdentityFile={kept}", "-o",
                    "IdentitiesOnly=yes", node.instance_id, "true"], env=_env())
    assert refused.returncode != 0 and "Permission denied" in refused.stderr
    done = _run([*_ssh(cfg, eic_sshd, tmp_path), node.instance_id, "echo", "new-key"],
                env=_env())
    assert done.returncode == 0, done.stderr
    assert _pushes(aws_env, node.instance_id)[-1]["key"] == new.public_key.rsplit(" ", 1)[0]


@pytest.mark.parametrize("user", ["root;touch PWNED", "$(touch PWNED)", "Root", "-oX",
                                  "a b", "x" * 33, "é"])
def test_hostile_os_user_refused_before_any_api_call(  # type: ignore[no-untyped-def]
        aws_env, tmp_path: Path, user: str) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    before = aws_env.sandbox.control.health()["requests"]
    done = _run([*GANGWAY, "proxy", "--profile", "default", "--region", REGION,
                 f"--push-key={user}", node.instance_id, "22"], env=_env())
    after = aws_env.sandbox.control.health()["requests"]
    assert done.returncode == 1
    assert "is not an OS user Gangway will push a key for" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert after - before == 1  # only the second health call itself
    assert aws_env.sandbox.control.sessions() == []


def test_hostile_user_through_ssh_runs_nothing(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = _install(aws_env, tmp_path)
    marker = tmp_path / "PWNED"
    hostile = f"x;touch {marker};"
    done = _run([*_ssh(cfg, eic_sshd, tmp_path)[:-2], "-l", hostile, node.instance_id, "true"],
                env=_env())
    assert done.returncode != 0
    assert not marker.exists()  # OpenSSH may refuse it first; the quoted %r keeps it inert
    # A name ssh passes on but the API's users are never: refused by the proxy, nothing sent.
    done = _run([*_ssh(cfg, eic_sshd, tmp_path)[:-2], "-l", "Admin.x", node.instance_id,
                 "true"], env=_env())
    assert done.returncode != 0
    assert "'Admin.x' is not an OS user Gangway will push a key for" in done.stderr
    assert aws_env.sandbox.control.eic_pushes() == []
    assert aws_env.sandbox.control.sessions() == []


def test_private_key_never_on_argv_or_in_a_log(aws_env, eic_sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    cfg = tmp_path / "ssh_config"
    done = _run([*GANGWAY, "--debug", "ssh-config", "--profile", "default", "--region", REGION,
                 "--keyless", "--install", "--config", str(cfg)])
    assert done.returncode == 0, done.stderr
    # The proxy logs at DEBUG when asked: make the installed ProxyCommand ask.
    text = cfg.read_text().replace(" proxy --profile", " --debug proxy --profile")
    cfg.write_text(text)
    done = _run([*_ssh(cfg, eic_sshd, tmp_path), node.instance_id, "true"], env=_env())
    assert done.returncode == 0, done.stderr
    pair = _key(aws_env).load()
    assert pair is not None
    assert (pair.private_path.stat().st_mode & 0o777) == 0o600
    assert (pair.private_path.parent.stat().st_mode & 0o777) == 0o700
    secret_lines = [ln for ln in pair.private_path.read_text().splitlines()
                    if ln and not ln.startswith("-----")]
    assert secret_lines
    paths = Paths.default()
    logs = [p for p in paths.log_dir.glob("*.log")]
    assert logs, "the --debug proxy wrote no log"
    places = [cfg.read_text(), done.stderr, *(p.read_text() for p in logs),
              *(" ".join(r["argv"]) for r in aws_env.sandbox.plugin_records()),
              (aws_env.sandbox.workdir / "server.log").read_text(errors="replace"),
              eic_sshd.log_path.read_text(errors="replace")]
    for line in secret_lines:
        assert all(line not in place for place in places)
    assert "--push-key='%r'" in cfg.read_text()
