"""The sandbox's hostile fleet through the session actions: names never reach a shell.

Every connectable instance with a hostile Name tag gets a shell and an SSH launch through a
recording terminal whose template also receives `{title}`; the name may appear only as that
title argument, verbatim, and the `$(touch ...)` names never create their file.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.launch import Action
from app.core.paths import Paths
from app.ui.session_actions import Launched
from app.ui.tasks import TaskRunner
from tests.sandbox.fleet import HOSTILE_NAMES
from tests.ui.instances_factory import instances_pane
from tests.ui.session_factory import RECORDER, make_actions, wait_for_json

RECORD_TITLE = RECORDER.replace('sys.argv[2:]', 'sys.argv[3:], "title": sys.argv[2]')


def test_hostile_names_only_ever_become_a_title(qtbot: QtBot, aws_env,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    pwned = Path("/tmp/pwned")
    existed = pwned.exists()
    script = tmp_path / "record.py"
    script.write_text(RECORD_TITLE)
    out = tmp_path / "argv.json"
    template = (" ".join(shlex.quote(str(p)) for p in (sys.executable, script, out))
                + " {title} {command}")
    paths = Paths.default().ensure()
    runner = TaskRunner()
    try:
        pane = instances_pane(runner, paths, profiles=["default"])
        qtbot.addWidget(pane)
        pane.set_regions(all_regions=True)
        pane.refresh()
        qtbot.waitUntil(lambda: not pane.busy and pane.model.rowCount() > 0, timeout=30_000)
        hostile = [r for r in pane.model.rows
                   if r.name in HOSTILE_NAMES and r.capabilities.can("shell")]
        assert hostile, "the sandbox fleet has connectable hostile names"
        actions = make_actions(paths, runner, template=template)
        got: list[object] = []
        actions.launched.connect(got.append)
        actions.failed.connect(got.append)
        checked = 0
        for row in hostile:
            for action in (Action.SHELL, Action.SSH):
                if action is Action.SSH and not row.capabilities.can("ssh"):
                    continue
                out.unlink(missing_ok=True)
                got.clear()
                actions.launch(actions.request(action, row))
                qtbot.waitUntil(lambda: bool(got), timeout=10_000)
                launched = got[0]
                assert isinstance(launched, Launched), launched
                launched.proc.wait(timeout=10)
                rec = wait_for_json(out)
                flat = " ".join(" ".join(row.name.split())[:60].split())
                assert flat in rec["title"]  # the title, as one argument, verbatim
                assert row.instance_id in json.dumps(rec["argv"])
                assert not any(row.name in a for a in rec["argv"] if row.name.strip())
                checked += 1
        assert checked >= 2
        assert pwned.exists() == existed
    finally:
        runner.shutdown()
