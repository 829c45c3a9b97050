"""What a user can do with an instance (shell, SSH, tunnels, RDP), and why not when not.

Derived only from what discovery already knows: the platform, the EC2 state, the SSM ping
status, the agent version and the permission verdict. Every "no" carries a reason a user can
act on (start the instance, update the agent, ask for the permission).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from app.core.actions import Action
from app.core.aws.discovery.permissions import Access, Permission
from app.core.versions import at_least

# SSH/SCP/SFTP ride on AWS-StartSSHSession, which needs this agent; so does port forwarding
# (AWS-StartPortForwardingSession). Forwarding to another host behind the instance came later.
SSH_MIN_AGENT = "2.3.672.0"
PORT_FORWARD_MIN_AGENT = "2.3.672.0"
REMOTE_HOST_MIN_AGENT = "3.1.1374.0"
RDP_PORT = 3389


@dataclass(frozen=True, slots=True)
class Capability:
    action: Action
    ok: bool
    reason: str = ""  # why not, when not ok


@dataclass(frozen=True, slots=True)
class Capabilities:
    items: tuple[Capability, ...] = ()

    def get(self, action: Action | str) -> Capability:
        gate = Action(action).gate
        for cap in self.items:
            if cap.action == gate:
                return cap
        return Capability(gate, False, "not offered for this platform")

    def can(self, action: Action | str) -> bool:
        return self.get(action).ok

    def why_not(self, action: Action | str) -> str:
        cap = self.get(action)
        return "" if cap.ok else cap.reason

    @property
    def allowed(self) -> tuple[Action, ...]:
        return tuple(c.action for c in self.items if c.ok)

    @property
    def connectable(self) -> bool:
        """At least one way in: what the "only what I can connect to" filter keeps."""
        return any(c.ok for c in self.items)


def unreachable_reason(state: str, managed: bool, ping_status: str) -> str:
    """Why no session can reach the node (stopped, not managed, agent offline), or ''.

    The one wording for the Instances pane and for `proxy`/`session` on TargetNotConnected.
    """
    if state and state not in ("running", "hybrid"):
        return f"the instance is {state}"
    if not managed:
        return "not managed by Systems Manager (no SSM agent registered)"
    if ping_status != "Online":
        return f"the SSM agent is {ping_status or 'not reporting'}"
    return ""


def _blocker(state: str, managed: bool, ping_status: str, permission: Permission) -> str:
    """The reason nothing at all works, or '' when a session may start."""
    if found := unreachable_reason(state, managed, ping_status):
        return found
    if permission.access is Access.DENIED:
        reason = f": {permission.reason}" if permission.reason else ""
        return f"denied by policy (ssm:StartSession){reason}"
    return ""


@functools.lru_cache(maxsize=4096)
def capabilities_for(
    *,
    platform: str,
    state: str,
    managed: bool,
    ping_status: str,
    agent_version: str,
    permission: Permission,
) -> Capabilities:
    """The actions an instance offers, each with the reason when it is not possible.

    Cached: inputs repeat across a fleet, so 10,000 rows share a few dozen answers.
    """
    windows = platform.lower().startswith("windows")
    actions = [Action.SHELL, Action.PORT_FORWARD, Action.REMOTE_PORT_FORWARD]
    actions += [Action.RDP] if windows else [Action.SSH, Action.SFTP, Action.SCP]
    blocker = _blocker(state, managed, ping_status, permission)
    agent = agent_version or "unknown"
    items: list[Capability] = []
    for action in actions:
        if blocker:
            items.append(Capability(action, False, blocker))
            continue
        need = ""
        if action in (Action.SSH, Action.SFTP, Action.SCP):
            need = SSH_MIN_AGENT
        elif action in (Action.PORT_FORWARD, Action.RDP):
            need = PORT_FORWARD_MIN_AGENT
        elif action is Action.REMOTE_PORT_FORWARD:
            need = REMOTE_HOST_MIN_AGENT
        if need and not at_least(agent_version, need):
            items.append(Capability(action, False, f"SSM agent {agent} is too old (needs {need})"))
        else:
            items.append(Capability(action, True))
    return Capabilities(tuple(items))
