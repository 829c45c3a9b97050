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
    parser.add_argument("--keyless", action="store_true",
                        help="keyless SSH: EC2 hosts use Gangway's ephemeral key, pushed for "
                        "60 s with EC2 Instance Connect on each connection (built-in mode)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--print", action="store_true", help="print the block (default)")
    what.add_argument("--install", action="store_true", help="install or update the block")
    what.add_argument("--uninstall", action="store_true", help="remove exactly what was added")
    what.add_argument("--rotate-key", action="store_true",
                      help="replace Gangway's ephemeral SSH key now (it is also replaced "
                      "after 24 hours, at the next connection)")


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
        return proxy_command(mode, args.profile, region)  # keyless: render adds the push

    return favourites.aliases(names, proxy_for)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.core.display import one_line
    from app.core.errors import GangwayError
    from app.core.ssh import config_block
    from app.core.ssh.proxycommand import Mode, proxy_command

    path = Path(args.config).expanduser() if args.config else Path.home() / ".ssh" / "config"
    if args.rotate_key:
        return _rotate()
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
    keyless = None
    if args.keyless:
        if mode is Mode.CLI:
            raise GangwayError("Keyless SSH needs Gangway's built-in ProxyCommand.",
                               "Leave out --mode cli.")
        from app.commands import context
        from app.core.ssh.ephemeral import EphemeralKey

        # Made now, so ssh finds the key when it starts (it reads it before its proxy runs).
        pair = EphemeralKey(context.paths().data_dir).ensure()
        keyless = config_block.Keyless(str(pair.private_path))
    rendered = config_block.render(pc, aliases, keyless=keyless)
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


def _rotate() -> int:
    from app.commands import context
    from app.core.procs import output_of, which
    from app.core.ssh.ephemeral import EphemeralKey

    pair = EphemeralKey(context.paths().data_dir).rotate()
    keygen = which("ssh-keygen")
    # The fingerprint of the public half only; the private key is never printed.
    fingerprint = output_of([keygen, "-l", "-f", str(pair.private_path) + ".pub"]) if keygen \
        else None
    from app.core.display import one_line

    print(one_line(f"New Gangway SSH key: {fingerprint or pair.key_type} "
                   f"({pair.private_path})."))
    print("Keys pushed before stay valid on instances for at most 60 seconds.")
    return 0
