"""The one argv that runs this Gangway, for the lines other programs run us by.

ssh's ProxyCommand, `credential_process` in ~/.aws/config, the standalone MFA dialog and the
terminals Gangway opens all start a Gangway of their own. They must start *this* one:

- a frozen build: the executable itself (its installers keep that path stable across
  upgrades, so lines written into the user's files survive them);
- a virtualenv or pipx install: the `gangway` console script next to this interpreter (short
  and readable in ~/.ssh/config);
- otherwise: this interpreter with `-m app`.

    argv = [*selfcmd.command(), "proxy", "--profile", "prod", "%h", "%p"]
"""

from __future__ import annotations

import os
import sys
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
        return [os.path.abspath(sys.executable)]
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
