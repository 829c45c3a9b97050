"""`gangway mfa-prompt`: the small MFA dialog `gangway credentials` shows when no window runs.

Internal: started by the credentials helper in a child process (so Qt's own messages never
reach the helper's stderr); prints the code on stdout, exits 1 on cancel. A verb, rather than
`python -m`, so frozen builds can start it too.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--role", default="")
    parser.add_argument("--attempt", type=int, default=1)
    parser.add_argument("--error", default="")


def run(args: argparse.Namespace) -> int:
    from app.ui.dialogs.mfa_prompt_cli import main

    argv = ["--profile", args.profile, "--serial", args.serial, "--attempt", str(args.attempt)]
    if args.role:
        argv += ["--role", args.role]
    if args.error:
        argv += ["--error", args.error]
    return main(argv)
