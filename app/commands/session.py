"""`gangway session`: an SSM shell on this terminal (what the Shell action runs in a terminal)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="AWS profile to use")
    parser.add_argument("--region", help="region of the instance (default: the profile's)")
    parser.add_argument("--target", required=True, help="instance id or Name tag")
    parser.add_argument("--document", help="SSM document (default: the account's shell "
                        "document; e.g. AWS-StartInteractiveCommand)")
    parser.add_argument("--parameters", help='document parameters as JSON, e.g. '
                        '\'{"command": ["top"]}\'')
    parser.add_argument("--reason", help="reason recorded with the session (audit)")


def parse_parameters(text: str | None) -> dict[str, list[str]] | None:
    import json

    from app.core.errors import GangwayError

    if not text:
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise GangwayError(f"--parameters is not valid JSON ({exc}).",
                           'Write it like {"command": ["top"]}.') from exc
    if not isinstance(doc, dict):
        raise GangwayError("--parameters must be a JSON object.",
                           'Write it like {"command": ["top"]}.')
    out: dict[str, list[str]] = {}
    for key, value in doc.items():
        values = value if isinstance(value, list) else [value]
        out[str(key)] = [str(v) for v in values]
    return out


def run(args: argparse.Namespace) -> int:
    from app.commands import context
    from app.core.aws.sessions import proxy

    req = proxy.ProxyRequest(profile=args.profile, region=args.region, host=args.target,
                             port=None, document=args.document,
                             parameters=parse_parameters(args.parameters), reason=args.reason)
    return proxy.run(context.source(), req, history=context.history())
