"""The session-manager-plugin: finding it, checking it, and running it as an owned child.

    plugin = require_secure()                      # found and version-checked, once per PATH
    proc = PluginProcess.start(plugin, started, credentials, new_group=True)
    code = proc.wait()                             # or proc.stop(): SIGINT, wait, kill group

An owned child: it runs in its own process group (so stopping it stops what it started), and
it dies with the Gangway process that started it, even after a `kill -9` (`app.core.owned`:
PR_SET_PDEATHSIG on Linux, a kill-on-close Job Object on Windows, a watchdog on macOS).
Nothing here calls `signal.signal`, so it runs in worker threads; the verbs that own a
terminal forward signals themselves (`sessions.proxy`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from app.core import owned
from app.core.aws.sessions.api import (
    LAST_PLUGIN_WITHOUT_ENV,
    StartedSession,
    plugin_argv,
    plugin_env,
)
from app.core.errors import PluginNotFoundError
from app.core.procs import output_of, which
from app.core.versions import parse_version

if TYPE_CHECKING:
    from app.core.aws.credentials.types import Credentials

PLUGIN = "session-manager-plugin"
# Port forwarding to remote hosts and reliable SSH need a 1.2.x plugin.
MIN_PLUGIN_VERSION = (1, 2, 0, 0)


def standard_locations(system: str | None = None) -> list[Path]:
    """Where AWS's installers put the plugin, per OS, after PATH."""
    system = system or platform.system()
    if system == "Windows":
        roots = [os.environ.get("ProgramFiles", r"C:\Program Files"),
                 os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)")]
        return [Path(r) / "Amazon" / "SessionManagerPlugin" / "bin" for r in roots]
    dirs = [Path("/usr/local/sessionmanagerplugin/bin"), Path("/usr/local/bin")]
    if system == "Darwin":
        dirs += [Path("/opt/homebrew/bin"), Path("/usr/local/Caskroom/session-manager-plugin")]
    else:
        dirs += [Path("/home/linuxbrew/.linuxbrew/bin"), Path("/usr/bin")]
    return dirs


def install_hint(system: str | None = None) -> str:
    system = system or platform.system()
    if system == "Windows":
        return ("Install it with the AWS installer: "
                "https://s3.amazonaws.com/session-manager-downloads/plugin/latest/windows/"
                "SessionManagerPluginSetup.exe (or `winget install Amazon.SessionManagerPlugin`).")
    if system == "Darwin":
        return ("Install it with `brew install --cask session-manager-plugin`, or the signed "
                "package from https://s3.amazonaws.com/session-manager-downloads/plugin/latest/"
                "mac/session-manager-plugin.pkg.")
    return ("Install the .deb (Debian/Ubuntu) or .rpm from "
            "https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/"
            "session-manager-plugin.deb with `sudo dpkg -i session-manager-plugin.deb`.")


@dataclass(frozen=True)
class PluginInfo:
    path: Path
    version: str

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return parse_version(self.version)


def find_plugin(path_env: str | None = None) -> PluginInfo | None:
    """The plugin on PATH or in a standard location, with its `--version`; None if absent."""
    found = which(PLUGIN, standard_locations(), path=path_env)
    if found is None:
        return None
    out = output_of([found, "--version"]) or ""
    match = re.search(r"\d+(?:\.\d+)+", out)
    return PluginInfo(found, match.group(0) if match else "unknown")


def require_plugin(path_env: str | None = None) -> PluginInfo:
    info = find_plugin(path_env)
    if info is None:
        raise PluginNotFoundError(
            "The AWS session-manager-plugin was not found on PATH or in its standard "
            "install locations.",
            install_hint(),
        )
    if info.version != "unknown" and info.version_tuple < MIN_PLUGIN_VERSION:
        raise PluginNotFoundError(
            f"session-manager-plugin {info.version} at {info.path} is too old "
            f"(Gangway needs {'.'.join(map(str, MIN_PLUGIN_VERSION))} or later).",
            install_hint(),
        )
    return info


@functools.lru_cache(maxsize=4)
def require_secure(path_env: str | None = None) -> PluginInfo:
    """`require_plugin`, refusing plugins that would need the session token on argv."""
    info = require_plugin(path_env)
    if info.version != "unknown" and info.version_tuple <= LAST_PLUGIN_WITHOUT_ENV:
        raise PluginNotFoundError(
            f"session-manager-plugin {info.version} is too old to receive the session "
            "securely (it needs the token on its command line).", install_hint())
    return info


# --- the running plugin -------------------------------------------------------------------

class PluginProcess:
    """One running plugin for one session; see the module docstring."""

    def __init__(self, proc: subprocess.Popen[bytes], started: StartedSession,
                 new_group: bool) -> None:
        self.proc = proc
        self.started = started
        self.new_group = new_group
        self._reader: threading.Thread | None = None

    @classmethod
    def start(cls, plugin: PluginInfo, started: StartedSession, credentials: Credentials | None,
              *, profile: str = "", new_group: bool = True,
              on_line: Callable[[str], None] | None = None,
              on_exit: Callable[[int], None] | None = None,
              stdin: int | IO[bytes] | None = None,
              base_env: Mapping[str, str] | None = None) -> PluginProcess:
        """Start the plugin; with `on_line`, its output is read line by line (partial lines,
        such as "Port N opened ..." without a newline, are delivered when output pauses).
        With `on_line`, `on_exit` gets the exit code from the reader thread after the last
        line (a supervisor learns of the end without polling or a thread of its own)."""
        argv = plugin_argv(plugin.path, started, profile)
        env = plugin_env(started, credentials, base_env)
        capture = on_line is not None

        def make(**owned_kwargs: object) -> subprocess.Popen[bytes]:
            return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
                argv, env=env, stdin=stdin,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None, **owned_kwargs)

        try:
            proc = owned.spawn(make, new_group=new_group)
        except OSError as exc:
            raise PluginNotFoundError(f"Could not run session-manager-plugin: {exc}",
                                      install_hint()) from exc
        self = cls(proc, started, new_group)
        if on_line is not None and proc.stdout is not None:
            self._reader = threading.Thread(target=owned.read_lines,
                                            args=(proc.stdout, on_line, proc, on_exit),
                                            name="plugin-output", daemon=True)
            self._reader.start()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        code = self.proc.poll()
        return None if code is None else owned.exit_code(code)

    def wait(self, timeout: float | None = None) -> int:
        """The exit code (128+N if killed by signal N); TimeoutExpired after `timeout`."""
        code = owned.exit_code(self.proc.wait(timeout))
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        return code

    def send(self, signum: int) -> None:
        """Pass a signal on to the plugin (ssh's SIGHUP, a forwarded SIGTERM)."""
        with contextlib.suppress(OSError):
            self.proc.send_signal(signum)

    def stop(self, grace: float = 5.0) -> int:
        """SIGINT (the plugin's own clean exit; it ignores SIGTERM's chance to clean up), then
        after `grace` seconds kill its whole group. CTRL_BREAK_EVENT on Windows."""
        if self.proc.poll() is None:
            if sys.platform == "win32":
                sig = signal.CTRL_BREAK_EVENT if self.new_group else signal.CTRL_C_EVENT
                self.send(sig)
            else:
                self.send(signal.SIGINT)
            try:
                return self.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.wait()

    def kill(self) -> None:
        """Kill the plugin and, when it has a group of its own, everything in it."""
        with contextlib.suppress(OSError):
            if self.new_group and sys.platform != "win32":
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
