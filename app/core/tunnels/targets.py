"""Which instance a tunnel's TARGET means right now (resolved again at every (re)start).

Built on the seam (`sessions.targets`: parsing, the EC2/SSM `Lookup` of either route) with the
tunnel's rule for several matches: only instances that are `running` in EC2 AND `Online` in
SSM are candidates; among them the most recently launched wins (ties: the highest instance
id). So a replaced instance (new one launched, old one stopping or offline) is found again,
and the choice is shown on the tunnel ("newest of 3 running matches with a connected
agent"). Hybrid
nodes (mi-) are matched through their SSM tags when EC2 has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.core.errors import AwsError, GangwayError

if TYPE_CHECKING:
    from app.core.aws.sessions.connect import Route

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
                    "connection at a time (browsers stall): update the agent.")
        return ""


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in text.split(".")) if text else None
    except ValueError:
        return None


def _info(way: Route, ids: list[str]) -> dict[str, dict[str, Any]]:
    """DescribeInstanceInformation for `ids` (50 per call): ping status, agent version."""
    from app.core.errors import AwsError

    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 50):
        params: dict[str, Any] = {"Filters": [{"Key": "InstanceIds",
                                               "Values": ids[start:start + 50]}]}
        while True:
            try:
                page = way.ssm.call("DescribeInstanceInformation", params,
                                    "Checking the instances' SSM Agent")
            except AwsError as exc:
                if exc.code != "InvalidInstanceId":
                    raise
                # SSM refuses the whole call when one id is not a managed node: ask for each
                # alone, so the others are still known (and the unknown one is simply absent).
                batch = params["Filters"][0]["Values"]
                for one in batch if len(batch) > 1 else ():
                    out.update(_info(way, [one]))
                break
            for node in page.get("InstanceInformationList", []):
                out[str(node["InstanceId"])] = node
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
    return out


def agent_version(way: Route, instance_id: str) -> str:
    """The instance's SSM Agent version ("" if SSM does not know it)."""
    return str(_info(way, [instance_id]).get(instance_id, {}).get("AgentVersion", ""))


def resolve(way: Route, text: str) -> Resolved:
    """The instance for TARGET (an id is taken as given; `agent_version` says its agent)."""
    from app.core.aws.sessions import targets

    wanted = targets.parse(text)
    if wanted is None:
        return Resolved(text, "given by id")
    key, value = wanted
    try:
        found = way.lookup.instances(key, value, targets.LIVE_STATES)
        hybrid = not found
        if hybrid:
            found = way.lookup.nodes(key, value)
        running = [m for m in found if m.state in ("running", "Online")]
        info = _info(way, sorted({m.instance_id for m in running})) if running else {}
    except GangwayError:
        raise
    except Exception as exc:
        from app.core.aws.client import translate

        raise translate(exc, f"Looking up {text!r}") from exc
    online = [m for m in running if info.get(m.instance_id, {}).get("PingStatus") == "Online"]
    what = "tagged" if key != "Name" else "named"
    if not online:
        from app.core.aws.discovery.capabilities import agent_words

        seen = ", ".join(f"{m.instance_id} ({m.state}, agent "
                         f"{agent_words(str(info.get(m.instance_id, {}).get('PingStatus', '')))})"
                         for m in sorted(found, key=lambda m: m.instance_id)[:10])
        raise AwsError(f"No running instance with a connected SSM agent is {what} {value!r} in "
                       f"{way.region}" + (f": {seen}." if seen else "."),
                       "Start the instance, check its SSM agent, or fix the target.")
    epoch = datetime.min.replace(tzinfo=UTC)

    def launched(m: Any) -> tuple[datetime, str]:
        when = m.launched or epoch
        return (when if when.tzinfo else when.replace(tzinfo=UTC)), m.instance_id

    best = max(online, key=launched)
    choice = ("the only running match with a connected agent" if len(online) == 1 else
              f"newest of {len(online)} running matches with a connected agent")
    return Resolved(best.instance_id, choice,
                    str(info.get(best.instance_id, {}).get("AgentVersion", "")))
