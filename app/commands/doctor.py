"""`gangway doctor`: a table of prerequisites with status and a hint for each."""

from __future__ import annotations

import argparse
import json

from app.commands.table import format_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from app.commands import context
    from app.core.doctor import essentials_ok, run_checks

    checks = run_checks(context.paths().data_dir)
    ok = essentials_ok(checks)
    if args.json:
        print(json.dumps({"ok": ok, "checks": [
            {"name": c.name, "status": c.status.value, "detail": c.detail, "hint": c.hint,
             "essential": c.essential, "fix": {"commands": list(c.fix.commands),
                                               "links": list(c.fix.links)}}
            for c in checks]}, indent=2))
        return 0 if ok else 1
    rows = [(c.name, c.status.value.upper(), c.detail) for c in checks]
    print(format_table(("Prerequisite", "Status", "Found"), rows, max_width=90))
    hints = [c for c in checks if c.hint]
    if hints:
        print()
        for c in hints:
            print(f"* {c.name}: {c.hint}")
            for line in (*c.fix.commands, *c.fix.links):
                print(f"    {line}")
    print()
    print("Essentials present." if ok else "Some essentials are missing (see hints above).")
    return 0 if ok else 1
