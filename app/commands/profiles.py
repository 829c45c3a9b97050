"""`gangway profiles`: every AWS profile with its kind, region and credential state.

`gangway profiles protect|unprotect|login|check|add|remove NAME` are the Profiles pane's
actions (`app.commands.profile_verbs`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.profiles.view import ProfilesView


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from app.commands import profile_verbs

    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--check", action="store_true",
                        help="ask AWS (sts:GetCallerIdentity) whether long-term keys work")
    profile_verbs.add_arguments(parser.add_subparsers(dest="action", metavar="ACTION"))


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None):
        from app.commands import profile_verbs

        return profile_verbs.run(args)
    import sys

    from app.commands.table import format_table
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.profiles import view as views
    from app.core.aws.profiles.reader import load_profiles
    from app.core.display import json_text, printable
    from app.core.secrets import open_secret_store

    profiles = load_profiles()
    service = CredentialService(open_secret_store(), loader=lambda: profiles)
    view = views.load_view(service)
    if args.check:
        view = _check_keys(service, view)
    rows = []
    for row in view.rows:
        p, status = row.profile, row.status
        rows.append({"name": p.name, "kind": p.kind.value, "region": p.region or "",
                     "state": status.state.name, "state_text": views.row_state_text(row),
                     "advice": views.advice_text(row),
                     "expires": status.expires.isoformat() if status.expires else None,
                     "account": row.identity.account if row.identity else None,
                     "error": p.error, "active": row.active})
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
        for r in rows:
            if r["advice"] and r["state"] != "UNKNOWN":
                print(printable(f"{r['name']}: {r['advice']}"))
        for problem in profiles.problems:
            print(f"warning: {problem.one_line()}", file=sys.stderr)
    return 0


def _check_keys(service: CredentialService, view: ProfilesView) -> ProfilesView:
    """The window's quiet identity check, for every row with unchecked long-term keys."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from app.core.aws.profiles import view as views
    from app.core.errors import GangwayError

    def check(name: str) -> None:
        with contextlib.suppress(GangwayError):  # recorded by the service; the row says why
            service.identity(name)

    names = [r.name for r in view.rows if views.needs_check(r)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(check, names))
    for name in names:
        view = views.refreshed(view, service, name)
    return view
