"""`gangway profiles`: every AWS profile with its kind, region and credential state.

`gangway profiles protect|unprotect|login|check|add|remove NAME` are the Profiles pane's
actions (`app.commands.profile_verbs`).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from app.commands import profile_verbs

    parser.add_argument("--json", action="store_true", help="machine-readable output")
    profile_verbs.add_arguments(parser.add_subparsers(dest="action", metavar="ACTION"))


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None):
        from app.commands import profile_verbs

        return profile_verbs.run(args)
    import sys

    from app.commands.table import format_table
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.credentials.types import CredentialState
    from app.core.aws.profiles.reader import load_profiles
    from app.core.display import json_text, printable
    from app.core.secrets import open_secret_store

    profiles = load_profiles()
    service = CredentialService(open_secret_store(), loader=lambda: profiles)
    rows = []
    for p in profiles:
        status = service.status(p.name, profiles)
        state = status.state.value
        if status.state is CredentialState.VALID_UNTIL and status.expires is not None:
            state = f"valid until {status.expires.astimezone().strftime('%Y-%m-%d %H:%M')}"
        elif status.reason:
            state = f"{state}: {status.reason}"
        rows.append({"name": p.name, "kind": p.kind.value, "region": p.region or "",
                     "state": status.state.name, "state_text": state,
                     "expires": status.expires.isoformat() if status.expires else None,
                     "error": p.error, "active": p.name == profiles.active})
    if args.json:
        print(json_text({"profiles": rows,
                         "problems": [str(e) for e in profiles.problems]}, indent=2))
    else:
        table = [(("* " if r["active"] else "  ") + str(r["name"]), r["kind"], r["region"],
                  r["state_text"]) for r in rows]
        if table:
            print(format_table(("Profile", "Kind", "Region", "Credentials"), table,
                               max_width=110))
        else:
            print(printable(f"No profiles in {profiles.config_path} or "
                            f"{profiles.credentials_path}."))
        for problem in profiles.problems:
            print(f"warning: {problem.one_line()}", file=sys.stderr)
    return 0
