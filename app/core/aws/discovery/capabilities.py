"""What a user can do with an instance (shell, SSH, tunnels, RDP), and why not when not.

Derived only from what discovery already knows: the platform, the EC2 state, the SSM ping
status, the agent version and the permission verdict. Every "no" carries a reason a user can
act on (start the instance, update the agent, ask for the permission), in plain words: AWS's
own status names (ConnectionLost, Inactive) never reach the user.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from app.core.actions import Action
from app.core.aws.discovery.permissions import Access, Permission
from app.core.versions import at_least

# SSH/SCP/SFTP ride on AWS-StartSSHSession, which needs this agent; so does port forwarding
# (AWS-StartPortForwardingSession). Forwarding to another host behind the instance came later.
SSH_MIN_AGENT = "2.3.672.0"
PORT_FORWARD_MIN_AGENT = "2.3.672.0"
REMOTE_HOST_MIN_AGENT = "3.1.1374.0"
RDP_PORT = 3389

# The SSM agent's PingStatus, in words (the window's "SSM agent" column, the CLI's table).
AGENT_WORDS = {"Online": "online", "ConnectionLost": "connection lost", "Inactive": "inactive"}
# What to do about an EC2 state that rules out a session.
_STATE_HINTS = {"stopped": "start it first", "stopping": "it is shutting down",
                "pending": "it is starting; try again in a minute",
                "shutting-down": "it is being terminated", "terminated": "it no longer exists"}
NOT_REGISTERED = ("the SSM agent is not running or not registered; install or start it, and "
                  "give the instance a role that allows Systems Manager")


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


def agent_words(ping_status: str) -> str:
    """The agent's state in a word or two; '' (no managed node) is "no agent"."""
    if not ping_status:
        return "no agent"
    return AGENT_WORDS.get(ping_status, ping_status.lower())


def _seen(last_ping: datetime | None) -> str:
    if last_ping is None:
        return ""
    when = last_ping.astimezone() if last_ping.tzinfo else last_ping
    return f" (last seen {when:%Y-%m-%d %H:%M})"


def unreachable_reason(state: str, managed: bool, ping_status: str,
                       last_ping: datetime | None = None) -> str:
    """Why no session can reach the node (stopped, not managed, agent offline), or ''.

    The one wording for the Instances pane and for `proxy`/`session` on TargetNotConnected.
    """
    if state and state not in ("running", "hybrid"):
        hint = _STATE_HINTS.get(state)
        return f"the instance is {state}" + (f" ({hint})" if hint else "")
    if not managed:
        return NOT_REGISTERED
    if ping_status != "Online":
        what, todo = agent_problem(ping_status, last_ping)
        return f"{what}; {todo}"
    return ""


def agent_problem(ping_status: str, last_ping: datetime | None = None) -> tuple[str, str]:
    """What is wrong with a registered agent that is not online, and what to do about it."""
    seen = _seen(last_ping)
    if ping_status == "ConnectionLost":
        return (f"its SSM agent lost its connection{seen}",
                "restart the agent or check the instance's network")
    if ping_status == "Inactive":
        return (f"its SSM agent is inactive{seen}",
                "start the instance, or register it again if it was deregistered")
    return f"its SSM agent is not reporting{seen}", "restart it on the instance"


def _blocker(state: str, managed: bool, ping_status: str, permission: Permission,
             last_ping: datetime | None) -> str:
    """The reason nothing at all works, or '' when a session may start."""
    if found := unreachable_reason(state, managed, ping_status, last_ping):
        return found
    if permission.access is Access.DENIED:
        reason = f" ({permission.reason})" if permission.reason else ""
        return (f"your IAM permissions do not allow a session here{reason}; ask an "
                "administrator for ssm:StartSession on it")
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
    last_ping: datetime | None = None,
) -> Capabilities:
    """The actions an instance offers, each with the reason when it is not possible.

    Cached: inputs repeat across a fleet, so 10,000 rows share a few dozen answers (pass
    `last_ping` only for an agent that is not online: it is in the reason then).
    """
    windows = platform.lower().startswith("windows")
    actions = [Action.SHELL, Action.PORT_FORWARD, Action.REMOTE_PORT_FORWARD]
    actions += [Action.RDP] if windows else [Action.SSH, Action.SFTP, Action.SCP]
    blocker = _blocker(state, managed, ping_status, permission, last_ping)
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
            items.append(Capability(action, False, f"its SSM agent {agent} is too old for this "
                                    f"(needs {need}); update the agent on the instance"))
        else:
            items.append(Capability(action, True))
    return Capabilities(tuple(items))
