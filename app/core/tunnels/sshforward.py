"""The `ssh -L` mode: an OpenSSH client, run as an owned child, is the tunnel's "session".

    setup = SshSetup(keyless=lambda: settings.load().sessions.keyless, keys=EphemeralKey(d))
    fwd = forward(spec, instance_id, choice, region, setup)   # argv only, nothing runs
    child = fwd.spawn(plugin, on_line=..., on_exit=...)        # ssh -N -L 127.0.0.1:P:H:R ...

Gangway still owns the tunnel's port (the relay binds it and holds connections); ssh listens
on an ephemeral port of its own, like the plugin does in the SSM modes, and reaches the
instance through `-o ProxyCommand=<gangway proxy ...>` (built by `ssh.proxycommand`, the argv
by `ssh.argv`: no shell string from user text, no option that runs a program). The target is
resolved by the opener with the tunnels' rule, so ssh is given the chosen instance id. The
login name is the tunnel's `ssh_user`, else what ~/.ssh/config says (ssh reads it); the key is
the user's (config or agent), or, with the "Keyless SSH" setting on and an EC2 instance,
Gangway's ephemeral key, pushed by the proxy (`--push-key`) for ssh's remote user.

The SSM session belongs to the proxy: it starts it, and ends it (TerminateSession) when ssh
hangs up on it. So `terminate()` here has nothing to do; stopping ssh is what ends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.core import owned
from app.core.errors import GangwayError
from app.core.ssh.argv import SshOptions

if TYPE_CHECKING:
    from app.core.aws.sessions.plugin import PluginInfo
    from app.core.ssh.ephemeral import EphemeralKey
    from app.core.tunnels.spec import TunnelSpec

class SshForwardError(GangwayError):
    """ssh cannot be run for an ssh -L tunnel."""


@dataclass(frozen=True)
class SshSetup:
    """What the opener needs to build ssh's argv: the keyless setting (read at each start),
    the ephemeral key, the argv that runs this Gangway (for the ProxyCommand), ssh itself,
    and the options every tunnel's ssh starts from (default: none, so ssh's own config
    decides the key, the user and known_hosts; a config file with `-F` for a sandbox)."""

    keyless: Callable[[], bool] = field(default=lambda: False)
    keys: EphemeralKey | None = None
    gangway: tuple[str, ...] | None = None
    ssh: str = ""  # "" = `ssh` on PATH
    base: SshOptions = field(default_factory=SshOptions)


@dataclass(frozen=True)
class SshForward:
    """One ssh -L "session" for the runner: the chosen instance, ssh's argv and its port."""

    instance_id: str
    choice: str
    argv: tuple[str, ...]
    port: int  # where ssh listens (127.0.0.1); the relay connects here
    keyless: bool = False
    warning: str = ""
    session_id: str = ""  # the proxy's, not known here
    expires: datetime | None = None  # the proxy gets its own credentials at each start

    @property
    def label(self) -> str:
        return f"ssh -L to {self.instance_id}"

    def terminate(self) -> None:
        """Nothing: the proxy ends its SSM session when ssh hangs up on it."""

    def spawn(self, plugin: PluginInfo, *, on_line: Callable[[str], None],
              on_exit: Callable[[int], None]) -> SshProcess:
        # `plugin` was checked by the runner: the proxy needs it, and a missing plugin is
        # better said before ssh runs than as a line of ssh's stderr.
        return SshProcess.start(list(self.argv), on_line=on_line, on_exit=on_exit)


def free_port() -> int:
    """A loopback port free now, for ssh's own listener (ExitOnForwardFailure covers a race:
    ssh exits, the runner retries with another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def forward(spec: TunnelSpec, instance_id: str, choice: str, region: str, setup: SshSetup,
            *, reason: str = "", port: int | None = None) -> SshForward:
    """ssh's argv for `spec` to `instance_id` (nothing runs; hostile values raise)."""
    from app.core.procs import which
    from app.core.ssh import argv as ssh_argv
    from app.core.ssh.proxycommand import Mode, proxy_command

    ssh_argv.check_host(instance_id)
    pushes = bool(setup.keyless()) and instance_id.startswith("i-") and setup.keys is not None
    pc = proxy_command(Mode.BUILTIN, spec.profile, region or None, gangway=setup.gangway,
                       reason=reason or None, push_key=pushes)
    opts = replace(setup.base, user=spec.ssh_user or setup.base.user, proxy_command=pc)
    if pushes and setup.keys is not None:
        pair = setup.keys.ensure()  # ssh loads the identity when it starts: on disk first
        opts = replace(opts, ephemeral_identity=str(pair.private_path), default_identities=(
            () if opts.identities_only else ssh_argv.existing_default_identities()))
    program = setup.ssh or str(which("ssh") or "ssh")
    local = port or free_port()
    argv = ssh_argv.forward_argv(instance_id, opts, local, spec.remote_host or "localhost",
                                 spec.remote_port, ssh=program)
    return SshForward(instance_id, choice, tuple(argv), local, keyless=pushes)


class SshProcess:
    """ssh as an owned child (own process group, dies with Gangway: `app.core.owned`), its
    stderr delivered line by line, its end reported from the reader thread (no polling)."""

    def __init__(self, proc: subprocess.Popen[bytes], reader: threading.Thread) -> None:
        self.proc = proc
        self._reader = reader

    @classmethod
    def start(cls, argv: Sequence[str], *, on_line: Callable[[str], None],
              on_exit: Callable[[int], None]) -> SshProcess:
        def make(**owned_kwargs: object) -> subprocess.Popen[bytes]:
            return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
                list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, **owned_kwargs)

        try:
            proc = owned.spawn(make, new_group=True)
        except OSError as exc:
            raise SshForwardError(f"Could not run ssh: {exc}",
                                  "Install the OpenSSH client (`ssh`).") from exc
        assert proc.stderr is not None
        reader = threading.Thread(target=owned.read_lines,
                                  args=(proc.stderr, on_line, proc, on_exit),
                                  name="ssh-output", daemon=True)
        reader.start()
        return cls(proc, reader)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(timeout=2.0)
        return code

    def stop(self, grace: float = 5.0) -> int:
        """SIGINT (ssh exits and sends its ProxyCommand SIGHUP, on which the proxy stops its
        plugin and ends the SSM session), wait for ssh and then for the proxy (the end of the
        stderr they share), then kill what is left of the group. CTRL_BREAK_EVENT on
        Windows."""
        deadline = time.monotonic() + grace
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                if sys.platform == "win32":
                    self.proc.send_signal(signal.CTRL_BREAK_EVENT)
                else:
                    self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
        # Its stderr is shared by the proxy (and its plugin): it ends when they have.
        self._reader.join(max(0.0, deadline - time.monotonic()))
        if sys.platform != "win32" and _group_alive(self.proc.pid):
            self.kill()
        return self.wait()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            if sys.platform != "win32":
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: someone is in it
    return True
