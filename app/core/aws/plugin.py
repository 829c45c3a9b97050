"""Finding session-manager-plugin and saying how to install it when it is missing or old."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import PluginNotFoundError
from app.core.procs import output_of, which
from app.core.versions import parse_version

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



