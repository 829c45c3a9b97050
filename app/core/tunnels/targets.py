"""Which instance a tunnel's TARGET means right now (resolved again at every (re)start).

The rule, when a Name tag or a tag matches several instances: only instances that are
`running` in EC2 AND `Online` in SSM are candidates; among them the most recently launched
wins (ties: the highest instance id). So a replaced instance (new one launched, old one
stopping) is found again, and the choice is shown on the tunnel ("newest of 3 ...").
Hybrid nodes (mi-) are matched through SSM tags when EC2 has no match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.errors import AwsError, GangwayError
from app.core.tunnels.spec import Target, TargetKind

# Multiplexing (many connections at once) needs an agent newer than this (the plugin's
# DoesAgentSupportTCPMultiplexing: compare == 1); older agents serve one at a time.
MUX_AGENT = (3, 0, 196, 0)
REMOTE_HOST_AGENT = (3, 1, 1374, 0)


@dataclass(frozen=True)
class Resolved:
    instance_id: str
    choice: str
    agent_version: str = ""

    def warning(self, remote_host: bool = False) -> str:
        version = _version(self.agent_version)
        if version is None:
            return ""
        if remote_host and version < REMOTE_HOST_AGENT:
            return (f"{self.instance_id} runs SSM Agent {self.agent_version}; forwarding to a "
                    "remote host needs 3.1.1374.0 or later.")
        if version <= MUX_AGENT:
            return (f"{self.instance_id} runs SSM Agent {self.agent_version}, which serves one "
                    "connection at a time (browsers stall): update the agent to 3.0.222.0 or "
                    "later.")
        return ""


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in text.split(".")) if text else None
    except ValueError:
        return None


def _filters(target: Target) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(EC2 Filters, SSM Filters) for a tag-like target."""
    if target.kind is TargetKind.TAG_KEY:
        return ([{"Name": "tag-key", "Values": [target.key]}],
                [{"Key": "tag-key", "Values": [target.key]}])
    return ([{"Name": f"tag:{target.key}", "Values": [target.value]}],
            [{"Key": f"tag:{target.key}", "Values": [target.value]}])


def resolve(ec2: Any, ssm: Any, text: str, region: str) -> Resolved:
    """Resolve TARGET with boto3 clients (calls: DescribeInstances, DescribeInstanceInformation)."""
    from app.core.aws.session import translate

    target = Target.parse(text)
    try:
        if target.kind is TargetKind.INSTANCE_ID:
            info = _ssm_info(ssm, [{"Key": "InstanceIds", "Values": [target.value]}])
            agent = info.get(target.value, {}).get("AgentVersion", "")
            return Resolved(target.value, "given by id", str(agent))
        ec2_filters, ssm_filters = _filters(target)
        launched: dict[str, float] = {}
        states: dict[str, str] = {}
        pages = ec2.get_paginator("describe_instances").paginate(Filters=ec2_filters)
        for page in pages:
            for res in page.get("Reservations", []):
                for inst in res.get("Instances", []):
                    iid = inst["InstanceId"]
                    states[iid] = inst.get("State", {}).get("Name", "")
                    when = inst.get("LaunchTime")
                    launched[iid] = when.timestamp() if hasattr(when, "timestamp") else 0.0
        running = sorted(i for i, s in states.items() if s == "running")
        if running:
            info = {}
            for start in range(0, len(running), 50):
                info.update(_ssm_info(ssm, [{"Key": "InstanceIds",
                                             "Values": running[start:start + 50]}]))
        else:
            info = _ssm_info(ssm, ssm_filters)  # hybrid nodes carry their tags in SSM
            launched = {i: float(n.get("RegistrationDate", 0) or 0) if not hasattr(
                n.get("RegistrationDate"), "timestamp") else n["RegistrationDate"].timestamp()
                for i, n in info.items()}
            running = sorted(info)
            states.update({i: "registered" for i in info})
    except GangwayError:
        raise
    except Exception as exc:
        raise translate(exc, f"Looking up {text!r}") from exc
    online = [i for i in running if info.get(i, {}).get("PingStatus") == "Online"]
    if not online:
        seen = ", ".join(f"{i} ({states.get(i, '?')}, SSM "
                         f"{info.get(i, {}).get('PingStatus', 'not managed')})"
                         for i in sorted(states)[:10])
        raise AwsError(f"No running, SSM-online instance matches {text!r} in {region}"
                       + (f": {seen}." if seen else "."),
                       "Start the instance, check its SSM Agent, or fix the target.")
    best = max(online, key=lambda i: (launched.get(i, 0.0), i))
    choice = ("the only running, SSM-online match" if len(online) == 1 else
              f"newest of {len(online)} running, SSM-online matches")
    return Resolved(best, choice, str(info.get(best, {}).get("AgentVersion", "")))


def _ssm_info(ssm: Any, filters: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    pages = ssm.get_paginator("describe_instance_information").paginate(Filters=filters)
    for page in pages:
        for node in page.get("InstanceInformationList", []):
            out[node["InstanceId"]] = node
    return out
