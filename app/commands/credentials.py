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
    from app.core.aws.credentials.types import CACHE_PREFIX, KEYS_PREFIX, Credentials
    from app.core.secrets import SERVICE, secret_service_get_many

    # The hot path (every ssh connection): the Secret Service read directly, one connection,
    # before anything heavier (the keyring library, a whole ProfileSet): the cache entry, or
    # when there is none, the protected keys.
    text, keys = secret_service_get_many(SERVICE, (CACHE_PREFIX + name, KEYS_PREFIX + name),
                                         first=True)
    if text:
        try:
            cached = Credentials.from_json(text)
        except ValueError:
            cached = None
        if cached is not None and cached.usable_temporary():
            return cached  # the caller parsed the files already; a cache hit reads neither
    from app.core.aws.profiles import reader, strict
    from app.core.errors import KeyringUnavailableError
    from app.core.secrets import open_secret_store

    # The caller (the AWS CLI, an SDK) refuses a file botocore cannot parse; so do we, before
    # any AWS call, rather than hand out credentials for a profile it may have misread.
    strict.require_readable(*reader.config_paths())
    if keys and reader.plain_protected(name):
        try:
            return Credentials.from_json(keys)  # long-term keys: no MFA, no role, no AWS call
        except ValueError:
            pass  # the full path below says what is wrong with the entry
    from app.commands import context
    from app.core.aws.credentials.source import CliCredentialSource

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
