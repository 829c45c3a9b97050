"""What discovery produces: one frozen row per instance, per-region results, the inventory.

`join` merges an EC2 record and an SSM node by id (hybrid `mi-` nodes have only the latter);
`finish` attaches the permission verdict and the capabilities that follow from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.core.aws.discovery.capabilities import Capabilities, capabilities_for
from app.core.aws.discovery.permissions import Access, Permission, Principal, TagSet
from app.core.errors import GangwayError


@dataclass(frozen=True, slots=True)
class InstanceRow:
    instance_id: str
    name: str
    region: str
    az: str = ""
    state: str = ""  # EC2 state; "" for hybrid nodes
    platform: str = ""  # Linux | Windows | MacOS
    private_ip: str = ""
    private_dns: str = ""
    public_ip: str = ""
    ping_status: str = ""  # Online | ConnectionLost | Inactive; "" = not managed
    agent_version: str = ""
    last_ping: datetime | None = None
    tags: TagSet = ()
    managed: bool = False
    resource_type: str = "EC2Instance"  # or ManagedInstance (hybrid)
    platform_name: str = ""
    permission: Permission = field(
        default_factory=lambda: Permission(Access.UNKNOWN, "not checked"))
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def hybrid(self) -> bool:
        return self.resource_type == "ManagedInstance"

    @property
    def connectable(self) -> bool:
        return self.capabilities.connectable

    def tag(self, key: str) -> str | None:
        for k, v in self.tags:
            if k == key:
                return v
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id, "name": self.name, "region": self.region,
            "az": self.az, "state": self.state, "platform": self.platform,
            "platform_name": self.platform_name, "private_ip": self.private_ip,
            "private_dns": self.private_dns, "public_ip": self.public_ip,
            "managed": self.managed, "resource_type": self.resource_type,
            "ping_status": self.ping_status, "agent_version": self.agent_version,
            "last_ping": self.last_ping.isoformat() if self.last_ping else None,
            "tags": dict(self.tags),
            "permission": {"access": self.permission.access.value,
                           "reason": self.permission.reason},
            "connectable": self.connectable,
            "capabilities": {c.action.value: {"ok": c.ok, "reason": c.reason}
                             for c in self.capabilities.items},
        }


@dataclass(frozen=True)
class RegionResult:
    region: str
    rows: tuple[InstanceRow, ...] = ()
    error: GangwayError | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Inventory:
    results: list[RegionResult] = field(default_factory=list)
    principal: Principal | None = None
    permission_note: str = ""  # why permissions are unknown, when they are
    cancelled: bool = False
    simulate_calls: int = 0

    @property
    def rows(self) -> list[InstanceRow]:
        return [row for r in self.results for row in r.rows]

    @property
    def errors(self) -> list[RegionResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def any_ok(self) -> bool:
        return any(r.ok for r in self.results)


def tagset(tags: Sequence[dict[str, Any]]) -> TagSet:
    return tuple(sorted((str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags))


def join(region: str, instances: list[dict[str, Any]], nodes: list[dict[str, Any]],
         hybrid_tags: dict[str, TagSet]) -> list[InstanceRow]:
    """EC2 records and SSM nodes joined by id (no permissions yet)."""
    info = {str(n.get("InstanceId", "")): n for n in nodes}
    rows: list[InstanceRow] = []
    for inst in instances:
        iid = str(inst.get("InstanceId", ""))
        node = info.pop(iid, None)
        tags = tagset(inst.get("Tags", []))
        ec2_platform = "Windows" if str(inst.get("Platform", "")).lower() == "windows" else "Linux"
        rows.append(InstanceRow(
            instance_id=iid,
            name=dict(tags).get("Name", ""),
            region=region,
            az=str(inst.get("Placement", {}).get("AvailabilityZone", "")),
            state=str(inst.get("State", {}).get("Name", "")),
            platform=str(node.get("PlatformType") or ec2_platform) if node else ec2_platform,
            private_ip=str(inst.get("PrivateIpAddress", "")),
            private_dns=str(inst.get("PrivateDnsName", "")),
            public_ip=str(inst.get("PublicIpAddress", "")),
            ping_status=str(node.get("PingStatus", "")) if node else "",
            agent_version=str(node.get("AgentVersion", "")) if node else "",
            last_ping=_when(node.get("LastPingDateTime")) if node else None,
            tags=tags,
            managed=node is not None,
            resource_type="EC2Instance",
            platform_name=str(node.get("PlatformName", "")) if node else str(
                inst.get("PlatformDetails", "")),
        ))
    for iid, node in info.items():  # hybrid nodes, and managed instances EC2 did not list
        tags = hybrid_tags.get(iid, ())
        rows.append(InstanceRow(
            instance_id=iid,
            name=str(node.get("Name") or dict(tags).get("Name") or node.get("ComputerName", "")),
            region=region,
            platform=str(node.get("PlatformType", "")),
            private_ip=str(node.get("IPAddress", "")),
            private_dns=str(node.get("ComputerName", "")),
            ping_status=str(node.get("PingStatus", "")),
            agent_version=str(node.get("AgentVersion", "")),
            last_ping=_when(node.get("LastPingDateTime")),
            tags=tags,
            managed=True,
            resource_type=str(node.get("ResourceType") or "ManagedInstance"),
            platform_name=str(node.get("PlatformName", "")),
        ))
    return rows


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def finish(row: InstanceRow, permission: Permission) -> InstanceRow:
    """The row with its permission verdict and the capabilities that follow."""
    caps = capabilities_for(platform=row.platform, state=row.state, managed=row.managed,
                            ping_status=row.ping_status, agent_version=row.agent_version,
                            permission=permission,
                            last_ping=None if row.ping_status == "Online" else row.last_ping)
    return replace(row, permission=permission, capabilities=caps)
