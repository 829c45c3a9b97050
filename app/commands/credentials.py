"""`gangway credentials --profile NAME`: the credential_process helper.

Run by the AWS CLI, the SDKs and the session-manager-plugin on every connection, so a cache
hit reads the keyring and prints, nothing more: no boto3, no Qt. When a code is needed it asks
the running window, else shows its own dialog; it never reads stdin (under ssh, stdin is the
SSH channel). On failure: non-zero exit and one line on stderr (printed by `cli.run_verb`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.aws.credentials.types import Credentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="the profile to print credentials for")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from app.core.errors import GangwayError

    try:
        creds = _credentials(args.profile)
    except GangwayError:
        raise
    except Exception as exc:  # one line, never a traceback, for ssh's stderr
        raise GangwayError(f"{type(exc).__name__}: {exc}") from exc
    sys.stdout.write(json.dumps(creds.process_json()) + "\n")
    return 0


def _credentials(name: str) -> Credentials:
    from app.core.aws.credentials.types import CACHE_PREFIX, Credentials
    from app.core.errors import KeyringUnavailableError
    from app.core.secrets import SERVICE, open_secret_store, secret_service_get

    # The hot path (every ssh connection): usable cached credentials straight from the
    # Secret Service, before anything heavier (the keyring library, the profile files).
    text = secret_service_get(SERVICE, CACHE_PREFIX + name)
    if text:
        try:
            cached = Credentials.from_json(text)
        except ValueError:
            cached = None
        if cached is not None and cached.usable_temporary():
            return cached
    from app.commands import context
    from app.core.aws.credentials.source import CliCredentialSource
    from app.core.aws.profiles import reader, strict

    # The caller (the AWS CLI, an SDK) refuses a file botocore cannot parse; so do we, before
    # any AWS call, rather than hand out credentials for a profile it may have misread.
    strict.require_readable(*reader.config_paths())

    try:
        store = open_secret_store(require_real=True)
    except KeyringUnavailableError as no_keyring:
        # Without an OS keyring the window holds the secrets in memory; only it can answer.
        from app.core.aws.credentials import mfa

        found = mfa.ask_window(context.paths(), name)
        if found is None:
            raise no_keyring
        return found
    return CliCredentialSource(context.paths(), store=store).credentials(name)
