"""From "this instance, this action, these options" to the terminal process that runs it.

    req = SessionRequest(Action.SSH, Target("i-0abc", "us-east-1", "prod", name="web-1"),
                         ssh=SshOptions(user="ec2-user", identity_file="~/.ssh/k.pem"))
    argv, env = command_argv(req)              # what runs inside the terminal
    spec = launch(req, choice="xterm")         # LaunchSpec for app.core.terminals.start()

Actions:
- SHELL: `gangway session --profile P --region R --target I [--document D --parameters JSON]
  [--reason R]`, which starts the SSM session and runs the plugin on the terminal's tty.
- SSH / SFTP / SCP_UPLOAD / SCP_DOWNLOAD: OpenSSH with `-o ProxyCommand=...` in the chosen
  mode (built-in `gangway proxy`, or the AWS CLI with AWS_PROFILE in the environment).
  Keyless (`Keyless`, built-in mode, EC2 instances): Gangway's ephemeral key is offered first
  and the ProxyCommand pushes it (`--push-key`) for ssh's remote user, when the setting is on
  or when no key file is named for the instance.
The instance *name* is used only as the window title (an argv element); the instance id is
what reaches ssh, and it is validated.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from app.core import quoting, selfcmd
from app.core.actions import Action
from app.core.procs import which
from app.core.ssh import argv as ssh_argv
from app.core.ssh.prefs import SshPrefs
from app.core.ssh.proxycommand import Mode, Shell, proxy_command
from app.core.terminals import FoundTerminal, LaunchSpec, launch_spec


@dataclass(frozen=True)
class Target:
    instance_id: str
    region: str
    profile: str
    name: str = ""  # display only (hostile)


@dataclass(frozen=True)
class SessionRequest:
    action: Action
    target: Target
    mode: Mode = Mode.BUILTIN
    ssh: ssh_argv.SshOptions = field(default_factory=ssh_argv.SshOptions)
    document: str | None = None  # SHELL: e.g. AWS-StartInteractiveCommand
    parameters: Mapping[str, Sequence[str]] | None = None  # SHELL: document parameters
    reason: str | None = None
    scp_sources: tuple[str, ...] = ()
    scp_destination: str = ""
    remote_command: tuple[str, ...] = ()  # SSH: run this instead of a login shell
    keyless_key: str | None = None  # the ephemeral key's path: the ProxyCommand pushes it

    @property
    def pushes_key(self) -> bool:
        return self.keyless_key is not None and self.mode is Mode.BUILTIN


@dataclass(frozen=True)
class Keyless:
    """The keyless choice for SSH-like actions: where the ephemeral key is, and the setting."""

    key_path: str
    always: bool = False  # the "Keyless SSH" setting

    def applies(self, target: Target, mode: Mode, prefs: SshPrefs) -> bool:
        """Built-in mode, an EC2 instance (hybrid nodes have no Instance Connect), and the
        setting on or no key file named for this instance."""
        no_key = prefs.use_agent or not prefs.identity_file.strip()
        return (mode is Mode.BUILTIN and target.instance_id.startswith("i-")
                and (self.always or no_key))


KEYLESS_NOTE = "key: Gangway ephemeral (pushed for 60 s)"


# The documented way to run one command instead of a shell (the agent runs it with sh -c).
COMMAND_DOCUMENT = "AWS-StartInteractiveCommand"


def shell_request(target: Target, mode: Mode, *, reason: str | None = None,
                  command: str | None = None) -> SessionRequest:
    """A shell, or with `command` that one command through AWS-StartInteractiveCommand."""
    if command:
        return SessionRequest(Action.SHELL, target, mode=mode, reason=reason or None,
                              document=COMMAND_DOCUMENT, parameters={"command": [command]})
    return SessionRequest(Action.SHELL, target, mode=mode, reason=reason or None)


def ssh_request(action: Action, target: Target, mode: Mode, prefs: SshPrefs, *,
                reason: str | None = None, keyless: Keyless | None = None) -> SessionRequest:
    """SSH or SFTP to `target` with the user's remembered choices (validated here)."""
    key = keyless.key_path if keyless is not None and keyless.applies(target, mode, prefs) \
        else None
    return SessionRequest(action, target, mode=mode, ssh=prefs.validate(),
                          reason=reason or None, remote_command=tuple(prefs.remote_command),
                          keyless_key=key)


def display_command(argv: Sequence[str], env: Mapping[str, str],
                    system: str | None = None) -> str:
    """A command line the user can paste into their shell (POSIX or PowerShell)."""
    system = system or platform.system()
    if system == "Windows":
        sets = "".join(f"$env:{k}={quoting.powershell_quote(v)}; " for k, v in env.items())
        return sets + quoting.powershell_command(list(argv))
    sets = "".join(f"{k}={quoting.posix_quote(v)} " for k, v in env.items())
    return sets + quoting.posix_join(argv)


def title_for(req: SessionRequest) -> str:
    name = " ".join(req.target.name.split())[:60]
    who = f"{name} ({req.target.instance_id})" if name else req.target.instance_id
    return f"{who} - {req.action.value}"


def _program(name: str, system: str) -> str:
    found = which(name)
    if found is not None:
        return str(found)
    return f"{name}.exe" if system == "Windows" else name


def command_argv(req: SessionRequest, *, gangway: Sequence[str] | None = None,
                 system: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv to run inside the terminal, and the environment variables it needs."""
    system = system or platform.system()
    t = req.target
    ssh_argv.check_host(t.instance_id)
    gw = list(gangway or selfcmd.command())
    if req.action is Action.SHELL:
        argv = [*gw, "session", "--profile", t.profile, "--region", t.region,
                "--target", t.instance_id]
        if req.document:
            argv += ["--document", req.document]
        if req.parameters:
            argv += ["--parameters", json.dumps({k: list(v) for k, v in req.parameters.items()})]
        if req.reason:
            argv += ["--reason", req.reason]
        return argv, {}
    shell = Shell.WINDOWS if system == "Windows" else Shell.POSIX
    env: dict[str, str] = {}
    if req.mode is Mode.CLI:
        env = {"AWS_PROFILE": t.profile, "AWS_REGION": t.region,
               "AWS_DEFAULT_REGION": t.region}
    pc = proxy_command(req.mode, t.profile, t.region, shell=shell, gangway=gw,
                       reason=req.reason, push_key=req.pushes_key)
    opts = replace(req.ssh, proxy_command=pc)
    if req.pushes_key:
        opts = replace(opts, ephemeral_identity=req.keyless_key, default_identities=(
            () if opts.identities_only else ssh_argv.existing_default_identities()))
    if req.action is Action.SSH:
        return ssh_argv.ssh_argv(t.instance_id, opts, req.remote_command,
                                 ssh=_program("ssh", system)), env
    if req.action is Action.SFTP:
        return ssh_argv.sftp_argv(t.instance_id, opts, sftp=_program("sftp", system)), env
    upload = req.action is Action.SCP_UPLOAD
    return ssh_argv.scp_argv(t.instance_id, opts, req.scp_sources, req.scp_destination,
                             upload=upload, scp=_program("scp", system)), env


def launch(req: SessionRequest, *, choice: str | None = None, template: str | None = None,
           gangway: Sequence[str] | None = None, system: str | None = None,
           found: Sequence[FoundTerminal] | None = None) -> LaunchSpec:
    """The LaunchSpec that opens the user's terminal running `req` (`found`: detected
    terminals, default `terminals.detect()`)."""
    system = system or platform.system()
    argv, env = command_argv(req, gangway=gangway, system=system)
    if env and system == "Darwin":
        # Terminal.app and iTerm2 start the command from their own process, not ours, so
        # the variables travel on the command itself (they are not secrets).
        argv = ["/usr/bin/env", *(f"{k}={v}" for k, v in env.items()), *argv]
    return launch_spec(argv, title_for(req), choice=choice, template=template, env=env,
                       system=system, found=found)
