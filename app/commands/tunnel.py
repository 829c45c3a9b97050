"""`gangway tunnel`: saved port forwards over SSM (add, list, remove, up, down, status, run,
import, export).

`up`/`down`/`status` talk to the running window over IPC (starting it if needed for `up`);
`run` is the same supervisor in the foreground, headless, for servers and scripts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.tunnels.book import TunnelBook
    from app.core.tunnels.spec import TunnelSpec


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 65535")
    return value


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", metavar="NAME", help="tunnel names")
    p.add_argument("--group", help="every tunnel of this group")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="save a tunnel")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--profile", required=True, help="AWS profile")
    add.add_argument("--target", required=True,
                     help="instance id (i-..., mi-...), Name tag value, or tag:KEY=VALUE")
    add.add_argument("--remote-port", type=_port, required=True, help="port on the far side")
    add.add_argument("--remote-host", default="",
                     help="a host the instance reaches (RDS, ...): forwards to a remote host")
    add.add_argument("--ssh", action="store_true",
                     help="ssh -L over `gangway proxy` (your SSH key, or keyless): to a port "
                          "on the instance, or on --remote-host as the instance sees it")
    add.add_argument("--ssh-user", default="", metavar="USER",
                     help="with --ssh: the login name (default: ~/.ssh/config's, or yours)")
    add.add_argument("--local-port", type=_port, default=0,
                     help="local port (default: a free one, picked now and kept)")
    add.add_argument("--bind", default="127.0.0.1", help="local address (default 127.0.0.1)")
    add.add_argument("--group", default="", help="group, to switch several at once")
    add.add_argument("--open", default="", metavar="TEMPLATE",
                     help="e.g. 'https://localhost:{port}/' or 'psql -h localhost -p {port}'")
    add.add_argument("--region", default="", help="region (default: the profile's)")
    add.add_argument("--start-at-launch", action="store_true",
                     help="switch it on when Gangway starts")
    add.add_argument("--replace", action="store_true", help="replace a tunnel of that name")
    lst = sub.add_parser("list", help="saved tunnels (local and the team's)")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    rm = sub.add_parser("remove", help="delete a saved tunnel")
    rm.add_argument("name", metavar="NAME")
    for verb, text in (("up", "switch tunnels on in the running Gangway (starts it if needed)"),
                       ("down", "switch tunnels off in the running Gangway")):
        _selection(sub.add_parser(verb, help=text))
    st = sub.add_parser("status", help="what each tunnel in the running Gangway is doing")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    run = sub.add_parser("run", help="run tunnels in the foreground (no window); Ctrl-C stops")
    _selection(run)
    imp = sub.add_parser("import", help="add the tunnels of a file (an export or .basti.yaml)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--target", help="basti files: the bastion (default tag-key:basti:id)")
    imp.add_argument("--profile", help="basti files: the profile for connections without one")
    exp = sub.add_parser("export", help="write the saved tunnels as JSON (no secrets)")
    exp.add_argument("file", type=Path, nargs="?", metavar="FILE", help="default: stdout")


def run(args: argparse.Namespace) -> int:
    from app.commands import tunnel_run

    action: str = args.action
    if action == "run":
        return tunnel_run.run_foreground(args.names, args.group)
    if action in ("up", "down", "status"):
        return tunnel_run.remote(action, getattr(args, "names", []), getattr(args, "group", None),
                                 as_json=getattr(args, "json", False))
    book = _book()
    if action == "add":
        return _add(book, args)
    if action == "list":
        return _list(book, args.json)
    if action == "remove":
        if not book.remove(args.name):
            print(f"gangway tunnel: no tunnel is named {args.name!r}.", file=sys.stderr)
            return 1
        print(f"Removed {args.name}.")
        return 0
    if action == "import":
        result = book.import_file(args.file, target=args.target, profile=args.profile)
        for name in result.added:
            print(f"Added {_clean(name)}.")
        for why in result.skipped:
            print(f"Skipped {_clean(why)}", file=sys.stderr)
        return 0 if result.added or not result.skipped else 1
    if action == "export":
        if args.file is None:
            print(_json(book.export()))
        else:
            book.export_to(args.file)
            print(f"Wrote {len(book.local())} tunnels to {args.file}.")
        return 0
    raise AssertionError(action)


def _book() -> TunnelBook:
    from app.core.tunnels.book import TunnelBook

    return TunnelBook.default()


def _clean(text: object) -> str:
    from app.core.display import printable

    return printable(text)


def _json(value: object) -> str:
    """JSON for the terminal: hostile characters escaped (core.display.json_text)."""
    from app.core.display import json_text

    return json_text(value, indent=2)


def _add(book: TunnelBook, args: argparse.Namespace) -> int:
    from app.core.tunnels.spec import Mode, TunnelSpec, privileged_note

    mode = Mode.SSH if args.ssh else Mode.INSTANCE_PORT  # --remote-host alone: REMOTE_HOST
    spec = TunnelSpec(name=args.name, profile=args.profile, target=args.target,
                      remote_port=args.remote_port, remote_host=args.remote_host,
                      local_port=args.local_port, bind=args.bind, group=args.group,
                      open=args.open, region=args.region, mode=mode, ssh_user=args.ssh_user,
                      start_at_launch=args.start_at_launch)
    saved = book.add(spec, replace=args.replace)
    far = f"{saved.remote_host}:" if saved.remote_host else "port "
    via = " (ssh -L)" if saved.mode is Mode.SSH else ""
    print(f"Saved {_clean(saved.name)}: {saved.bind}:{saved.local_port} -> "
          f"{_clean(saved.target)} {_clean(far)}{saved.remote_port}{via}.")
    note = privileged_note(saved.local_port)
    if note:
        print(note, file=sys.stderr)
    return 0


def _row(spec: TunnelSpec) -> dict[str, Any]:
    return {**spec.to_json(), "local_port": spec.local_port, "document": spec.document}


def _list(book: TunnelBook, as_json: bool) -> int:
    from app.commands.table import format_table
    from app.commands.tunnel_run import catalog_tunnels

    catalog, problems = catalog_tunnels()
    specs = book.all(catalog)
    for why in [*book.problems(), *problems]:
        print(f"gangway tunnel: {_clean(why)}", file=sys.stderr)
    if as_json:
        print(_json([_row(s) for s in specs]))
        return 0
    if not specs:
        print("No tunnels saved. Add one with `gangway tunnel add NAME --profile P "
              "--target TARGET --remote-port N`.")
        return 0
    rows = [(s.name, f"{s.bind}:{s.local_port}", s.target,
             f"{s.remote_host}:{s.remote_port}" if s.remote_host else str(s.remote_port),
             s.profile, s.group, "shared" if s.shared else "", s.open) for s in specs]
    print(format_table(("Name", "Local", "Target", "Remote", "Profile", "Group", "", "Open"),
                       rows))
    return 0
