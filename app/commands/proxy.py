"""`gangway proxy`: the built-in ssh ProxyCommand (`ProxyCommand <gangway> proxy ... %h %p`).

stdin/stdout belong to ssh: nothing is ever printed there. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="AWS profile to use")
    parser.add_argument("--region", help="region of the instance (default: the profile's)")
    parser.add_argument("--document", default="AWS-StartSSHSession",
                        help="SSM document (default: AWS-StartSSHSession)")
    parser.add_argument("--reason", help="reason recorded with the session (audit)")
    parser.add_argument("--push-key", metavar="USER",
                        help="keyless SSH: push Gangway's ephemeral key for this OS user with "
                        "EC2 Instance Connect (valid 60 s) before the session starts (ssh's %%r)")
    parser.add_argument("host", help="instance id (i-..., mi-...) or its Name tag (ssh's %%h)")
    parser.add_argument("port", type=port_number, help="port on the instance (ssh's %%p)")


def port_number(text: str) -> int:
    """A TCP port, 1-65535: checked before any session starts."""
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1-65535")
    return port


def run(args: argparse.Namespace) -> int:
    from app.commands import context
    from app.core.aws.sessions import proxy

    req = proxy.ProxyRequest(profile=args.profile, region=args.region, host=args.host,
                             port=args.port, document=args.document, reason=args.reason,
                             push_key=args.push_key)
    keys = None
    if args.push_key is not None:
        from app.core.ssh.ephemeral import EphemeralKey

        keys = EphemeralKey(context.paths().data_dir)
    return proxy.run(context.source(), req, history=context.history(), keys=keys)
