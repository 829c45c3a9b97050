"""`gangway profiles protect|unprotect|login|check|add|remove NAME`: the Profiles pane's actions.

Each verb calls the same core function as the window (`ProfileWriter`, `sso.login`,
`CredentialService.identity`), so scripts, support instructions and headless machines get
exactly what the pane does. Secrets never come from argv: `add --kind static` reads the
secret access key from stdin (or asks for it without echo on a terminal).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.aws.profiles.model import ProfileSet
    from app.core.aws.profiles.writer import ProfileWriter

KINDS = ("static", "role", "sso", "process")


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text,
                                                         description=help_text)
        parser.add_argument("name", metavar="NAME", help="the profile")
        return parser

    verb("protect", "move the profile's keys from ~/.aws/credentials into the OS keyring")
    verb("unprotect", "put the profile's keys back into ~/.aws/credentials")
    login = verb("login", "SSO login (device flow): prints the URL and the code, opens the "
                 "browser where there is one")
    login.add_argument("--no-browser", action="store_true", help="only print the URL and code")
    verb("check", "ask AWS who the profile is (sts:GetCallerIdentity): identity or reason")
    remove = verb("remove", "delete the profile from both files (and its keyring entries)")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add = verb("add", "create a profile of one kind")
    add.add_argument("--kind", choices=KINDS, required=True)
    add.add_argument("--region", help="the profile's default region")
    add.add_argument("--mfa-serial", metavar="ARN", help="static/role: the MFA device's ARN")
    add.add_argument("--access-key-id", help="static: the key id (the secret is read from "
                     "stdin, or asked for on a terminal; never put it on the command line)")
    add.add_argument("--protect", action="store_true",
                     help="static: keep the keys in the OS keyring, not in the file")
    add.add_argument("--role-arn", help="role: the role to assume")
    add.add_argument("--source-profile", help="role: the profile whose credentials assume it")
    add.add_argument("--credential-source", choices=("Environment", "Ec2InstanceMetadata",
                                                     "EcsContainer"), help="role: or this")
    add.add_argument("--external-id", help="role: the external id the role requires")
    add.add_argument("--duration-seconds", type=int, help="role: session length (>= 900)")
    add.add_argument("--sso-session", help="sso: an existing [sso-session NAME]")
    add.add_argument("--sso-start-url", help="sso (legacy, without --sso-session)")
    add.add_argument("--sso-region", help="sso (legacy, without --sso-session)")
    add.add_argument("--sso-account-id", help="sso: the 12-digit account id")
    add.add_argument("--sso-role-name", help="sso: the permission set's role name")
    add.add_argument("--credential-process", metavar="COMMAND",
                     help="process: the command that prints credentials")


def run(args: argparse.Namespace) -> int:
    return int({"protect": _protect, "unprotect": _unprotect, "login": _login,
                "check": _check, "remove": _remove, "add": _add}[args.action](args))


def _profiles() -> ProfileSet:
    from app.core.aws.profiles.reader import load_profiles

    return load_profiles()


def _writer(*, real: bool) -> ProfileWriter:
    from app.core.aws.profiles.writer import ProfileWriter
    from app.core.secrets import open_secret_store

    return ProfileWriter(open_secret_store(require_real=real))


def _shown(name: str) -> str:
    return repr(name)[1:-1]  # typed by the user, echoed to a terminal: escaped


def _protect(args: argparse.Namespace) -> int:
    _writer(real=True).protect_keys(_profiles(), args.name)
    print(f"The keys of {_shown(args.name)} are now in the OS keyring; the credentials file "
          "runs Gangway instead.")
    return 0


def _unprotect(args: argparse.Namespace) -> int:
    _writer(real=True).unprotect_keys(_profiles(), args.name)
    print(f"The keys of {_shown(args.name)} are back in the credentials file.")
    return 0


def _has_browser() -> bool:
    """A graphical browser can open: not on a headless box, where `webbrowser` would start
    a text browser (lynx, w3m) in the very terminal that shows the code."""
    import os

    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _login(args: argparse.Namespace) -> int:
    from app.core.aws.credentials import sso
    from app.core.aws.profiles.model import ProfileKind
    from app.core.errors import ProfileError

    profiles = _profiles()
    profile = profiles.require(args.name)
    if profile.kind is not ProfileKind.SSO:
        raise ProfileError(f"Profile '{_shown(args.name)}' is not an SSO profile.",
                           "`gangway profiles` shows each profile's kind.")
    config = sso.config_for(profiles, profile)
    browser = _has_browser() and not args.no_browser

    def show(device: sso.DeviceAuthorization) -> None:
        print(f"To log in, open {device.verification_uri_complete}")
        print(f"and check that it shows the code {device.user_code}.", flush=True)
        if browser:
            print("Opening your browser…", flush=True)

    token = sso.login(config, on_code=show, open_browser=browser)
    print(f"Logged in to {config.start_url} until "
          f"{token.expires_at.astimezone():%Y-%m-%d %H:%M}.")
    return 0


def _check(args: argparse.Namespace) -> int:
    from app.commands import context
    from app.core.errors import GangwayError

    source = context.source()
    source.profiles().require(args.name)
    try:
        identity = source.service().identity(args.name, refresh=True)
    except GangwayError as exc:
        print(f"{_shown(args.name)}: {exc.one_line()}")
        return 1
    print(f"{_shown(args.name)}: account {identity.account}, {identity.arn}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from app.core.errors import GangwayError

    profiles = _profiles()
    profile = profiles.require(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise GangwayError(f"Removing profile '{_shown(args.name)}' needs --yes "
                               "(no terminal to ask on).")
        extra = " Its keys in the keyring go too." if profile.protected else ""
        answer = input(f"Remove profile {_shown(args.name)} from both files?{extra} [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return 1
    _writer(real=False).delete(profiles, args.name)
    print(f"Deleted profile {_shown(args.name)}.")
    return 0


def _add(args: argparse.Namespace) -> int:
    from app.core.aws.profiles.kinds import values_for

    config, credentials = values_for(args.kind, vars(args), _secret if args.kind == "static"
                                     else None)
    profiles = _writer(real=False).create(_profiles(), args.name, config, credentials)
    if args.protect:
        _writer(real=True).protect_keys(profiles, args.name)
    where = " (keys in the OS keyring)" if args.protect else ""
    print(f"Created profile {_shown(args.name)}{where}.")
    return 0


def _secret() -> str:
    """The secret access key: stdin when it is not a terminal, else asked without echo."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Secret access key: ")
    return sys.stdin.readline().strip()
