"""ProxyCommand text per mode (built-in `gangway proxy`, or the AWS CLI) and per OS.

How ssh runs it decides the quoting:
- OpenSSH on Linux/macOS runs `$SHELL -c "exec <text>"` (falling back to /bin/sh). `$SHELL` may
  be fish, so words are quoted with `quoting.portable_shell_quote`, read alike by sh and fish.
- Windows OpenSSH starts the text directly as a CreateProcess command line, so words follow
  the CommandLineToArgvW rules (`quoting.windows_join`).
In both, ssh first expands `%h`, `%p`, ... in the whole text, so every `%` that comes from
our data (paths, profile names) is doubled.

`%h` is the host as typed to ssh (or by git, for a submodule URL). OpenSSH before 9.6
(CVE-2023-51385) does not refuse shell metacharacters in it, and `Host i-*` matches
`i-x$(cmd)`; so for sh/fish the token is single-quoted, which leaves only a `'` in the host
able to end the quote (OpenSSH 9.6 and later refuse it). Windows runs no shell.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from enum import Enum

from app.core import quoting, selfcmd
from app.core.errors import GangwayError


class Mode(Enum):
    BUILTIN = "builtin"
    CLI = "cli"


class Shell(Enum):
    POSIX = "posix"
    WINDOWS = "windows"

    @classmethod
    def current(cls) -> Shell:
        return cls.WINDOWS if sys.platform == "win32" else cls.POSIX


# The documented forms (AWS Session Manager docs), byte for byte.
CLI_POSIX = ('sh -c "aws ssm start-session --target %h --document-name AWS-StartSSHSession '
             "--parameters 'portNumber=%p'\"")
CLI_WINDOWS = (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe "
               '"aws ssm start-session --target %h --document-name AWS-StartSSHSession '
               '--parameters portNumber=%p"')

_PROFILE_RE = re.compile(r"[A-Za-z0-9_.@+-]+")


def escape_percent(text: str) -> str:
    """ssh expands `%x` tokens in ProxyCommand; a literal `%` from data must be `%%`."""
    return text.replace("%", "%%")


def builtin(profile: str, region: str | None = None, *, shell: Shell | None = None,
            gangway: Sequence[str] | None = None, document: str | None = None,
            reason: str | None = None) -> str:
    """`<gangway> proxy --profile P [--region R] %h %p`, quoted for the shell ssh uses.

    `reason` (free text for StartSession's audit Reason) is data like any other: quoted,
    with line breaks folded to spaces (a ProxyCommand is one line).
    """
    shell = shell or Shell.current()
    argv = [*(gangway or selfcmd.command()), "proxy", "--profile", profile]
    if region:
        argv += ["--region", region]
    if document:
        argv += ["--document", document]
    if reason:
        argv += ["--reason", " ".join(reason.split())]
    join = quoting.windows_join if shell is Shell.WINDOWS else quoting.portable_shell_join
    return escape_percent(join(argv)) + _tail(shell)


def _tail(shell: Shell) -> str:
    """The host and port tokens at the end of a built-in ProxyCommand."""
    return " %h %p" if shell is Shell.WINDOWS else " '%h' %p"


def pushing(text: str, shell: Shell | None = None) -> str:
    """The keyless variant of a built-in ProxyCommand: `... --push-key='%r' '%h' %p`.

    ssh puts the remote user (`%r`) into the text before its shell reads it, and OpenSSH
    before 9.6 does not refuse shell metacharacters in a user name given on its command line;
    so the token is quoted (single quotes for sh/fish, double quotes as one CreateProcess
    argument on Windows). `gangway proxy` then refuses anything but a plain login name.
    """
    shell = shell or Shell.current()
    tail = _tail(shell)
    if not text.endswith(tail) or " proxy " not in text:
        raise GangwayError("Keyless SSH needs Gangway's built-in ProxyCommand.",
                           "Switch to the built-in mode (not the AWS CLI one).")
    token = '"%r"' if shell is Shell.WINDOWS else "'%r'"
    # `=`: a user name starting with `-` stays the option's value, for our check to refuse.
    return f"{text[:-len(tail)]} --push-key={token}{tail}"


def cli(profile: str | None = None, *, shell: Shell | None = None) -> str:
    """The AWS CLI form. Without `profile` it is exactly the documented text (the terminal
    sets AWS_PROFILE); with one, `--profile P` is added inside the same command."""
    shell = shell or Shell.current()
    text = CLI_WINDOWS if shell is Shell.WINDOWS else CLI_POSIX
    if profile is None:
        return text
    if not _PROFILE_RE.fullmatch(profile):
        raise GangwayError(f"The profile name {profile!r} cannot be used in AWS CLI mode.",
                           "Use the built-in mode, which takes any profile name.")
    return text.replace("start-session ", f"start-session --profile {profile} ", 1)


def proxy_command(mode: Mode, profile: str, region: str | None = None, *,
                  shell: Shell | None = None, gangway: Sequence[str] | None = None,
                  cli_profile_inline: bool = False, reason: str | None = None,
                  push_key: bool = False) -> str:
    """ProxyCommand text for `mode`. In CLI mode the profile travels as AWS_PROFILE unless
    `cli_profile_inline` (for an ssh config used outside Gangway's terminals). `push_key`
    (built-in mode only): keyless SSH, the ephemeral key is pushed for ssh's remote user."""
    if mode is Mode.BUILTIN:
        text = builtin(profile, region, shell=shell, gangway=gangway, reason=reason)
        return pushing(text, shell) if push_key else text
    if push_key:
        raise GangwayError("Keyless SSH needs Gangway's built-in ProxyCommand.",
                           "Switch to the built-in mode (not the AWS CLI one).")
    return cli(profile if cli_profile_inline else None, shell=shell)
