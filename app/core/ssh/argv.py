"""argv lists for ssh, sftp and scp from an `SshOptions`, with hostile input refused early.

Values that ssh itself tokenises (`-o Key=Value`) are checked or quoted for ssh's rules;
values passed as their own argv element (`-i path`, `-l user`) need no quoting. A host or user
that could be read as an option (leading `-`) is refused, and `--` ends the options anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.core import quoting
from app.core.errors import GangwayError

_HOST_RE = re.compile(r"[A-Za-z0-9_.-]{1,253}")
_USER_RE = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\\@-]{0,63}")
_OPT_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Options that run a local program or replace Gangway's proxy: never accepted as extras.
FORBIDDEN_OPTIONS = frozenset({
    "proxycommand", "proxyjump", "localcommand", "permitlocalcommand", "knownhostscommand",
    "match", "include", "pkcs11provider", "securitykeyprovider", "proxyusefdpass",
})


class SshArgumentError(GangwayError):
    """A user name, host, port or ssh option that cannot be passed to ssh safely."""


# ssh's own default identity files, in its order (ssh_config(5), IdentityFile).
DEFAULT_IDENTITY_NAMES = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
                          "id_xmss", "id_dsa")


def existing_default_identities(home: Path | None = None) -> tuple[str, ...]:
    """The default identity files ssh would try that exist (a handful of stat calls)."""
    ssh_dir = (home or Path.home()) / ".ssh"
    return tuple(str(ssh_dir / n) for n in DEFAULT_IDENTITY_NAMES if (ssh_dir / n).is_file())


class HostKeyPolicy(Enum):
    """How ssh treats the host key of an instance (instances are often replaced)."""

    ASK = "ask"  # ssh's default
    ACCEPT_NEW = "accept-new"  # trust on first use, refuse changes
    STRICT = "yes"  # only keys already in known_hosts
    OFF = "no"  # accept anything (throwaway instances); also uses a null known_hosts


@dataclass(frozen=True)
class SshOptions:
    """What the user chose for ssh/sftp/scp to one instance (remembered per instance+profile).

    `identity_file` None means the ssh-agent (or ssh's defaults). `extra_options` are
    `Key=Value` strings given to `-o`. `proxy_command` is already-built ProxyCommand text
    (see `app.core.ssh.proxycommand`); None leaves ssh's config in charge.
    """

    user: str | None = None
    identity_file: str | None = None
    port: int = 22
    extra_options: tuple[str, ...] = ()
    proxy_command: str | None = None
    known_hosts: HostKeyPolicy = HostKeyPolicy.ACCEPT_NEW
    known_hosts_file: str | None = None
    config_file: str | None = None
    identities_only: bool = field(default=False)
    ephemeral_identity: str | None = None  # keyless: Gangway's key, offered first
    # ssh tries its default key files only when no IdentityFile is given; keyless names its
    # own, so with the agent chosen the defaults that exist are named too (the fallback).
    default_identities: tuple[str, ...] = ()


def check_host(host: str) -> str:
    if not _HOST_RE.fullmatch(host) or host.startswith("-"):
        raise SshArgumentError(f"{host!r} is not a usable ssh host name or instance id.",
                               "Use the instance id (i-..., mi-...) or a simple alias.")
    return host


def check_user(user: str) -> str:
    if not _USER_RE.fullmatch(user):
        raise SshArgumentError(f"{user!r} is not a valid login name.",
                               "Use letters, digits, '.', '_' or '-' (not at the start).")
    return user


def check_port(port: int) -> int:
    if not 0 < int(port) < 65536:
        raise SshArgumentError(f"Port {port} is out of range.", "Use a port from 1 to 65535.")
    return int(port)


def config_value(value: str) -> str:
    """A value for an ssh_config line or `-o`: `%` doubled, quoted if it has spaces.

    ssh splits option values on whitespace and honours double quotes; there is no escape
    for a `"` or a line break, so those are refused.
    """
    if any(c in value for c in '"\n\r\0'):
        raise SshArgumentError(f"{value!r} cannot be written as an ssh option value.",
                               "Remove the quote or line break from it.")
    value = value.replace("%", "%%")
    return f'"{value}"' if re.search(r"\s", value) else value


def check_option(opt: str) -> str:
    """An extra `-o` option: `Key=Value` or `Key Value`, one line, a plain key."""
    if any(c in opt for c in "\n\r\0"):
        raise SshArgumentError(f"The ssh option {opt!r} contains a line break.")
    key = re.split(r"[\s=]", opt.strip(), maxsplit=1)[0]
    if not _OPT_KEY_RE.fullmatch(key) or ("=" not in opt and " " not in opt.strip()):
        raise SshArgumentError(f"{opt!r} is not an ssh option.",
                               "Write it as Key=Value, e.g. ServerAliveInterval=30.")
    if key.lower() in FORBIDDEN_OPTIONS:
        raise SshArgumentError(f"The ssh option {key} is not allowed here.",
                               "It would run a program on this computer; Gangway sets the "
                               "proxy itself.")
    return opt.strip()


def _common(opts: SshOptions) -> list[str]:
    out: list[str] = []
    if opts.config_file:
        out += ["-F", opts.config_file]
    identities = [i for i in (opts.ephemeral_identity, opts.identity_file) if i]
    identities += [i for i in opts.default_identities if i not in identities]
    for identity in identities:
        # Not -i: ssh checks a -i path literally but later %-expands it, so a `%` in it
        # cannot be written there. As an option value it is `%%` and quoted, consistently.
        out += ["-o", f"IdentityFile={config_value(identity)}"]
    if identities and opts.identities_only:
        out += ["-o", "IdentitiesOnly=yes"]
    if opts.proxy_command:
        if any(c in opts.proxy_command for c in "\n\r\0"):
            raise SshArgumentError("The ProxyCommand contains a line break.")
        out += ["-o", f"ProxyCommand={opts.proxy_command}"]
    if opts.known_hosts is not HostKeyPolicy.ASK:
        out += ["-o", f"StrictHostKeyChecking={opts.known_hosts.value}"]
    if opts.known_hosts_file:
        out += ["-o", f"UserKnownHostsFile={config_value(opts.known_hosts_file)}"]
    elif opts.known_hosts is HostKeyPolicy.OFF:
        out += ["-o", "UserKnownHostsFile=/dev/null"]
    for opt in opts.extra_options:
        out += ["-o", check_option(opt)]
    if opts.user:
        out += ["-o", f"User={check_user(opts.user)}"]
    return out


def ssh_argv(host: str, opts: SshOptions, remote_command: Sequence[str] = (),
             ssh: str = "ssh", tty: bool | None = None) -> list[str]:
    """`ssh [options] -p PORT -- HOST [remote command]`.

    ssh joins the remote command's words with spaces and hands them to the remote shell, so
    the words are POSIX-quoted here: `remote_command=["echo", "a b"]` runs `echo 'a b'`.
    """
    argv = [ssh, *_common(opts), "-p", str(check_port(opts.port))]
    if tty is True:
        argv.append("-t")
    elif tty is False:
        argv.append("-T")
    argv += ["--", check_host(host)]
    if remote_command:
        argv.append(quoting.posix_join(remote_command))
    return argv


def sftp_argv(host: str, opts: SshOptions, sftp: str = "sftp") -> list[str]:
    """`sftp [options] -P PORT -- HOST`."""
    return [sftp, *_common(opts), "-P", str(check_port(opts.port)), "--", check_host(host)]


def scp_argv(host: str, opts: SshOptions, sources: Sequence[str], destination: str, *,
             upload: bool, scp: str = "scp") -> list[str]:
    """`scp` to (`upload`) or from the instance. Remote paths are `HOST:path`.

    Local paths are made unambiguous (`./` before a name with `:` or a leading `-`). Remote
    paths are sent as they are: OpenSSH 9+ scp uses the SFTP protocol, where no remote shell
    reads them (the legacy `-O` protocol is never requested).
    """
    check_host(host)
    if not sources:
        raise SshArgumentError("Nothing to copy.", "Choose at least one file.")

    def local(p: str) -> str:
        # scp reads `x:y` as a remote path and `-x` as an option; a drive path (C:\\ or C:/)
        # stays as it is.
        drive = re.match(r"[A-Za-z]:[\\/]", p) is not None
        if p.startswith("-") or (":" in p.split("/", 1)[0] and not drive):
            return "./" + p
        return p

    def remote(p: str) -> str:
        if any(c in p for c in "\n\r\0"):
            raise SshArgumentError(f"The remote path {p!r} contains a line break.")
        return f"{host}:{p}"

    if upload:
        paths = [local(s) for s in sources] + [remote(destination)]
    else:
        paths = [remote(s) for s in sources] + [local(destination)]
    return [scp, *_common(opts), "-P", str(check_port(opts.port)), "-r", "--", *paths]


_FORWARD_HOST_RE = re.compile(r"[A-Za-z0-9_.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


def check_forward_host(host: str) -> str:
    """The far end of `-L`: a host name or IPv4 address, or an IPv6 address in brackets
    (ssh splits the argument on `:`). Never an option-looking word."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if not _FORWARD_HOST_RE.fullmatch(host) or host.startswith("-"):
        raise SshArgumentError(f"{host[:60]!r} is not a host name or address ssh can forward to.",
                               "For example localhost, 10.0.0.5 or db.internal.")
    return host


def forward_argv(host: str, opts: SshOptions, local_port: int, remote_host: str,
                 remote_port: int, ssh: str = "ssh") -> list[str]:
    """`ssh -N -L 127.0.0.1:LOCAL:REMOTE_HOST:REMOTE_PORT [options] -- HOST`: a port forward
    run as a background child, never asking anything (BatchMode) and exiting when the
    forward cannot be set up. `-v` makes ssh say when its forwards are up ("Local forwarding
    listening on ...", then "Entering interactive session."), so readiness is a line, not a
    probe that would open a connection to the far service. No master connection is shared
    or made, and no LocalCommand runs."""
    forward = (f"127.0.0.1:{check_port(local_port)}:{check_forward_host(remote_host)}:"
               f"{check_port(remote_port)}")
    fixed = ["-N", "-T", "-v", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
             "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "PermitLocalCommand=no",
             "-o", "ServerAliveInterval=30", "-o", "ServerAliveCountMax=3"]
    return [ssh, *fixed, *_common(opts), "-p", str(check_port(opts.port)), "-L", forward,
            "--", check_host(host)]
