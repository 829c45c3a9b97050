"""Start Gangway at login, per OS, with the one argv that runs this Gangway (`selfcmd`).

- Linux and other XDG desktops: `$XDG_CONFIG_HOME/autostart/<app id>.desktop` (the XDG
  Autostart specification), Exec quoted per the Desktop Entry specification;
- macOS: `~/Library/LaunchAgents/<app id>.plist`, a LaunchAgent with RunAtLoad;
- Windows: the `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run` value, a command line
  quoted for CommandLineToArgvW.

`--minimized` is passed so a login start stays in the tray. Files are written atomically
(0600); turning it off removes exactly what we wrote.
"""

from __future__ import annotations

import importlib
import os
import platform
import plistlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from app import APP_ID
from app import APP_NAME as NAME
from app.core.quoting import windows_join
from app.core.store import atomic_write

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
MINIMIZED = "--minimized"
_DESKTOP_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def desktop_exec(argv: Sequence[str]) -> str:
    """An Exec= value: each argument quoted when it needs it, `%` doubled (field codes)."""
    out = []
    for arg in argv:
        text = arg.replace("%", "%%")
        if not text or any(ch in _DESKTOP_RESERVED for ch in text):
            escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in text)
            text = f'"{escaped}"'
        # The .desktop file format then escapes backslashes once more in string values.
        out.append(text.replace("\\", "\\\\"))
    return " ".join(out)


def desktop_entry(argv: Sequence[str]) -> str:
    return ("[Desktop Entry]\nType=Application\n"
            f"Name={NAME}\nComment=SSH and tunnels over AWS Systems Manager\n"
            f"Exec={desktop_exec([*argv, MINIMIZED])}\nTerminal=false\n"
            "X-GNOME-Autostart-enabled=true\n")


def launch_agent(argv: Sequence[str]) -> bytes:
    return plistlib.dumps({"Label": APP_ID, "ProgramArguments": [*argv, MINIMIZED],
                           "RunAtLoad": True, "ProcessType": "Interactive"})


def run_value(argv: Sequence[str]) -> str:
    return windows_join([*argv, MINIMIZED])


class Registry(Protocol):
    """The HKCU Run key: `winreg` on Windows; anything with these three in tests."""

    def set(self, name: str, value: str) -> None: ...
    def get(self, name: str) -> str | None: ...
    def delete(self, name: str) -> None: ...


def _winreg() -> Any:
    return importlib.import_module("winreg")  # Windows only; imported where it exists


class WinRegistry:
    def set(self, name: str, value: str) -> None:
        winreg = _winreg()

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def get(self, name: str) -> str | None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(winreg.QueryValueEx(key, name)[0])
        except OSError:
            return None

    def delete(self, name: str) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def location(system: str | None = None, home: Path | None = None) -> Path | None:
    """The file we write, or None on Windows (a registry value)."""
    system = system or platform.system()
    home = home or Path.home()
    if system == "Windows":
        return None
    if system == "Darwin":
        return home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config) / "autostart" / f"{APP_ID}.desktop"


def set_enabled(enabled: bool, argv: Sequence[str], *, system: str | None = None,
                home: Path | None = None, registry: Registry | None = None) -> None:
    system = system or platform.system()
    path = location(system, home)
    if path is None:
        reg = registry or WinRegistry()
        if enabled:
            reg.set(NAME, run_value(argv))
        else:
            reg.delete(NAME)
        return
    if not enabled:
        path.unlink(missing_ok=True)
        return
    data = launch_agent(argv) if system == "Darwin" else desktop_entry(argv)
    atomic_write(path, data, make_backup=False)


def is_enabled(*, system: str | None = None, home: Path | None = None,
               registry: Registry | None = None) -> bool:
    path = location(system, home)
    if path is None:
        return (registry or WinRegistry()).get(NAME) is not None
    return path.exists()
