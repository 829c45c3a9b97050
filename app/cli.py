"""Command-line verbs. Each verb lives in `app.commands.<verb>` with `add_arguments` and `run`.

Only the verb being run is imported, so `gangway credentials` (run by ssh and the AWS CLI on
every connection) stays fast and never loads Qt or boto3 on a cache hit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# verb -> one-line help. The module is app.commands.<verb with - as _>.
VERBS: dict[str, str] = {
    "doctor": "check prerequisites (AWS CLI, session-manager-plugin, OpenSSH, keyring, terminals)",
    "instances": "list the instances a profile may reach, across regions (table or --json)",
    "credentials": "print a profile's credentials for credential_process (AWS CLI, SDKs)",
    "profiles": "list AWS profiles with their kind, region and credential state",
    "mfa-prompt": "show the MFA code dialog (used by `gangway credentials`)",
    "proxy": "ssh ProxyCommand over SSM: start a session and bridge ssh to the instance",
    "session": "open an SSM shell session on this terminal",
    "sessions": "list active or recent SSM sessions (merged with Gangway's history)",
    "ssh-config": "print, install or uninstall the Gangway block in ~/.ssh/config",
    "tunnel": "saved port forwards over SSM: add, list, up/down in the app, run in the foreground",
}


def _module(verb: str) -> ModuleType:
    return importlib.import_module("app.commands." + verb.replace("-", "_"))


class _VersionAction(argparse.Action):
    """--version, resolved only when asked (package metadata lookups are slow)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        from app import __version__

        print(f"gangway {__version__}")
        parser.exit()


def build_parser(only: str | None = None, *, verbs: bool = True) -> argparse.ArgumentParser:
    """The parser; `only`: the one verb whose module (and arguments) is loaded (None: all);
    `verbs=False`: the window's options alone, for an argv with no word and no --help."""
    parser = argparse.ArgumentParser(
        prog="gangway",
        description="SSH, shells and tunnels over AWS Systems Manager Session Manager. "
        "Without a command, opens the Gangway window.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--minimized", action="store_true",
                        help="start in the tray without opening the window (start at login)")
    if not verbs:
        parser.set_defaults(verb=None)
        return parser
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb, help_text in VERBS.items():
        if only is not None and verb != only:
            sub.add_parser(verb, help=help_text)
            continue
        verb_parser = sub.add_parser(verb, help=help_text, description=help_text)
        _module(verb).add_arguments(verb_parser)
    return parser


def first_verb(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if arg in VERBS:
            return arg
        if not arg.startswith("-"):
            return None
    return None


def parse(argv: Sequence[str]) -> argparse.Namespace:
    verb = first_verb(argv)
    # With a verb, only that verb's module is imported; without one (the window, or
    # --help, which lists the verbs by their one-line help) none is. `gangway` alone (or
    # with window options) builds no verb's parser at all: argparse's ~0.3 ms each.
    words = [a for a in argv if not a.startswith("-") or a in ("-h", "--help")]
    return build_parser(only=verb or "", verbs=bool(words)).parse_args(list(argv))


def _show_notices() -> None:
    """Core's notices for the person waiting go to stderr: retries (`gangway.retries`) and
    one-line notices a verb words itself (`gangway.notice`, e.g. a keyless push refused)."""
    import logging

    for name, form in (("gangway.retries", "gangway: %(message)s"),
                       ("gangway.notice", "%(message)s")):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(form))
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def run_verb(args: argparse.Namespace) -> int:
    """Run the verb; any GangwayError or OSError is one escaped line on stderr, exit 1."""
    from app.core.errors import GangwayError

    _show_notices()

    try:
        code = int(_module(args.verb).run(args))
        sys.stdout.flush()  # a closed pipe (`| head`) surfaces here, not at exit
        return code
    except BrokenPipeError:
        # The reader went away (`gangway profiles --json | head`): stop quietly, as `cat`
        # does. stdout is pointed at devnull so the interpreter's final flush cannot fail.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the pipe
    except GangwayError as exc:
        message = exc.one_line()
    except OSError as exc:
        message = os_error_line(exc)
    except KeyboardInterrupt:
        return 130
    from app.core.display import one_line

    print(one_line(f"gangway {args.verb}: {message}"), file=sys.stderr)
    return 1


def os_error_line(exc: OSError) -> str:
    """`Permission denied: /home/u/.ssh/config`: what the OS said, and about which file."""
    what = exc.strerror or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{what}: {' -> '.join(names)}" if names else f"{what} ({exc})"
