"""basti's `.basti.yaml` (or .yml/.json) connections, as Gangway tunnels.

basti's format (docs/reference/configuration-file.md): `connections: {NAME: {target: TARGET
| TARGET-NAME, localPort: N}}` and `targets: {NAME: TARGET}`, where a TARGET is one of
`customTargetHost`+`customTargetPort` (+`customTargetVpc`), `rdsInstance`, `rdsCluster`,
`elasticache*`, with optional `awsProfile`/`awsRegion`. basti reaches them through its bastion
instance (Name tag `basti-instance-<id>`, an id the file does not hold), so the import needs
that target given (`gangway tunnel import .basti.yaml --target basti-instance-1a2b3c4d`).

Custom targets import fully. RDS and ElastiCache targets name a resource, not a host and
port; Gangway needs the endpoint, so those are skipped with a sentence saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.errors import ConfigFileError
from app.core.tunnels.spec import TunnelError, TunnelSpec

_RESOURCE_KEYS = ("rdsInstance", "rdsCluster", "elasticacheRedisCluster",
                  "elasticacheRedisNode", "elasticacheMemcachedCluster",
                  "elasticacheMemcachedNode")


def parse_basti(text: str, path: Path, *, target: str | None = None,
                profile: str | None = None) -> tuple[list[TunnelSpec], list[str]]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigFileError(path, f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                              mark.line + 1 if mark is not None else None) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("connections"), dict):
        raise ConfigFileError(path, "has no `connections:` map",
                              hint="A basti file lists its connections under `connections:`.")
    raw_targets = doc.get("targets")
    targets: dict[str, Any] = raw_targets if isinstance(raw_targets, dict) else {}
    if not target:
        raise TunnelError(
            f"{path.name} is a basti file: its connections go through basti's bastion instance, "
            "which the file does not name.",
            "Give it with --target (its instance id or Name tag, e.g. basti-instance-1a2b3c4d).")
    specs: list[TunnelSpec] = []
    skipped: list[str] = []
    for key, conn in doc["connections"].items():
        name = str(key)
        if not isinstance(conn, dict):
            skipped.append(f"{name}: not a connection object")
            continue
        tgt: Any = conn.get("target")
        if isinstance(tgt, str):
            tgt = targets.get(tgt)
        if not isinstance(tgt, dict):
            skipped.append(f"{name}: its target is missing or unknown")
            continue
        resource = next((k for k in _RESOURCE_KEYS if k in tgt), None)
        if resource is not None:
            skipped.append(f"{name}: a basti {resource} target ({tgt[resource]!s:.60}) names an "
                           "AWS resource, not a host; add it with `gangway tunnel add "
                           "--remote-host ENDPOINT --remote-port N`")
            continue
        try:
            specs.append(TunnelSpec(
                name=name, profile=str(profile or tgt.get("awsProfile") or "default"),
                target=target,
                remote_host=str(tgt.get("customTargetHost", "")),
                remote_port=int(tgt.get("customTargetPort", 0)),
                local_port=int(conn.get("localPort", 0) or 0),
                region=str(tgt.get("awsRegion", "") or ""), group="basti",
            ).validate())
        except (TunnelError, TypeError, ValueError) as exc:
            why = exc.one_line() if isinstance(exc, TunnelError) else str(exc)
            skipped.append(f"{name}: {why}")
    return specs, skipped
