"""ssh/sftp/scp argv and ProxyCommand text, checked with the real `ssh -G` where it matters."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import quoting
from app.core.errors import GangwayError
from app.core.ssh import proxycommand
from app.core.ssh.argv import (
    HostKeyPolicy,
    SshArgumentError,
    SshOptions,
    config_value,
    scp_argv,
    sftp_argv,
    ssh_argv,
)
from app.core.ssh.proxycommand import Mode, Shell


# These run ssh with POSIX paths and a POSIX shell (the Windows forms are unit-tested below).
def needs_ssh(test):  # type: ignore[no-untyped-def]
    """OpenSSH (a failure under CI when missing) with POSIX paths and a POSIX shell."""
    posix = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX paths and a shell")
    return posix(pytest.mark.needs_program("ssh", "sh")(test))


def _ssh_G(argv: list[str]) -> dict[str, list[str]]:
    """Run `ssh -G` with everything ssh_argv built (minus the program), parse its answer."""
    done = subprocess.run(["ssh", "-G", *argv[1:]], capture_output=True, text=True, check=True)
    out: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value)
    return out


def test_ssh_argv_shape() -> None:
    opts = SshOptions(user="ec2-user", identity_file="/k/my key.pem", port=2222,
                      extra_options=("ServerAliveInterval=30",), proxy_command="gw proxy %h %p")
    argv = ssh_argv("i-0123456789abcdef0", opts, ["echo", "a b"], ssh="/usr/bin/ssh")
    assert argv == ["/usr/bin/ssh", "-o", 'IdentityFile="/k/my key.pem"', "-o", "ProxyCommand=gw proxy %h %p",
                    "-o", "StrictHostKeyChecking=accept-new", "-o", "ServerAliveInterval=30",
                    "-o", "User=ec2-user", "-p", "2222", "--", "i-0123456789abcdef0",
                    "echo 'a b'"]


@needs_ssh
def test_ssh_G_sees_what_we_meant(tmp_path: Path) -> None:
    kh = tmp_path / "known hosts %d"
    (tmp_path / "id%1").write_text("")  # ssh drops -i files that do not exist
    pc = proxycommand.builtin("prod 100%", "eu-west-1", shell=Shell.POSIX,
                              gangway=["/opt/Gang way/gangway"])
    opts = SshOptions(user="ubuntu", identity_file=str(tmp_path / "id%1"), port=22,
                      proxy_command=pc, known_hosts=HostKeyPolicy.STRICT,
                      known_hosts_file=str(kh), config_file="/dev/null")
    conf = _ssh_G(ssh_argv("i-0123456789abcdef0", opts))
    assert conf["user"] == ["ubuntu"]
    assert conf["hostname"] == ["i-0123456789abcdef0"]
    assert conf["stricthostkeychecking"] == ["true"]
    assert conf["userknownhostsfile"] == [str(kh)]
    # Shown before %-expansion, like ProxyCommand: `%%` is the literal `%` of the file name.
    assert conf["identityfile"] == [str(tmp_path / "id%%1")]
    # ssh -G prints ProxyCommand before %-expansion; expand %h %p and %% like ssh does.
    text = conf["proxycommand"][0]
    expanded = text.replace("%%", "\0").replace("%h", "i-0123456789abcdef0").replace(
        "%p", "22").replace("\0", "%")
    assert shlex.split(expanded) == ["/opt/Gang way/gangway", "proxy", "--profile", "prod 100%",
                                     "--region", "eu-west-1", "i-0123456789abcdef0", "22"]


@needs_ssh
def test_builtin_proxycommand_runs_through_a_real_shell(tmp_path: Path) -> None:
    """ssh runs `$SHELL -c "exec <text>"`: the words arrive intact."""
    out = tmp_path / "argv.txt"
    script = tmp_path / "fake gangway"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {quoting.posix_quote(str(out))}\n')
    script.chmod(0o755)
    pc = proxycommand.builtin("it's $(bad) `x` 50%", "us-east-1", shell=Shell.POSIX,
                              gangway=[str(script)], reason="line1\nline2 'q' $HOME")
    ssh = subprocess.run(["ssh", "-F", "/dev/null", "-o", f"ProxyCommand={pc}",
                          "-o", "ConnectTimeout=5", "-o", "BatchMode=yes", "i-0123456789abcdef0"],
                         capture_output=True, text=True, timeout=30, check=False,
                         env={"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": str(tmp_path)})
    assert ssh.returncode == 255  # the fake proxy printed nothing ssh understands
    assert out.read_text().splitlines() == [
        "proxy", "--profile", "it's $(bad) `x` 50%", "--region", "us-east-1", "--reason",
        "line1 line2 'q' $HOME", "i-0123456789abcdef0", "22"]


def test_hostile_host_stays_one_word_for_an_old_ssh(tmp_path: Path) -> None:
    """OpenSSH before 9.6 puts `%h` into the text unchecked (CVE-2023-51385) and runs
    `$SHELL -c "exec <text>"`: a host like `i-x$(touch P)`, matched by `Host i-*`, must reach
    gangway as one word and run nothing. (The ssh here refuses such hosts itself, so its
    expansion is done as the old ones do.)"""
    out, marker = tmp_path / "argv.txt", tmp_path / "pwned"
    script = tmp_path / "fake gangway"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {quoting.posix_quote(str(out))}\n')
    script.chmod(0o755)
    pc = proxycommand.builtin("prod", None, shell=Shell.POSIX, gangway=[str(script)])
    host = f"i-x$(touch {marker});touch {marker}`touch {marker}`"
    text = pc.replace("%%", "\0").replace("%h", host).replace("%p", "22").replace("\0", "%")
    subprocess.run(["/bin/sh", "-c", f"exec {text}"], check=True, timeout=30)
    assert not marker.exists()
    assert out.read_text().splitlines() == ["proxy", "--profile", "prod", host, "22"]


def test_windows_builtin_proxycommand_uses_commandline_rules() -> None:
    pc = proxycommand.builtin("my prof", None, shell=Shell.WINDOWS,
                              gangway=[r"C:\Program Files\Gangway\gangway.exe"])
    assert pc == r'"C:\Program Files\Gangway\gangway.exe" proxy --profile "my prof" %h %p'


def test_cli_forms_are_the_documented_ones() -> None:
    assert proxycommand.cli(shell=Shell.POSIX) == (
        "sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession "
        "--parameters 'portNumber=%p'\"")
    assert proxycommand.cli(shell=Shell.WINDOWS) == (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe "
        "\"aws ssm start-session --target %h --document-name AWS-StartSSHSession "
        "--parameters portNumber=%p\"")
    assert "start-session --profile prod-1 --target" in proxycommand.cli("prod-1",
                                                                         shell=Shell.POSIX)
    with pytest.raises(GangwayError, match="built-in mode"):
        proxycommand.cli("bad name; rm", shell=Shell.POSIX)
    assert proxycommand.proxy_command(Mode.CLI, "p", shell=Shell.POSIX) == proxycommand.CLI_POSIX


def test_sftp_and_scp_argv() -> None:
    opts = SshOptions(user="u", port=2200)
    assert sftp_argv("i-0123456789abcdef0", opts, sftp="sftp") == [
        "sftp", "-o", "StrictHostKeyChecking=accept-new", "-o", "User=u", "-P", "2200", "--",
        "i-0123456789abcdef0"]
    up = scp_argv("i-0123456789abcdef0", opts, ["-rf", "a:b", "/ok"], "/tmp/x y", upload=True)
    assert up[-5:] == ["--", "./-rf", "./a:b", "/ok", "i-0123456789abcdef0:/tmp/x y"]
    down = scp_argv("i-0123456789abcdef0", opts, ["/etc/hosts"], "C:\\dl", upload=False)
    assert down[-3:] == ["--", "i-0123456789abcdef0:/etc/hosts", "C:\\dl"]


@pytest.mark.parametrize("host", ["-oProxyCommand=sh", "a b", "$(x)", "", "web;1", "a\nb"])
def test_bad_hosts_are_refused(host: str) -> None:
    with pytest.raises(SshArgumentError, match="not a usable ssh host"):
        ssh_argv(host, SshOptions())


@pytest.mark.parametrize("user", ["-oX", "a b", "root;id", "x" * 80])
def test_bad_users_are_refused(user: str) -> None:
    with pytest.raises(SshArgumentError, match="not a valid login"):
        ssh_argv("i-0123456789abcdef0", SshOptions(user=user))


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_bad_ports_are_refused(port: int) -> None:
    with pytest.raises(SshArgumentError, match="out of range"):
        ssh_argv("i-0123456789abcdef0", SshOptions(port=port))


@pytest.mark.parametrize(("opt", "message"), [
    ("ProxyCommand=sh -c evil", "not allowed"),
    ("localcommand=x", "not allowed"),
    ("Include /etc/x", "not allowed"),
    ("noequals", "not an ssh option"),
    ("9bad=1", "not an ssh option"),
    ("A=1\nProxyCommand=x", "line break"),
])
def test_bad_extra_options_are_refused(opt: str, message: str) -> None:
    with pytest.raises(SshArgumentError, match=message):
        ssh_argv("i-0123456789abcdef0", SshOptions(extra_options=(opt,)))


def test_config_value_rules() -> None:
    assert config_value("/a/b") == "/a/b"
    assert config_value("/a b/%h") == '"/a b/%%h"'
    with pytest.raises(SshArgumentError):
        config_value('a"b')


def test_proxy_command_with_line_break_is_refused() -> None:
    with pytest.raises(SshArgumentError, match="line break"):
        ssh_argv("i-0123456789abcdef0", SshOptions(proxy_command="a\nb"))
