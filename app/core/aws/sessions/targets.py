"""Which instance a host names: an instance id, a Name tag, or `tag:KEY=VALUE`.

The boto3 route and the boto3-free route (`sigv4`) answer the same two questions through a
`Lookup`, and the choice among matches is made once, here. `host` is only ever an API filter
value, never shell text.

Choice among several matches: only running EC2 instances (or Online managed nodes) count.
One left: that one. Several left: for ssh (`newest=False`) an error listing them, because
their host keys differ and ssh would connect to whichever came first; for tunnels
(`newest=True`) the most recently launched, so a replaced instance is found again. The
candidates are told to the caller (`Resolved`), so a tunnel can show how it chose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.core.errors import AwsError, GangwayError

INSTANCE_ID = re.compile(r"(?:i-[0-9a-f]{8}(?:[0-9a-f]{9})?|mi-[0-9a-f]{17})")
LIVE_STATES = ("pending", "running", "stopping", "stopped")
_TAG = re.compile(r"tag:(?P<key>[^=]{1,128})=(?P<value>.{0,256})", re.S)
_USABLE = ("running", "Online")


@dataclass(frozen=True)
class Match:
    instance_id: str
    state: str  # EC2 state name, or the node's PingStatus
    launched: datetime | None = None
    zone: str | None = None  # Availability Zone (EC2 instances; keyless SSH needs it)


@dataclass(frozen=True)
class Resolved:
    instance_id: str
    matches: tuple[Match, ...] = field(default=())  # all candidates, when a lookup was made

    @property
    def zone(self) -> str | None:
        """The chosen instance's Availability Zone, when the lookup told it."""
        return next((m.zone for m in self.matches if m.instance_id == self.instance_id), None)

    @property
    def note(self) -> str:
        """"" for an id; otherwise how it was chosen, in user words."""
        if len(self.matches) <= 1:
            return ""
        return f"newest running of {len(self.matches)} matches"


class Lookup(Protocol):
    """EC2 instances and SSM managed nodes with a given tag, in one region."""

    region: str

    def instances(self, key: str, value: str, states: tuple[str, ...]) -> list[Match]:
        """EC2 instances whose tag `key` is `value`, in one of `states` (all pages)."""
        ...

    def nodes(self, key: str, value: str) -> list[Match]:
        """Managed (hybrid) nodes whose tag `key` is `value` (all pages)."""
        ...

    def state(self, instance_id: str) -> str | None:
        """The EC2 state of `instance_id`; None when EC2 has no such instance (or cannot say)."""
        ...


def parse(host: str) -> tuple[str, str] | None:
    """(tag key, value) a host names, or None for an instance id."""
    if INSTANCE_ID.fullmatch(host):
        return None
    tag = _TAG.fullmatch(host)
    if tag:
        return tag["key"], tag["value"]
    return "Name", host


def resolve(lookup: Lookup, host: str, *, newest: bool = False) -> Resolved:
    """The instance `host` names (see the module docstring for the choice)."""
    wanted = parse(host)
    if wanted is None:
        return Resolved(host)
    key, value = wanted
    try:
        found = lookup.instances(key, value, LIVE_STATES)
        if not found:
            found = lookup.nodes(key, value)
    except GangwayError:
        raise
    except Exception as exc:
        from app.core.aws.client import translate

        raise translate(exc, f"Looking up the instance named {host!r}") from exc
    return pick(found, host, lookup.region, newest=newest)


def pick(found: list[Match], host: str, region: str, *, newest: bool = False) -> Resolved:
    """The one instance `host` names (see the module docstring); else a clear error."""
    if not found:
        raise AwsError(f"No instance named {host!r} in {region}.",
                       "Use the instance id, or check the region (--region) and the tag.")
    if len(found) == 1:
        return Resolved(found[0].instance_id, tuple(found))
    usable = [m for m in found if m.state in _USABLE]
    if len(usable) == 1:
        return Resolved(usable[0].instance_id, tuple(found))
    if not usable or not newest:
        ids = ", ".join(f"{m.instance_id} ({m.state})" for m in sorted(
            found, key=lambda m: m.instance_id))
        raise AwsError(f"Several instances are named {host!r} in {region}: {ids}.",
                       "Use the instance id instead of the name.")
    epoch = datetime.min.replace(tzinfo=None)

    def launched(m: Match) -> tuple[datetime, str]:
        when = m.launched.replace(tzinfo=None) if m.launched else epoch
        return when, m.instance_id

    chosen = max(usable, key=launched)
    return Resolved(chosen.instance_id, tuple(usable))


def why_not_connected(lookup: Lookup, ssm: Any, instance_id: str) -> str | None:
    """After TargetNotConnected: stopped, not managed or agent offline, as the window says.

    None when it cannot be told (the lookups failed too); the caller keeps AWS's words then.
    """
    from app.core.aws.discovery.capabilities import unreachable_reason
    from app.core.aws.sessions.api import as_calls, as_datetime
    from app.core.errors import AwsError

    try:
        try:
            info = as_calls(ssm).call("DescribeInstanceInformation", {"Filters": [
                {"Key": "InstanceIds", "Values": [instance_id]}]}, "Checking the managed node")
        except AwsError as exc:
            if exc.code != "InvalidInstanceId":  # SSM's answer for an id it does not manage
                raise
            info = {}
        nodes = info.get("InstanceInformationList", [])
        ping = str(nodes[0].get("PingStatus", "")) if nodes else ""
        seen = as_datetime(nodes[0].get("LastPingDateTime")) if nodes else None
        state = "hybrid" if instance_id.startswith("mi-") else lookup.state(instance_id)
    except Exception:
        return None
    if state is None and not nodes:
        return f"no instance {instance_id} in {lookup.region}"
    return unreachable_reason(state or "", bool(nodes), ping, seen) or None


class BotoLookup:
    """`Lookup` over boto3 clients (DescribeInstances, DescribeInstanceInformation)."""

    def __init__(self, session: Any, region: str) -> None:
        self.session = session
        self.region = region

    def instances(self, key: str, value: str, states: tuple[str, ...]) -> list[Match]:
        from app.core.aws.client import client

        ec2 = client(self.session, "ec2", self.region)
        pages = ec2.get_paginator("describe_instances").paginate(Filters=[
            {"Name": f"tag:{key}", "Values": [value]},
            {"Name": "instance-state-name", "Values": list(states)}])
        return [Match(inst["InstanceId"], inst.get("State", {}).get("Name", ""),
                      inst.get("LaunchTime"), inst.get("Placement", {}).get("AvailabilityZone"))
                for page in pages for res in page.get("Reservations", [])
                for inst in res.get("Instances", [])]

    def nodes(self, key: str, value: str) -> list[Match]:
        from app.core.aws.client import client

        ssm = client(self.session, "ssm", self.region)
        pages = ssm.get_paginator("describe_instance_information").paginate(
            Filters=[{"Key": f"tag:{key}", "Values": [value]}])
        return [Match(info["InstanceId"], str(info.get("PingStatus", "")),
                      info.get("RegistrationDate"))
                for page in pages for info in page.get("InstanceInformationList", [])]

    def state(self, instance_id: str) -> str | None:
        from app.core.aws.client import client

        ec2 = client(self.session, "ec2", self.region)
        try:
            resp = ec2.describe_instances(InstanceIds=[instance_id])
        except Exception as exc:
            if "InvalidInstanceID" in str(getattr(exc, "response", {}).get("Error", {})):
                return None
            raise
        found = [i for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
        return str(found[0].get("State", {}).get("Name", "")) if found else None
