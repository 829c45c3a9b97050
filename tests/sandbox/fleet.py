"""The seeded fleet: a deterministic set of EC2 instances and SSM managed nodes.

``plan_fleet`` decides every node from a seeded RNG (no ids yet); ``seed_fleet`` runs inside the
sandbox server process, creates the instances in moto in batches and fills the gateway's SSM table;
``Fleet`` is the description tests use to compute expectations.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
BENCH_REGIONS = (*DEFAULT_REGIONS, "eu-central-1")
DEFAULT_SIZE = 300

LATEST_AGENT = "3.3.1142.0"
# Thresholds the app cares about: SSH needs >= 2.3.672.0, remote-host forwarding >= 3.1.1374.0.
SSH_MIN_AGENT = "2.3.672.0"
REMOTE_HOST_MIN_AGENT = "3.1.1374.0"
AGENTS_NEW = (LATEST_AGENT, "3.2.2303.0", "3.1.1732.0")
AGENT_TOO_OLD_FOR_REMOTE_HOST = ("3.0.1124.0", "2.3.1319.0")
AGENT_TOO_OLD_FOR_SSH = ("2.3.612.0", "2.2.800.0")

LINUX_AMI = "ami-760aaa0f"  # moto's bundled Amazon Linux image
WINDOWS_AMI = "ami-1ecc1e67"  # moto's bundled Windows Server 2012 R2 image (Platform=windows)

HOSTILE_NAMES = (
    "it's-a-trap",
    'say "hello"',
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "a; rm -rf /tmp/x",
    "line1\nline2",
    "<b>bold</b>",
    "n" * 255,
    "日本語サーバー",
    "émoji-🚀-host",
    "%PATH% & calc",
    "-oProxyCommand=sh",
)

# Well-known nodes tests look up by name: (name, region, platform, state, ping, agent, extra tags)
KNOWN: tuple[tuple[str, str, str, str, str | None, str, dict[str, str]], ...] = (
    (
        "web-1.prod",
        "us-east-1",
        "Linux",
        "running",
        "Online",
        LATEST_AGENT,
        {"Environment": "prod"},
    ),
    (
        "web-2.prod",
        "eu-west-1",
        "Linux",
        "running",
        "Online",
        LATEST_AGENT,
        {"Environment": "prod"},
    ),
    (
        "bastion",
        "us-east-1",
        "Linux",
        "running",
        "Online",
        LATEST_AGENT,
        {"Purpose": "jumpbox", "Environment": "prod"},
    ),
    (
        "bastion-eu",
        "eu-west-1",
        "Linux",
        "running",
        "Online",
        "3.2.2303.0",
        {"Purpose": "jumpbox", "Environment": "staging"},
    ),
    (
        "db-1.staging",
        "ap-southeast-2",
        "Linux",
        "running",
        "Online",
        LATEST_AGENT,
        {"Environment": "staging"},
    ),
    (
        "win-1.prod",
        "us-east-1",
        "Windows",
        "running",
        "Online",
        LATEST_AGENT,
        {"Environment": "prod"},
    ),
    (
        "old-agent-ssh",
        "us-east-1",
        "Linux",
        "running",
        "Online",
        "2.3.612.0",
        {"Environment": "staging"},
    ),
    (
        "old-agent-remote",
        "us-east-1",
        "Linux",
        "running",
        "Online",
        "3.0.1124.0",
        {"Environment": "staging"},
    ),
    (
        "offline-1",
        "us-east-1",
        "Linux",
        "running",
        "ConnectionLost",
        LATEST_AGENT,
        {"Environment": "prod"},
    ),
    (
        "stopped-1",
        "us-east-1",
        "Linux",
        "stopped",
        "ConnectionLost",
        LATEST_AGENT,
        {"Environment": "prod"},
    ),
    ("unmanaged-1", "us-east-1", "Linux", "running", None, "", {"Environment": "prod"}),
)

# Hybrid (on-premises) nodes: in SSM only, never in EC2.
HYBRID: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    ("mi-0123456789abcdef0", "us-east-1", "onprem-db", "Online", {"Environment": "prod"}),
    (
        "mi-0fedcba9876543210",
        "eu-west-1",
        "lab-raspberry",
        "ConnectionLost",
        {"Environment": "staging"},
    ),
    ("mi-00000000000000001", "us-east-1", "retired-box", "Inactive", {"Environment": "staging"}),
    ("mi-0abcdef0123456789", "ap-southeast-2", "onprem-jump", "Online", {"Purpose": "jumpbox"}),
)


@dataclass
class Node:
    instance_id: str
    region: str
    name: str
    tags: dict[str, str]
    platform: str  # Linux | Windows
    state: str  # running | stopped (EC2); "hybrid" for mi- nodes
    ping: str | None  # Online | ConnectionLost | Inactive; None = not a managed node
    agent_version: str
    hybrid: bool = False
    private_ip: str = ""
    platform_name: str = ""
    platform_version: str = ""
    computer_name: str = ""

    @property
    def managed(self) -> bool:
        return self.ping is not None

    def ssm_info(self, last_ping: float) -> dict[str, Any]:
        """The node as DescribeInstanceInformation shows it (real field names)."""
        info: dict[str, Any] = {
            "InstanceId": self.instance_id,
            "PingStatus": self.ping,
            "LastPingDateTime": last_ping,
            "AgentVersion": self.agent_version,
            "IsLatestVersion": self.agent_version == LATEST_AGENT,
            "PlatformType": self.platform,
            "PlatformName": self.platform_name,
            "PlatformVersion": self.platform_version,
            "ResourceType": "ManagedInstance" if self.hybrid else "EC2Instance",
            "IPAddress": self.private_ip,
            "ComputerName": self.computer_name,
            "AssociationStatus": "Success",
        }
        if self.hybrid:
            info["Name"] = self.name
            info["RegistrationDate"] = last_ping - 86400 * 30
            info["ActivationId"] = "e488f2f6-e686-4afb-8a04-ef6dfEXAMPLE"
            info["IamRole"] = "service-role/AmazonEC2RunCommandRoleForManagedInstances"
        return info


@dataclass
class Fleet:
    nodes: list[Node] = field(default_factory=list)
    regions: tuple[str, ...] = DEFAULT_REGIONS
    seed_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "regions": list(self.regions),
            "seed_seconds": self.seed_seconds,
            "nodes": [asdict(n) for n in self.nodes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fleet:
        return cls(
            nodes=[Node(**n) for n in data["nodes"]],
            regions=tuple(data["regions"]),
            seed_seconds=float(data.get("seed_seconds", 0.0)),
        )

    def by_name(self, name: str) -> Node:
        matches = [n for n in self.nodes if n.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} nodes named {name!r}")
        return matches[0]

    def by_id(self, instance_id: str) -> Node:
        for n in self.nodes:
            if n.instance_id == instance_id:
                return n
        raise KeyError(instance_id)

    def in_region(self, region: str) -> list[Node]:
        return [n for n in self.nodes if n.region == region]

    def ec2(self, region: str | None = None) -> list[Node]:
        return [n for n in self.nodes if not n.hybrid and region in (None, n.region)]

    def managed(self, region: str | None = None) -> list[Node]:
        return [n for n in self.nodes if n.managed and region in (None, n.region)]

    def with_tag(self, key: str, value: str) -> list[Node]:
        return [n for n in self.nodes if n.tags.get(key) == value]


def _platform_details(platform: str, rng: random.Random) -> tuple[str, str]:
    if platform == "Windows":
        return "Microsoft Windows Server 2019 Datacenter", "10.0.17763"
    return rng.choice(
        (
            ("Amazon Linux", "2023"),
            ("Amazon Linux", "2"),
            ("Ubuntu", "22.04"),
            ("Red Hat Enterprise Linux", "9.3"),
        )
    )


def plan_fleet(
    size: int = DEFAULT_SIZE, regions: tuple[str, ...] = DEFAULT_REGIONS, seed: int = 1
) -> list[Node]:
    """Every node of the fleet, decided by a seeded RNG; EC2 ids are filled in by seeding."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    for name, region, platform, state, ping, agent, tags in KNOWN:
        if region in regions:
            nodes.append(
                Node("", region, name, {"Name": name, **tags}, platform, state, ping, agent)
            )
    hostile = list(HOSTILE_NAMES)
    roles = ("web", "api", "worker", "cache", "db", "batch", "search", "queue")
    i = 0
    while len(nodes) < size - len(HYBRID):
        region = regions[i % len(regions)]
        i += 1
        platform = "Windows" if rng.random() < 0.15 else "Linux"
        state = "stopped" if rng.random() < 0.12 else "running"
        env = rng.choice(("prod", "staging"))
        name = hostile.pop(0) if hostile and i % 7 == 3 else f"{rng.choice(roles)}-{i}.{env}"
        tags = {"Name": name, "Environment": env}
        if rng.random() < 0.08:
            tags["Purpose"] = "jumpbox"
        if rng.random() < 0.1:
            tags["Owner"] = rng.choice(("o'brien", 'team "core"', "$(id)", "チーム"))
        roll = rng.random()
        if roll < 0.10:
            ping: str | None = None
        elif state == "stopped" or roll < 0.22:
            ping = "ConnectionLost"
        else:
            ping = "Online"
        agent_roll = rng.random()
        if agent_roll < 0.06:
            agent = rng.choice(AGENT_TOO_OLD_FOR_SSH)
        elif agent_roll < 0.14:
            agent = rng.choice(AGENT_TOO_OLD_FOR_REMOTE_HOST)
        else:
            agent = rng.choice(AGENTS_NEW)
        nodes.append(Node("", region, name, tags, platform, state, ping, agent if ping else ""))
    for iid, region, name, ping, tags in HYBRID:
        if region in regions:
            nodes.append(
                Node(
                    iid,
                    region,
                    name,
                    {"Name": name, **tags},
                    "Linux",
                    "hybrid",
                    ping,
                    "3.2.2303.0",
                    True,
                )
            )
    for n in nodes:
        n.platform_name, n.platform_version = _platform_details(n.platform, rng)
    return nodes


def seed_fleet(
    size: int = DEFAULT_SIZE,
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    seed: int = 1,
) -> Fleet:
    """Create the planned EC2 instances in moto (batched) and return the completed Fleet.

    Runs inside the sandbox server process and talks to moto's in-process EC2 backend: one
    RunInstances per (region, platform, state) group, one StopInstances per stopped group, and
    tags written per instance (EC2 CreateTags applies one tag set per call and every node has
    its own Name). Through the HTTP API the same seeding costs ~15x more (botocore client
    creation and XML rendering/parsing of thousands of instances), for no added fidelity:
    every read afterwards goes through moto's real EC2 API.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random

    started = time.perf_counter()
    mock_random.seed(seed)  # moto's RNG drives instance ids and IPs: stable between runs
    nodes = plan_fleet(size, regions, seed)
    groups: dict[tuple[str, str, str], list[Node]] = defaultdict(list)
    for n in nodes:
        if not n.hybrid:
            groups[(n.region, n.platform, n.state)].append(n)
    for (region, platform, state), members in sorted(groups.items()):
        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        reservation = backend.run_instances(
            WINDOWS_AMI if platform == "Windows" else LINUX_AMI,
            len(members),
            None,
            [],
            instance_type="t3.micro",
            is_instance_type_default=False,
        )
        for node, inst in zip(members, reservation.instances, strict=True):
            node.instance_id = inst.id
            node.private_ip = inst.private_ip_address or ""
            if platform == "Windows":
                node.computer_name = f"EC2AMAZ-{node.instance_id[-7:].upper()}"
            else:
                domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
                node.computer_name = f"ip-{node.private_ip.replace('.', '-')}.{domain}"
            backend.create_tags([node.instance_id], dict(node.tags))
        if state == "stopped":
            backend.stop_instances([n.instance_id for n in members])
    for i, n in enumerate(nodes):
        if n.hybrid:
            n.private_ip = f"192.168.1.{10 + i % 200}"
            n.computer_name = n.name
    return Fleet(nodes, tuple(regions), time.perf_counter() - started)
