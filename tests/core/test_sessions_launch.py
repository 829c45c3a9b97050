"""From (instance, action, options) to the command a terminal runs, on each OS."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from app.core.launch import Action, SessionRequest, Target, command_argv, launch, title_for
from app.core.ssh.argv import SshArgumentError, SshOptions
from app.core.ssh.proxycommand import CLI_POSIX, CLI_WINDOWS, Mode
from app.core.terminals import CREATE_NEW_CONSOLE, FoundTerminal, launch_spec

GW = ["/opt/gangway/gangway"]
T = Target("i-0123456789abcdef0", "eu-west-1", "prod", name="$(touch /tmp/pwned)\nweb")


def _opt(argv: list[str], key: str) -> str:
    return next(a.split("=", 1)[1] for a in argv if a.startswith(key + "="))


def test_shell_runs_gangway_session() -> None:
    req = SessionRequest(Action.SHELL, T, document="AWS-StartInteractiveCommand",
                         parameters={"command": ["top -b"]}, reason="ticket 1")
    argv, env = command_argv(req, gangway=GW, system="Linux")
    assert argv == [*GW, "session", "--profile", "prod", "--region", "eu-west-1", "--target",
                    T.instance_id, "--document", "AWS-StartInteractiveCommand", "--parameters",
                    '{"command": ["top -b"]}', "--reason", "ticket 1"]
    assert env == {}


def test_ssh_builtin_mode_posix() -> None:
    req = SessionRequest(Action.SSH, T, ssh=SshOptions(user="ec2-user"), reason="why")
    argv, env = command_argv(req, gangway=GW, system="Linux")
    assert argv[-2:] == ["--", T.instance_id] and env == {}
    pc = _opt(argv, "ProxyCommand")
    assert shlex.split(pc) == [*GW, "proxy", "--profile", "prod", "--region", "eu-west-1",
                               "--reason", "why", "%h", "%p"]


def test_ssh_cli_mode_sets_aws_profile() -> None:
    argv, env = command_argv(SessionRequest(Action.SSH, T, mode=Mode.CLI), system="Linux")
    assert _opt(argv, "ProxyCommand") == CLI_POSIX
    assert env["AWS_PROFILE"] == "prod" and env["AWS_REGION"] == "eu-west-1"
    argv, env = command_argv(SessionRequest(Action.SSH, T, mode=Mode.CLI), system="Windows")
    assert _opt(argv, "ProxyCommand") == CLI_WINDOWS and env["AWS_PROFILE"] == "prod"


def test_windows_builtin_uses_commandline_quoting() -> None:
    gw = [r"C:\Program Files\Gangway\gangway.exe"]
    argv, _ = command_argv(SessionRequest(Action.SSH, T), gangway=gw, system="Windows")
    assert _opt(argv, "ProxyCommand").startswith(
        '"C:\\Program Files\\Gangway\\gangway.exe" proxy --profile prod')


def test_sftp_and_scp() -> None:
    sftp, _ = command_argv(SessionRequest(Action.SFTP, T), gangway=GW, system="Linux")
    assert Path(sftp[0]).name.startswith("sftp") and sftp[-1] == T.instance_id
    up, _ = command_argv(SessionRequest(Action.SCP_UPLOAD, T, scp_sources=("a.txt",),
                                        scp_destination="/tmp/"), gangway=GW, system="Linux")
    assert up[-2:] == ["a.txt", f"{T.instance_id}:/tmp/"]
    down, _ = command_argv(SessionRequest(Action.SCP_DOWNLOAD, T, scp_sources=("/etc/os-release",),
                                          scp_destination="."), gangway=GW, system="Linux")
    assert down[-2:] == [f"{T.instance_id}:/etc/os-release", "."]


def test_title_is_plain_and_one_line() -> None:
    assert title_for(SessionRequest(Action.SSH, T)) == (
        f"$(touch /tmp/pwned) web ({T.instance_id}) - ssh")


def test_hostile_instance_id_is_refused() -> None:
    bad = Target("-oProxyCommand=sh", "eu-west-1", "prod")
    for action in Action:
        with pytest.raises(SshArgumentError):
            command_argv(SessionRequest(action, bad, scp_sources=("a",), scp_destination="b"),
                         gangway=GW, system="Linux")


def test_macos_carries_the_environment_on_the_command() -> None:
    mac = [FoundTerminal("Terminal.app", Path("/System/Applications/Utilities/Terminal.app"))]
    spec = launch(SessionRequest(Action.SSH, T, mode=Mode.CLI), choice="Terminal.app",
                  gangway=GW, system="Darwin", found=mac)
    assert spec.argv[0] == "/usr/bin/osascript"
    command = spec.argv[-1]
    words = shlex.split(command)
    assert words[:4] == ["/usr/bin/env", "AWS_PROFILE=prod", "AWS_REGION=eu-west-1",
                         "AWS_DEFAULT_REGION=eu-west-1"]
    assert words[4].endswith("ssh")


def test_windows_powershell_and_cmd_launches() -> None:
    found = [FoundTerminal("powershell", Path(r"C:\WINDOWS\powershell.exe")),
             FoundTerminal("cmd", Path(r"C:\WINDOWS\system32\cmd.exe"))]
    argv, env = command_argv(SessionRequest(Action.SSH, T, mode=Mode.CLI), system="Windows")
    ps = launch_spec(argv, "t", found=found, system="Windows", env=env)
    assert ps.creationflags == CREATE_NEW_CONSOLE and ps.env["AWS_PROFILE"] == "prod"
    ssh = argv[0]  # the ssh this machine has
    ps_exe = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    assert ps.argv[3].endswith(
        f"$PSNativeCommandArgumentPassing = 'Legacy'; & '{ssh}' '-o' "
        f"""'ProxyCommand={ps_exe} \\"aws ssm start-session --target %h --document-name """
        """AWS-StartSSHSession --parameters portNumber=%p\\"' """
        "'-o' 'StrictHostKeyChecking=accept-new' '-p' '22' '--' 'i-0123456789abcdef0'")
    cmd = launch_spec(argv, "t", choice="cmd", found=found, system="Windows")
    assert cmd.windows_cmdline is not None
    assert cmd.windows_cmdline.endswith(
        f"""{ssh} -o ^"ProxyCommand={ps_exe} \\^"aws ssm start-session --target ^%h """
        """--document-name AWS-StartSSHSession --parameters portNumber=^%p\\^"^" """
        "-o StrictHostKeyChecking=accept-new -p 22 -- i-0123456789abcdef0")
