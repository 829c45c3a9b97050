"""Which terminal emulators exist on this machine (the sessions issue adds argv per terminal)."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from app.core.procs import which

# Preference order, per the freedesktop conventions: the user's explicit choice first.
LINUX_TERMINALS: tuple[str, ...] = (
    "xdg-terminal-exec", "x-terminal-emulator", "gnome-terminal", "konsole", "xfce4-terminal",
    "kitty", "alacritty", "wezterm", "foot", "tilix", "xterm",
)
MAC_APPS: tuple[tuple[str, Path], ...] = (
    ("Terminal.app", Path("/System/Applications/Utilities/Terminal.app")),
    ("iTerm2", Path("/Applications/iTerm.app")),
)
WINDOWS_TERMINALS: tuple[str, ...] = ("wt", "pwsh", "powershell", "cmd")


@dataclass(frozen=True)
class FoundTerminal:
    name: str
    path: Path


def detect(system: str | None = None) -> list[FoundTerminal]:
    system = system or platform.system()
    found: list[FoundTerminal] = []
    if system == "Darwin":
        return [FoundTerminal(n, p) for n, p in MAC_APPS if p.exists()]
    names = WINDOWS_TERMINALS if system == "Windows" else LINUX_TERMINALS
    env_term = os.environ.get("TERMINAL")
    if env_term and system != "Windows":
        path = which(env_term)
        if path:
            found.append(FoundTerminal(f"$TERMINAL ({Path(env_term).name})", path))
    for name in names:
        path = which(name)
        if path:
            found.append(FoundTerminal(name, path))
    return found
