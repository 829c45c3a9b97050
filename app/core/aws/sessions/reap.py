"""Ending the sessions a crashed Gangway left open at AWS.

`gangway proxy` records each session it starts (history row with its pid) and terminates it
when the plugin exits. If the process dies first (`kill -9`, the OOM killer, a power cut)
the plugin dies with it, but AWS keeps the session open until it times out, and the row stays
open. The next start finds such rows, whose process is gone, and sends TerminateSession.

Where "next start" hooks in: every CLI verb that starts a session (`proxy`, `session`, in a
background thread once its own plugin runs), the window at start-up (a worker task, without
prompting), and the tunnel supervisor when it starts; all call `end_orphaned_sessions`.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from app.core.errors import GangwayError

if TYPE_CHECKING:
    from app.core.aws.credentials.source import CredentialSource
    from app.core.aws.sessions.api import SsmCalls
    from app.core.aws.sessions.history import SessionHistory

log = logging.getLogger(__name__)
ENDED = "terminated at the next start (the Gangway process that started it had ended)"


def owner_alive(row: dict[str, Any]) -> bool:
    """Whether the process that recorded `row` still runs (and is that process, not a new
    one that got its pid: it must have started before the session did)."""
    import psutil

    try:
        proc = psutil.Process(int(row["pid"]))
        return bool(proc.create_time() <= float(row.get("time") or 0) + 1.0
                    and proc.status() != psutil.STATUS_ZOMBIE)
    except (psutil.Error, ValueError, TypeError, KeyError):
        return False


def orphaned(history: SessionHistory) -> list[dict[str, Any]]:
    """Open rows whose process is gone. Cheap when there are none (psutil only if needed)."""
    rows = [r for r in history.open_rows() if r["pid"] != os.getpid()]  # ours: alive
    return [r for r in rows if not owner_alive(r)] if rows else []


def end_orphaned_sessions(history: SessionHistory, source: CredentialSource, *,
                          profile: str | None = None, prompt: bool = True,
                          ssm: dict[tuple[str, str], SsmCalls] | None = None) -> list[str]:
    """Send TerminateSession for every orphaned session; returns the ids ended.

    `profile` limits it to one profile (a CLI verb, whose credentials are at hand). With
    `prompt=False` (the window at start-up) profiles that would ask for an MFA code are left
    for later. `ssm` maps (profile, region) to a client already built. Failures (network,
    expired credentials) are logged and retried at the next start; nothing is raised.
    """
    from app.core.aws.sessions import api, connect

    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in orphaned(history):
        if profile is None or row.get("profile") == profile:
            groups[(str(row.get("profile", "")), str(row.get("region", "")))].append(row)
    ended: list[str] = []
    for (name, region), rows in groups.items():
        try:
            if not prompt:
                profiles = source.profiles()
                found = profiles.get(name)
                if found is None or profiles.prompts_for_mfa(found):
                    continue
            calls = (ssm or {}).get((name, region))
            if calls is None:
                calls = connect.route(source, name, region or None, needs_ec2=False).ssm
            for row in rows:
                api.terminate_session(calls, str(row["session_id"]))
                history.record_end(str(row["key"]), ENDED)
                ended.append(str(row["session_id"]))
        except GangwayError as exc:
            log.info("could not end orphaned sessions of %s in %s yet: %s", name, region,
                     exc.one_line())
        except OSError as exc:
            log.info("could not record the end of orphaned sessions: %s", exc)
    return ended
