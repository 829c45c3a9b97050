"""`gangway sessions`: active (or recent) SSM sessions, merged with Gangway's own history."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="default", help="AWS profile (default: default)")
    parser.add_argument("--region", help="region (default: the profile's)")
    parser.add_argument("--history", action="store_true",
                        help="ended sessions instead of active ones")
    parser.add_argument("--terminate", metavar="SESSION_ID",
                        help="terminate one of your active sessions")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:

    from app.commands import context
    from app.commands.table import format_table
    from app.core.aws.client import client
    from app.core.aws.sessions import api
    from app.core.aws.sessions.history import merge, record_as_dict
    from app.core.display import json_text

    session = context.source().session(args.profile, args.region)
    ssm = client(session, "ssm", args.region or session.region_name)
    if args.terminate:
        return _terminate(ssm, args.terminate, args.profile)
    state = "History" if args.history else "Active"
    remote = api.describe_sessions(ssm, state)
    local = [r for r in context.history().records()
             if r.profile == args.profile and (r.ended != "") == args.history]
    rows = merge(remote, local)
    if args.history:
        rows = [r for r in rows if not r.active]
    else:
        rows = [r for r in rows if r.active or (r.local and not r.ended and r.status == "Local")]
    if args.json:
        print(json_text([record_as_dict(r) for r in rows], indent=2))
        return 0
    if not rows:
        print("No active sessions." if not args.history else "No recent sessions.")
        return 0
    table = [(r.start.strftime("%Y-%m-%d %H:%M:%S") if r.start else "", r.session_id, r.target,
              r.document, r.reason, r.status_words) for r in rows]
    print(format_table(("Started", "Session", "Target", "Document", "Reason", "Status"), table,
                       last_in_full=True))
    return 0


def _terminate(ssm: object, session_id: str, profile: str) -> int:
    """TerminateSession answers 200 for any id, known or not; so look the session up first."""
    import sys

    from app.core.aws.sessions import api
    from app.core.errors import GangwayError

    calls = api.as_calls(ssm)
    found = {}
    for state in ("Active", "History"):
        resp = calls.call("DescribeSessions", {"State": state, "Filters": [
            {"key": "SessionId", "value": session_id}]}, f"Looking up session {session_id}")
        if resp.get("Sessions"):
            found = dict(resp["Sessions"][0])
            break
    from app.core.display import printable

    shown = printable(session_id)  # typed by the user, echoed to a terminal
    if not found:
        raise GangwayError(f"No session {shown} in {calls.region} for profile '{profile}'.",
                           "List yours with `gangway sessions` (add --region if it was "
                           "elsewhere).")
    if state == "History":
        print(f"Session {shown} had already ended ({found.get('Status', 'Terminated')}); "
              "nothing to do.", file=sys.stderr)
        return 1
    api.terminate_session(ssm, session_id)
    print(f"Terminated {shown}.")
    return 0
