"""Which terminal emulators exist on this machine, and the argv that opens one running a command.

Every terminal gets the command as an argv list wherever the terminal accepts one; where it
takes a single string (tilix `-e`, Terminal.app/iTerm2 typing into the login shell,
`powershell.exe -Command`, `cmd.exe /k`) the string is built by `app.core.quoting` only.

Usage:
    spec = terminals.launch_spec(["/usr/bin/ssh", "i-0abc"], title="web-1")
    proc = terminals.start(spec)
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core import quoting
from app.core.errors import GangwayError
from app.core.procs import start_detached, which

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

# Windows process creation flag (winbase.h); defined here so non-Windows code can name it.
CREATE_NEW_CONSOLE = 0x00000010
OSASCRIPT = "/usr/bin/osascript"

# Fixed AppleScript sources. The command arrives as `item 1 of argv`, never spliced in.
TERMINAL_APP_SCRIPT: tuple[str, ...] = (
    "on run argv",
    'tell application "Terminal"',
    "activate",
    "do script (item 1 of argv)",
    "end tell",
    "end run",
)
ITERM2_SCRIPT: tuple[str, ...] = (
    "on run argv",
    'tell application "iTerm"',
    "activate",
    "set w to (create window with default profile)",
    "tell current session of w to write text (item 1 of argv)",
    "end tell",
    "end run",
)


class TerminalNotFoundError(GangwayError):
    """No usable terminal emulator (or the chosen one is missing)."""


@dataclass(frozen=True)
class FoundTerminal:
    """A detected terminal. `name` is for display (doctor); `kind` selects the argv form."""

    name: str
    path: Path
    kind: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", self.name)


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start a process: pass to `start()` (or a QProcess equivalent).

    `env` holds only the variables to add to the inherited environment. `creationflags` is
    for Windows (`CREATE_NEW_CONSOLE`). When `windows_cmdline` is set (cmd.exe, which does not
    split its command line by the MSVC rules) it is the exact CreateProcess command line and
    `argv` is only descriptive.
    """

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    creationflags: int = 0
    cwd: str | None = None
    windows_cmdline: str | None = None

    def full_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        merged = dict(os.environ if base is None else base)
        merged.update(self.env)
        return merged

    def popen_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"env": self.full_env(), "cwd": self.cwd,
                                  "stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                                  "stderr": subprocess.DEVNULL}
        if self.creationflags:
            kwargs["creationflags"] = self.creationflags
        if platform.system() != "Windows":
            # The terminal outlives us: its own session, so closing Gangway does not kill it.
            kwargs["start_new_session"] = True
        return kwargs


def start(spec: LaunchSpec) -> subprocess.Popen[bytes]:
    """Start the terminal (never through a shell). Raises TerminalNotFoundError if it cannot."""
    args: str | list[str] = spec.windows_cmdline or list(spec.argv)
    try:
        return start_detached(args, **spec.popen_kwargs())
    except OSError as exc:
        raise TerminalNotFoundError(f"Could not start the terminal {spec.argv[0]}: {exc}",
                                    "Pick another terminal in Settings.") from exc


def detect(system: str | None = None) -> list[FoundTerminal]:
    """Terminals present on this machine, in preference order (`$TERMINAL` first on Linux)."""
    system = system or platform.system()
    found: list[FoundTerminal] = []
    if system == "Darwin":
        return [FoundTerminal(n, p) for n, p in MAC_APPS if p.exists()]
    names = WINDOWS_TERMINALS if system == "Windows" else LINUX_TERMINALS
    env_term = os.environ.get("TERMINAL")
    if env_term and system != "Windows":
        path = which(env_term)
        if path:
            found.append(FoundTerminal(f"$TERMINAL ({Path(env_term).name})", path,
                                       kind="$TERMINAL"))
    for name in names:
        path = which(name)
        if path:
            found.append(FoundTerminal(name, path))
    return found


def terminal_argv(kind: str, exe: str, command: Sequence[str],
                  title: str = "Gangway") -> LaunchSpec:
    """The LaunchSpec that opens terminal `kind` (at `exe`) running the argv `command`."""
    cmd = list(command)
    if not cmd:
        raise ValueError("empty command")
    title = " ".join(title.split()) or "Gangway"
    if kind == "$TERMINAL":
        base = Path(exe).name.removesuffix(".exe")
        kind = base if base in _LINUX_FORMS else "xterm-like"
    if kind in _LINUX_FORMS:
        return LaunchSpec(tuple(_LINUX_FORMS[kind](exe, cmd, title)))
    if kind in ("Terminal.app", "iTerm2"):
        lines = TERMINAL_APP_SCRIPT if kind == "Terminal.app" else ITERM2_SCRIPT
        argv = [exe or OSASCRIPT]
        for line in lines:
            argv += ["-e", line]
        return LaunchSpec((*argv, "--", quoting.portable_shell_join(cmd)))
    if kind == "wt":
        # wt splits its own command line into sub-commands at `;`, even after `--`.
        escaped = [a.replace(";", "\\;") for a in cmd]
        return LaunchSpec((exe, "new-tab", "--title", title.replace(";", "\\;"), "--",
                           *escaped))
    if kind in ("powershell", "pwsh"):
        script = (f"$Host.UI.RawUI.WindowTitle = {quoting.powershell_quote(title)}; "
                  + quoting.powershell_command(cmd))
        return LaunchSpec((exe, "-NoExit", "-Command", quoting.powershell_command_arg(script)),
                          creationflags=CREATE_NEW_CONSOLE)
    if kind == "cmd":
        line = f"title {quoting.cmd_escape(title)} & {quoting.cmd_join(cmd)}"
        return LaunchSpec((exe, "/k", line), creationflags=CREATE_NEW_CONSOLE,
                          windows_cmdline=f"{quoting.windows_arg(exe)} /k {line}")
    raise TerminalNotFoundError(f"Unknown terminal kind {kind!r}.",
                                "Pick one of the detected terminals in Settings.")


def _xterm(exe: str, cmd: list[str], title: str) -> list[str]:
    return [exe, "-T", title, "-e", *cmd]


_LINUX_FORMS = {
    # xdg-terminal-exec: the command follows directly (freedesktop terminal spec).
    "xdg-terminal-exec": lambda exe, cmd, title: [exe, *cmd],
    # Debian policy: x-terminal-emulator takes -T title and -e command args...
    "x-terminal-emulator": _xterm,
    "gnome-terminal": lambda exe, cmd, title: [exe, "--title", title, "--", *cmd],
    "konsole": lambda exe, cmd, title: [exe, "-p", f"tabtitle={title}", "-e", *cmd],
    "xfce4-terminal": lambda exe, cmd, title: [exe, "--title", title, "-x", *cmd],
    "kitty": lambda exe, cmd, title: [exe, "--title", title, *cmd],
    "alacritty": lambda exe, cmd, title: [exe, "--title", title, "-e", *cmd],
    "wezterm": lambda exe, cmd, title: [exe, "start", "--", *cmd],
    "foot": lambda exe, cmd, title: [exe, f"--title={title}", *cmd],
    # tilix -e takes one string, which it splits with g_shell_parse_argv (POSIX rules).
    "tilix": lambda exe, cmd, title: [exe, "-t", title, "-e", quoting.posix_join(cmd)],
    "xterm": _xterm,
    "xterm-like": _xterm,
}


_PLACEHOLDER = re.compile(r"\{(command|title)\}")


def custom_template_argv(template: str, command: Sequence[str], title: str = "Gangway",
                         system: str | None = None) -> LaunchSpec:
    """A LaunchSpec from a user template such as `myterm --hold -e {command}`.

    The template is split with `shlex` (POSIX rules: quote words with spaces, double
    backslashes). A word that is exactly `{command}` expands to the command's argv elements,
    and a word that is exactly `{title}` to the title as one argument: no shell sees them.
    A placeholder inside a larger word (`sh -c "printf %s {title}; {command}"`) is text a
    shell will parse, so it is replaced by its value quoted for that OS's shell (POSIX sh,
    or the Windows command-line rules): the command as a whole command line, the title as
    one word. Substitution is one pass, so a title holding "{command}" stays text.
    """
    system = system or platform.system()
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise GangwayError(f"The custom terminal command is not valid: {exc}.",
                           "Check its quotes in Settings.") from exc
    if not any("{command}" in w for w in words):
        raise GangwayError("The custom terminal command has no {command} placeholder.",
                           "Add {command} where the command to run should go.")
    windows = system == "Windows"
    quoted = {
        "command": quoting.windows_join(command) if windows else quoting.posix_join(command),
        "title": quoting.windows_arg(title) if windows else quoting.posix_quote(title),
    }
    out: list[str] = []
    for w in words:
        if w == "{command}":
            out += list(command)
        elif w == "{title}":
            out.append(title)
        else:
            out.append(_PLACEHOLDER.sub(lambda m: quoted[m.group(1)], w))
    return LaunchSpec(tuple(out))


def launch_spec(command: Sequence[str], title: str = "Gangway", *, choice: str | None = None,
                template: str | None = None, env: Mapping[str, str] | None = None,
                system: str | None = None, found: Sequence[FoundTerminal] | None = None
                ) -> LaunchSpec:
    """The LaunchSpec for the user's terminal: a custom `template`, else the terminal named
    `choice` (a `FoundTerminal.kind` or `.name`), else the first one detected."""
    system = system or platform.system()
    if template:
        spec = custom_template_argv(template, command, title, system)
    else:
        terms = list(found) if found is not None else detect(system)
        if choice:
            terms = [t for t in terms if choice in (t.kind, t.name)]
        if not terms:
            what = f"The terminal {choice!r} was" if choice else "No terminal emulator was"
            raise TerminalNotFoundError(
                f"{what} not found.",
                "Install one (e.g. xterm, gnome-terminal, konsole), or set a custom terminal "
                "command with {command} in Settings.")
        term = terms[0]
        exe = OSASCRIPT if system == "Darwin" else str(term.path)
        spec = terminal_argv(term.kind, exe, command, title)
    if env:
        spec = LaunchSpec(spec.argv, {**spec.env, **env}, spec.creationflags, spec.cwd,
                          spec.windows_cmdline)
    return spec
