"""Keyless SSH without AWS: the ephemeral key on disk, the OS-user check, the ProxyCommand
forms (read back by a real sh and by the CommandLineToArgvW rules), the block (read back by a
real `ssh -G`, removed byte for byte), the doctor's check and the IAM statement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core import doctor
from app.core.aws import policies
from app.core.aws.sessions import keypush
from app.core.ssh import config_block
from app.core.ssh.ephemeral import ROTATE_AFTER, EphemeralKey, EphemeralKeyError
from app.core.ssh.proxycommand import Mode, Shell, proxy_command, pushing
from tests.core.test_quoting import command_line_to_argv

needs_keygen = pytest.mark.needs_program("ssh-keygen")
ECHO_ARGV = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]


@needs_keygen
def test_key_is_made_private_and_loaded_back(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path / "data")
    assert keys.load() is None
    pair = keys.ensure()
    assert pair.private_path == tmp_path / "data" / "ssh" / "gangway_ed25519"
    assert pair.public_key.startswith("ssh-ed25519 ") and pair.public_key.endswith(
        " gangway-ephemeral")
    assert len(pair.public_key) >= 80  # SendSSHPublicKey's minimum length
    if sys.platform != "win32":
        assert pair.private_path.stat().st_mode & 0o777 == 0o600
        assert pair.private_path.parent.stat().st_mode & 0o777 == 0o700
    assert keys.ensure() == pair  # no new key while the old one is good
    leftovers = [p.name for p in pair.private_path.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [".lock"]


@needs_keygen
def test_concurrent_first_use_makes_one_consistent_pair(tmp_path: Path) -> None:
    import threading

    keys = EphemeralKey(tmp_path)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(keys.ensure().public_key))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(keys.private_path)],
                             capture_output=True, text=True, check=True).stdout.split()[:2]
    assert derived == seen[0].split()[:2]  # the public half is the private one's


@needs_keygen
@pytest.mark.linux_only
def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path)
    pair = keys.ensure()
    pair.private_path.chmod(0o644)
    with pytest.raises(EphemeralKeyError, match="can be read by others"):
        keys.load()
    fresh = keys.rotate()  # the way out the hint names
    assert fresh.private_path.stat().st_mode & 0o777 == 0o600


@needs_keygen
def test_rotation_on_demand_and_on_schedule(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path)
    first = keys.ensure()
    second = keys.rotate()
    assert second.public_key != first.public_key
    assert keys.rotate_if_stale(now=time.time() + 3600) is None  # an hour old: kept
    third = keys.rotate_if_stale(now=time.time() + ROTATE_AFTER + 1)  # a day old: replaced
    assert third is not None and third.public_key != second.public_key
    assert keys.load() == third


@pytest.mark.parametrize("user", ["ec2-user", "ubuntu", "root", "_svc", "a" * 32, "deploy-2"])
def test_plain_os_users_pass(user: str) -> None:
    assert keypush.check_os_user(user) == user


@pytest.mark.parametrize("user", ["", "Root", "-x", "1abc", "a b", "a;b", "$(id)", "`id`",
                                  "a" * 33, "é", "x\n", "a/b", "a@b", "a.b", "a$"])
def test_hostile_os_users_are_refused(user: str) -> None:
    with pytest.raises(keypush.KeyPushError, match="is not an OS user") as err:
        keypush.check_os_user(user)
    assert "\n" not in err.value.one_line()


def test_pushing_forms_for_posix_and_windows() -> None:
    gw = ["/opt/gang way/gangway"]
    posix = proxy_command(Mode.BUILTIN, "prod", "eu-west-1", shell=Shell.POSIX, gangway=gw,
                          push_key=True)
    assert posix == ("'/opt/gang way/gangway' proxy --profile prod --region eu-west-1 "
                     "--push-key='%r' '%h' %p")
    win = proxy_command(Mode.BUILTIN, "prod", None, shell=Shell.WINDOWS,
                        gangway=[r"C:\Program Files\Gangway\gangway.exe"], push_key=True)
    assert win.endswith(' proxy --profile prod --push-key="%r" %h %p')
    # What CreateProcess hands gangway.exe once ssh has put in a (hostile) user.
    words = command_line_to_argv(win.replace("%r", "a b&c").replace("%h", "i-1").replace(
        "%p", "22"))
    assert words[0] == r"C:\Program Files\Gangway\gangway.exe"
    assert words[1:] == ["proxy", "--profile", "prod", "--push-key=a b&c", "i-1", "22"]
    with pytest.raises(Exception, match="built-in ProxyCommand"):
        proxy_command(Mode.CLI, "prod", push_key=True)
    with pytest.raises(Exception, match="built-in ProxyCommand"):
        pushing("aws ssm start-session --target %h")


@pytest.mark.linux_only
@pytest.mark.parametrize("user", ["ec2-user", "x; touch PWNED", "$(touch PWNED)", "`id`",
                                  "-oProxyCommand=sh", "a b"])
def test_posix_form_keeps_the_user_one_inert_word_in_real_sh(tmp_path: Path, user: str) -> None:
    text = proxy_command(Mode.BUILTIN, "p", "r", shell=Shell.POSIX, gangway=ECHO_ARGV,
                         push_key=True)
    line = text.replace("%r", user).replace("%h", "i-1").replace("%p", "22")
    done = subprocess.run(["/bin/sh", "-c", f"exec {line}"], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    argv = json.loads(done.stdout)
    assert argv == ["proxy", "--profile", "p", "--region", "r", f"--push-key={user}", "i-1",
                    "22"]
    assert not (tmp_path / "PWNED").exists()


def _keyless() -> config_block.Keyless:
    return config_block.Keyless("/home/me/.local/share/gangway/ssh/gangway_ed25519",
                                Shell.POSIX)


def test_keyless_block_render() -> None:
    pc = proxy_command(Mode.BUILTIN, "default", "us-east-1", shell=Shell.POSIX,
                       gangway=["gangway"])
    text = config_block.render(pc, [config_block.Alias("web", "i-0123456789abcdef0"),
                                    config_block.Alias("edge", "mi-0123456789abcdef0")],
                               keyless=_keyless()).text
    assert text == (
        "Host gw-web\n  HostName i-0123456789abcdef0\n"
        "  IdentityFile /home/me/.local/share/gangway/ssh/gangway_ed25519\n"
        "  IdentitiesOnly yes\n"
        "  ProxyCommand gangway proxy --profile default --region us-east-1 "
        "--push-key='%r' '%h' %p\n"
        "Host gw-edge\n  HostName mi-0123456789abcdef0\n"
        "  ProxyCommand gangway proxy --profile default --region us-east-1 '%h' %p\n"
        "Host i-*\n"
        "  IdentityFile /home/me/.local/share/gangway/ssh/gangway_ed25519\n"
        "  IdentitiesOnly yes\n"
        "  ProxyCommand gangway proxy --profile default --region us-east-1 "
        "--push-key='%r' '%h' %p\n"
        "Host mi-*\n"
        "  ProxyCommand gangway proxy --profile default --region us-east-1 '%h' %p\n")
    spaced = config_block.Keyless("/tmp/a b/100%/k", Shell.POSIX).lines(pc)
    assert spaced[0] == '  IdentityFile "/tmp/a b/100%%/k"'


@pytest.mark.needs_program("ssh")
@pytest.mark.linux_only
def test_keyless_block_round_trips_and_ssh_G_reads_it(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    original = "# mine\r\nHost *\n  ServerAliveInterval 30\n  IdentityFile ~/.ssh/mine\n"
    cfg.write_bytes(original.encode())
    key = tmp_path / "data dir" / "gangway_ed25519"
    pc = proxy_command(Mode.BUILTIN, "default", "us-east-1", shell=Shell.POSIX,
                       gangway=["gangway"])
    rendered = config_block.render(pc, keyless=config_block.Keyless(str(key), Shell.POSIX))
    assert config_block.install(cfg, rendered).changed
    assert not config_block.install(cfg, rendered).changed  # idempotent

    def ssh_g(host: str) -> dict[str, list[str]]:
        out = subprocess.run(["ssh", "-G", "-F", str(cfg), host], capture_output=True,
                             text=True, check=True, env={**os.environ, "HOME": str(tmp_path)})
        seen: dict[str, list[str]] = {}
        for line in out.stdout.splitlines():
            name, _, value = line.partition(" ")
            seen.setdefault(name, []).append(value)
        return seen

    ec2 = ssh_g("i-0123456789abcdef0")
    assert ec2["identitiesonly"] == ["yes"]
    assert str(key) in ec2["identityfile"]  # with the user's own, which they keep
    assert ec2["proxycommand"] == [f"{pc[:-8]} --push-key='%r' '%h' %p"]
    hybrid = ssh_g("mi-0123456789abcdef0")
    assert hybrid["identitiesonly"] == ["no"]
    assert str(key) not in hybrid["identityfile"]
    assert hybrid["proxycommand"] == [pc]
    config_block.uninstall(cfg)
    assert cfg.read_bytes() == original.encode()


@needs_keygen
def test_doctor_names_the_permission_and_the_key_state(tmp_path: Path) -> None:
    check = doctor.check_keyless(tmp_path)
    assert check.status is doctor.Status.OK and "first use" in check.detail
    assert policies.SEND_SSH_PUBLIC_KEY in check.hint and "ec2:osuser" in check.hint
    EphemeralKey(tmp_path).ensure()
    check = doctor.check_keyless(tmp_path)
    assert "ED25519" in check.detail.upper() and "replaced in 24.0 h" in check.detail
    assert doctor.check_keyless(tmp_path) in doctor.run_checks(tmp_path)


def test_the_iam_statement() -> None:
    doc = json.loads(policies.policy_text(policies.keyless_statements(["ec2-user"])))
    push, zone = doc["Statement"]
    assert push["Action"] == "ec2-instance-connect:SendSSHPublicKey"
    assert push["Condition"] == {"StringEquals": {"ec2:osuser": ["ec2-user"]}}
    assert push["Resource"] == "arn:aws:ec2:*:*:instance/*"
    assert zone["Action"] == "ec2:DescribeInstances"


def _request(tmp_path: Path, prefs, instance: str = "i-0123456789abcdef0",  # type: ignore[no-untyped-def]
             mode: Mode = Mode.BUILTIN, always: bool = False):
    from app.core.actions import Action
    from app.core.launch import Keyless, Target, ssh_request

    key = str(tmp_path / "data" / "ssh" / "gangway_ed25519")
    return ssh_request(Action.SSH, Target(instance, "us-east-1", "default"), mode, prefs,
                       keyless=Keyless(key, always)), key


def test_window_requests_push_when_no_key_is_named_or_the_setting_is_on(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.launch import command_argv
    from app.core.ssh.prefs import SshPrefs

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("not read\n")
    mine = tmp_path / "mine.pem"
    mine.write_text("not read\n")
    gw = ["gangway"]

    agent, key = _request(tmp_path, SshPrefs(user="ec2-user"))
    assert agent.pushes_key
    argv, _ = command_argv(agent, gangway=gw, system="Linux")
    files = [a.split("=", 1)[1] for a in argv if a.startswith("IdentityFile=")]
    # Gangway's key first, then ssh's own defaults (which naming a file would drop).
    assert files == [key, str(tmp_path / ".ssh" / "id_ed25519")]
    assert "IdentitiesOnly=yes" not in argv  # the agent's keys stay usable
    assert any("--push-key=" in a for a in argv)

    named = SshPrefs(user="ec2-user", identity_file=str(mine), use_agent=False)
    off, _ = _request(tmp_path, named)
    assert not off.pushes_key
    argv, _ = command_argv(off, gangway=gw, system="Linux")
    assert not any("--push-key" in a for a in argv)
    on, _ = _request(tmp_path, named, always=True)
    argv, _ = command_argv(on, gangway=gw, system="Linux")
    files = [a.split("=", 1)[1] for a in argv if a.startswith("IdentityFile=")]
    assert files == [key, str(mine)] and "IdentitiesOnly=yes" in argv

    assert not _request(tmp_path, SshPrefs(), instance="mi-0123456789abcdef0")[0].pushes_key
    assert not _request(tmp_path, SshPrefs(), mode=Mode.CLI, always=True)[0].pushes_key


def test_instance_connect_endpoint_follows_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.aws import sigv4

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    assert sigv4.endpoint_for("eu-west-1", {}, "ec2-instance-connect") == \
        "https://ec2-instance-connect.eu-west-1.amazonaws.com"
    # botocore's variable: the service id "EC2 Instance Connect" in upper snake case.
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT", "http://127.0.0.1:9")
    assert sigv4.endpoint_for("eu-west-1", {}, "ec2-instance-connect") == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/corp.pem")  # a CA file is ours to honour
    assert sigv4.endpoint_for("eu-west-1", {}, "ec2-instance-connect") == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")  # botocore decides then
    assert sigv4.endpoint_for("eu-west-1", {}, "ec2-instance-connect") is None
