"""The one argv that runs this Gangway, for the lines other programs run us by.

ssh's ProxyCommand, `credential_process` in ~/.aws/config, the standalone MFA dialog and the
terminals Gangway opens all start a Gangway of their own. They must start *this* one:

- a frozen build: the installed launcher that runs it (/usr/bin/gangway from the .deb,
  ~/.local/bin/gangway from the tarball's install.sh, /Applications/Gangway.app/..., the
  per-user %LOCALAPPDATA%\\Programs\\Gangway\\gangway.exe), so lines written into the user's
  files survive upgrades and never name a versioned folder, a dmg mount or a translocated
  copy; the executable itself when it was not installed;
- a virtualenv or pipx install: the `gangway` console script next to this interpreter (short
  and readable in ~/.ssh/config);
- otherwise: this interpreter with `-m app`.

    argv = [*selfcmd.command(), "proxy", "--profile", "prod", "%h", "%p"]
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Set by an installer's launcher (or a test) to the stable path of the installed executable.
LAUNCHER_ENV = "GANGWAY_LAUNCHER"


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def command() -> list[str]:
    """The argv prefix that runs this Gangway (see the module docstring for the order)."""
    launcher = os.environ.get(LAUNCHER_ENV)
    if launcher and Path(launcher).is_file():
        return [os.path.abspath(launcher)]
    if frozen():
        exe = Path(os.path.abspath(sys.executable))
        return [str(installed_executable(exe, stable_candidates(platform.system(), os.environ)))]
    script = "gangway.exe" if os.name == "nt" else "gangway"
    here = Path(sys.executable).parent
    for folder in (here, here / "Scripts"):
        if (folder / script).is_file():
            return [str((folder / script).absolute())]
    return [os.path.abspath(sys.executable), "-m", "app"]


def module_command(module: str, verb: str) -> list[str]:
    """How to run a helper module of this Gangway: `<exe> VERB` frozen, else `-m MODULE`.

    Used for the standalone MFA dialog, which must start without the CLI's argument parser
    when not frozen (it is faster), and through its verb in a frozen build.
    """
    if frozen():
        return [*command(), verb]
    return [sys.executable, "-m", module]


def stable_candidates(system: str, env: Mapping[str, str]) -> list[Path]:
    """Where this OS's installers put the `gangway` other programs should run, best first."""
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if system == "Windows":
        local = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        found = [Path(local) / "Programs" / "Gangway" / "gangway.exe"]
        if env.get("ProgramFiles"):
            found.append(Path(env["ProgramFiles"]) / "Gangway" / "gangway.exe")
        return found
    if system == "Darwin":
        inner = Path("Gangway.app") / "Contents" / "MacOS" / "gangway"
        return [Path("/Applications") / inner, home / "Applications" / inner]
    return [Path("/usr/bin/gangway"), Path("/usr/local/bin/gangway"),
            home / ".local" / "bin" / "gangway"]


def _console_twin(exe: Path) -> Path:
    """Windows' windowed `gangwayw.exe` (the Start menu's) -> its console `gangway.exe`:
    ssh and the AWS CLI read the helpers' stdout, which a windowed program has not."""
    if exe.name.lower() == "gangwayw.exe" and (exe.parent / "gangway.exe").is_file():
        return exe.parent / "gangway.exe"
    return exe


def _transient(exe: Path) -> bool:
    """A copy that will not be there tomorrow: macOS App Translocation or a mounted dmg."""
    text = exe.as_posix()
    return "/AppTranslocation/" in text or text.startswith("/Volumes/")


def installed_executable(exe: Path, candidates: Sequence[Path]) -> Path:
    """The stable path that runs the frozen executable `exe`, or `exe` when none does.

    A candidate counts when it is (or links to) this very file. A transient copy (a dmg, App
    Translocation) gives way to an installed Gangway if there is one.
    """
    exe = _console_twin(exe)
    for candidate in candidates:
        try:
            if candidate.is_file() and (os.path.samefile(candidate, exe)
                                        or candidate.resolve() == exe.resolve()):
                return candidate
        except OSError:
            continue
    if _transient(exe):
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    return exe
