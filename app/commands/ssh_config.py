"""`gangway ssh-config`: print, install or uninstall the Gangway block in ~/.ssh/config."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="default", help="AWS profile (default: default)")
    parser.add_argument("--region", help="region for `Host i-* mi-*` (default: the profile's)")
    parser.add_argument("--mode", choices=("builtin", "cli"), default="builtin",
                        help="ProxyCommand: Gangway's built-in proxy (default, works with MFA) "
                        "or the AWS CLI's documented form")
    parser.add_argument("--style", choices=("block", "include"), default="block",
                        help="a managed block in the file, or an Include of ~/.ssh/gangway.conf")
    parser.add_argument("--config", help="ssh config file (default: ~/.ssh/config)")
    parser.add_argument("--no-aliases", action="store_true",
                        help="do not add Host aliases for favourite instances")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--print", action="store_true", help="print the block (default)")
    what.add_argument("--install", action="store_true", help="install or update the block")
    what.add_argument("--uninstall", action="store_true", help="remove exactly what was added")


def _aliases(args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    from app.commands import context
    from app.core.ssh import favourites
    from app.core.ssh.proxycommand import Mode, proxy_command

    favs = favourites.load_favourites(context.paths().data_dir)
    if not favs or args.no_aliases:
        return []
    session = context.source().session(args.profile, args.region)
    default_region = args.region or session.region_name
    names = favourites.names_for(session, favs)
    mode = Mode(args.mode)

    def proxy_for(region: str) -> str | None:
        if region == default_region or mode is Mode.CLI:
            return None
        return proxy_command(mode, args.profile, region)

    return favourites.aliases(names, proxy_for)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.core.display import one_line
    from app.core.errors import GangwayError
    from app.core.ssh import config_block
    from app.core.ssh.proxycommand import Mode, proxy_command

    path = Path(args.config).expanduser() if args.config else Path.home() / ".ssh" / "config"
    if args.uninstall:
        res = config_block.uninstall(path)
        print(f"Removed the Gangway block from {path}." if res.changed
              else f"No Gangway block in {path}; nothing changed.")
        if res.backup:
            print(f"Backup: {res.backup}")
        return 0
    from app.commands import context

    context.source().profiles().require(args.profile)  # a block for no profile helps no one
    mode = Mode(args.mode)
    pc = proxy_command(mode, args.profile, args.region, cli_profile_inline=(
        mode is Mode.CLI and args.profile != "default"))
    try:
        aliases = _aliases(args)
    except GangwayError as exc:
        print(f"gangway ssh-config: favourites skipped: {exc.one_line()}", file=sys.stderr)
        aliases = []
    rendered = config_block.render(pc, aliases)
    for skip in rendered.skipped:
        print(one_line(f"gangway ssh-config: skipped favourite {skip.name!r}: {skip.reason}"),
              file=sys.stderr)
    if not args.install:
        print(config_block.BEGIN)
        print(rendered.text, end="")
        print(config_block.END)
        return 0
    style = config_block.Style(args.style)
    res = config_block.install(path, rendered, style)
    if res.changed:
        print(f"Installed the Gangway block in {path}.")
        if res.backup:
            print(f"Backup: {res.backup}")
    else:
        print(f"The Gangway block in {path} is already up to date.")
    return 0
