"""Synthetic instance rows, built with the real core code (join-free, for model/view tests)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from app.core.aws.discovery.permissions import Access, Permission
from app.core.aws.discovery.rows import InstanceRow, finish

if TYPE_CHECKING:
    from app.core.paths import Paths
    from app.ui.panes.instances_pane import InstancesPane
    from app.ui.tasks import TaskRunner

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1")
ROLES = ("web", "api", "worker", "cache", "db", "batch", "search", "queue")


def make_row(name: str, *, region: str = "us-east-1", n: int = 0, state: str = "running",
             ping: str = "Online", agent: str = "3.3.1142.0", platform: str = "Linux",
             access: Access = Access.ALLOWED, tags: dict[str, str] | None = None,
             public_ip: str = "") -> InstanceRow:
    all_tags = {"Name": name, **(tags or {})}
    row = InstanceRow(
        instance_id=f"i-{n:017x}", name=name, region=region, az=region + "a", state=state,
        platform=platform, private_ip=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
        private_dns=f"ip-10-0-{n % 256}.internal", public_ip=public_ip,
        ping_status=ping if ping else "", agent_version=agent if ping else "",
        tags=tuple(sorted(all_tags.items())), managed=bool(ping))
    reason = "" if access is Access.ALLOWED else "test verdict"
    return finish(row, Permission(access, reason))


def fleet(size: int, seed: int = 7) -> list[InstanceRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(size):
        env = rng.choice(("prod", "staging"))
        name = f"{rng.choice(ROLES)}-{n}.{env}"
        roll = rng.random()
        rows.append(make_row(
            name, region=REGIONS[n % len(REGIONS)], n=n,
            state="stopped" if roll < 0.1 else "running",
            ping="" if roll > 0.92 else ("ConnectionLost" if roll < 0.2 else "Online"),
            access=Access.DENIED if rng.random() < 0.1 else Access.ALLOWED,
            tags={"Environment": env}))
    return rows


def instances_pane(runner: TaskRunner, paths: Paths, **kwargs: Any) -> InstancesPane:
    """An Instances pane on real core services: the sandbox's profiles, our favourites file."""
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.discovery.permissions import PermissionCache
    from app.core.secrets import MemoryStore
    from app.core.ssh.favourites import Favourites
    from app.ui.panes.instances_pane import InstancesPane

    return InstancesPane(runner, CredentialService(MemoryStore()), Favourites(paths.data_dir),
                         PermissionCache(), **kwargs)
