"""Favourite instances (the Instances pane's star) as ssh aliases for the managed config block.

Names come from AWS (the Name tag); they are hostile and are sanitised by `config_block`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from app.core.aws.client import client, translate
from app.core.ssh.config_block import Alias
from app.core.store import JsonStore


class Favourites:
    """`<data_dir>/favourites.json`, `{"instances": [[region, instance_id], ...]}`: the only
    reader and writer of that file (the Instances pane's star, the ssh aliases)."""

    def __init__(self, data_dir: Path) -> None:
        self.store = JsonStore(data_dir / "favourites.json")

    def load(self) -> set[tuple[str, str]]:
        """(region, instance_id) pairs; an unreadable file means no favourites."""
        try:
            doc = self.store.load()
        except OSError:
            return set()
        items = doc.get("instances", [])
        return {(i[0], i[1]) for i in items if isinstance(items, list)
                and isinstance(i, list) and len(i) == 2 and all(isinstance(x, str) for x in i)}

    def save(self, favourites: Iterable[tuple[str, str]]) -> None:
        self.store.save({"instances": [list(k) for k in sorted(favourites)]})


def load_favourites(data_dir: Path) -> list[tuple[str, str]]:
    """The favourites, sorted (for the ssh-config verb)."""
    return sorted(Favourites(data_dir).load())


def names_for(session: Any, favourites: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """instance_id -> (region, Name tag) from DescribeInstances / DescribeInstanceInformation."""
    by_region: dict[str, list[str]] = defaultdict(list)
    for region, iid in favourites:
        by_region[region].append(iid)
    out: dict[str, tuple[str, str]] = {}
    for region, ids in by_region.items():
        try:
            out.update((iid, (region, name)) for iid, name in _names(session, region, ids))
        except Exception as exc:
            raise translate(exc, f"Reading favourite names in {region}") from exc
    return out


def _names(session: Any, region: str, ids: list[str]) -> Iterator[tuple[str, str]]:
    """(instance id, Name) for the named ones among `ids`, EC2 and hybrid alike."""
    ec2_ids = [i for i in ids if i.startswith("i-")]
    if ec2_ids:
        pages = client(session, "ec2", region).get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-id", "Values": ec2_ids}])
        for page in pages:
            for res in page.get("Reservations", []):
                for inst in res.get("Instances", []):
                    name = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}.get("Name")
                    if name:
                        yield inst["InstanceId"], name
    hybrid = [i for i in ids if i.startswith("mi-")]
    if hybrid:
        pages = client(session, "ssm", region).get_paginator(
            "describe_instance_information").paginate(
                Filters=[{"Key": "InstanceIds", "Values": hybrid}])
        for page in pages:
            for info in page.get("InstanceInformationList", []):
                if info.get("Name"):
                    yield info["InstanceId"], str(info["Name"])


def aliases(names: dict[str, tuple[str, str]],
            proxy_for_region: Callable[[str], str | None]) -> list[Alias]:
    """Alias per named favourite; `proxy_for_region` gives a ProxyCommand for a region that
    differs from the default one (or None to use the default)."""
    return [Alias(name, iid, proxy_for_region(region))
            for iid, (region, name) in sorted(names.items(), key=lambda kv: kv[1][1])]
