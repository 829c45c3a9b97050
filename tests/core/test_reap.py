"""`end_orphaned_sessions`: the sessions a dead Gangway process left open are terminated,
those of live processes are not, and the window's quiet pass never prompts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.aws.credentials.service import CredentialService
from app.core.aws.sessions import connect
from app.core.aws.sessions.history import SessionHistory
from app.core.aws.sessions.reap import ENDED, end_orphaned_sessions, orphaned
from app.core.secrets import MemoryStore

REGION = "us-east-1"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _open_session(service: CredentialService, profile: str, target: str) -> str:
    route = connect.route(service, profile, REGION, needs_ec2=False)
    return route.start(target).started.session_id


def _status(aws_env, session_id: str) -> str:  # type: ignore[no-untyped-def]
    return next(s["Status"] for s in aws_env.sandbox.control.sessions()
                if s["SessionId"] == session_id)


def test_only_sessions_of_dead_processes_are_ended(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = CredentialService(MemoryStore(), prompt=None)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    history = SessionHistory(tmp_path)
    dead, alive = (_open_session(service, "default", node.instance_id) for _ in range(2))
    for sid in (dead, alive):
        history.record_start(profile="default", region=REGION, target=node.instance_id,
                             document="AWS-StartSSHSession", session_id=sid)
    # The first row belongs to a process that has ended; the second to this one.
    doc = history.store.load()
    doc["sessions"][0]["pid"] = _dead_pid()
    history.store.save(doc)
    assert [r["session_id"] for r in orphaned(history)] == [dead]
    assert end_orphaned_sessions(history, service, prompt=False) == [dead]
    assert _status(aws_env, dead) == "Terminated" and _status(aws_env, alive) == "Connected"
    rows = {r.session_id: r for r in history.records()}
    assert rows[dead].ended == ENDED and rows[alive].ended == ""
    assert end_orphaned_sessions(history, service) == []  # nothing left to do


def test_the_quiet_pass_leaves_mfa_profiles_for_later(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    asked: list[object] = []
    service = CredentialService(MemoryStore(), prompt=lambda r: asked.append(r) or None)
    history = SessionHistory(tmp_path)
    history.record_start(profile="mfa", region=REGION, target="i-0123456789abcdef0",
                         document="AWS-StartSSHSession", session_id="bob-0123456789abcdef0")
    doc = history.store.load()
    doc["sessions"][0]["pid"] = _dead_pid()
    history.store.save(doc)
    assert end_orphaned_sessions(history, service, prompt=False) == []
    assert asked == [] and len(orphaned(history)) == 1
    assert os.getpid() not in [r["pid"] for r in orphaned(history)]
