"""Helpers for the session UI tests: a recording "terminal" and SessionActions on real services.

The recording terminal is a real program started through the user's custom terminal template
(`<python> record.py OUT {command}`): it writes the argv it received and the names of its AWS_*
variables to OUT, so a test sees exactly what a terminal would have been asked to run.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from app.core.paths import Paths
from app.core.settings import SessionSettings, SettingsStore
from app.core.ssh.proxycommand import Mode
from app.ui.session_actions import SessionActions
from app.ui.tasks import TaskRunner

RECORDER = """\
import json, os, sys
out = sys.argv[1]
doc = {"argv": sys.argv[2:], "aws_env": {k: v for k, v in os.environ.items()
                                          if k in ("AWS_PROFILE", "AWS_REGION")}}
with open(out + ".tmp", "w") as f:
    json.dump(doc, f)
os.replace(out + ".tmp", out)
"""


def recorder_template(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "record_terminal.py"
    script.write_text(RECORDER)
    out = tmp_path / "terminal-argv.json"
    template = " ".join(shlex.quote(str(p)) for p in (sys.executable, script, out))
    return template + " {command}", out


def wait_for_json(path: Path, timeout: float = 15.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists():
            return dict(json.loads(path.read_text()))
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written within {timeout}s")


def make_actions(paths: Paths, runner: TaskRunner, *, mode: Mode = Mode.BUILTIN,
                 template: str = "", terminal: str = "", ask_reason: bool = False,
                 profile: str = "default") -> SessionActions:
    settings = SettingsStore(paths.settings_file)
    settings.update(sessions=SessionSettings(mode=mode, ask_reason=ask_reason,
                                             terminal=terminal, template=template))
    return SessionActions(runner, paths, settings, None, profile=lambda _row: profile,
                          gangway=[sys.executable, "-m", "app"])
