"""Everything the gateway remembers: identities, keys, MFA devices, rules, faults, sessions.

One lock guards it all; the gateway is a ThreadingHTTPServer and requests are short.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"


@dataclass
class User:
    name: str
    # Long-term keys of a user with ``require_mfa`` only work for STS until MFA is presented
    # (the usual "deny unless aws:MultiFactorAuthPresent" policy).
    require_mfa: bool = False
    mfa_serial: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:user/{self.name}"


@dataclass
class Role:
    name: str
    require_mfa: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{self.name}"


@dataclass
class Credential:
    access_key_id: str
    secret: str
    principal_arn: str  # user ARN, or role ARN for assumed-role keys (used for policy rules)
    caller_arn: str  # what GetCallerIdentity says
    user_id: str
    session_token: str | None = None
    expires_at: float | None = None  # None = long-term key
    mfa_authenticated: bool = False
    user_name: str | None = None  # the IAM user behind the key, if any

    @property
    def name(self) -> str:
        """The short caller name used in SSM session ids (user name or role session name)."""
        return self.caller_arn.rsplit("/", 1)[-1]


@dataclass
class Fault:
    region: str
    service: str  # "ec2", "ssm" or "*"
    code: str  # an AWS error code, or DELAY (answer late) or DROP (hang up, no answer)
    message: str | None = None
    remaining: int | None = None  # None = until cleared
    delay: float = 0.0  # seconds, for DELAY
    operation: str | None = None  # only this API operation (e.g. ListTagsForResource)


DELAY = "#delay"  # a slow region: the answer comes ``delay`` seconds late
DROP = "#drop"  # a dead network path: the connection is closed without an answer


@dataclass
class SsmSession:
    session_id: str
    token: str
    target: str
    region: str
    document: str
    parameters: dict[str, list[str]]
    owner: str
    reason: str | None
    start: float
    status: str = "Connected"
    end: float | None = None
    hang: bool | None = None  # decided at the plugin's first lookup (see plugin_hangs)


@dataclass
class PushedKey:
    """A key pushed with EC2 Instance Connect (good for 60 s of the sandbox clock)."""

    region: str
    instance_id: str
    os_user: str
    key: str  # "type base64", the public key
    pushed_at: float  # State.now()
    caller: str


@dataclass
class DeviceAuth:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    approved: bool = False
    consumed: bool = False
    denied: bool = False  # the user pressed "Deny" in the browser
    slow_downs: int = 0  # the next CreateToken polls answered SlowDownException


@dataclass
class State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)  # by ARN
    mfa_secrets: dict[str, str] = field(default_factory=dict)  # serial -> base32 secret
    creds: dict[str, Credential] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # principal ARN -> rule
    baseline_rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # restored per test
    faults: list[Fault] = field(default_factory=list)
    ssm_nodes: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # region -> id -> info
    node_tags: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> tags
    sessions: dict[str, SsmSession] = field(default_factory=dict)
    port_map: dict[str, dict[str, Any]] = field(default_factory=dict)  # "target:port" -> addr
    sso_clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    device_auths: dict[str, DeviceAuth] = field(default_factory=dict)  # device code -> auth
    sso_tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    sso_refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> client id
    sso_accounts: list[dict[str, Any]] = field(default_factory=list)
    temp_duration_cap: float | None = None  # control API can shorten every new temp credential
    idle_timeout: float | None = None  # Session Manager's idle timeout for port forwarding
    plugin_hangs: int = 0  # the next N port-forwarding plugins hang before their Port line
    request_count: int = 0
    verify_signatures: bool = True
    eic_keys: list[PushedKey] = field(default_factory=list)
    clock_offset: float = 0.0  # the control API advances the sandbox clock (EC2 Instance Connect)
    latency: float = 0.0  # seconds added to every AWS request (a far region), not /_sandbox
    _snapshot: dict[str, Any] | None = None

    def now(self) -> float:
        """The sandbox clock: wall time, plus what tests advanced it by."""
        return time.time() + self.clock_offset

    def snapshot(self) -> None:
        """Remember fleet pings, node tags and port maps as the state every test starts from."""
        with self.lock:
            self._snapshot = copy.deepcopy(
                {
                    "ssm_nodes": self.ssm_nodes,
                    "node_tags": self.node_tags,
                    "port_map": self.port_map,
                }
            )

    def reset_test_state(self) -> None:
        """What the per-test fixture clears: faults, throttles, rule overrides, sessions, duration
        caps, and changes to pings/tags/port maps since the snapshot."""
        with self.lock:
            self.faults.clear()
            self.rules = dict(self.baseline_rules)
            self.temp_duration_cap = None
            self.idle_timeout = None
            self.plugin_hangs = 0
            self.sessions.clear()
            self.verify_signatures = True
            self.eic_keys.clear()
            self.clock_offset = 0.0
            self.latency = 0.0
            if self._snapshot is not None:
                restored = copy.deepcopy(self._snapshot)
                self.ssm_nodes = restored["ssm_nodes"]
                self.node_tags = restored["node_tags"]
                self.port_map = restored["port_map"]

    def lookup(self, akid: str) -> tuple[Credential | None, str]:
        """Return (credential, verdict) where verdict is ok | invalid | expired."""
        with self.lock:
            cred = self.creds.get(akid)
            if cred is None:
                return None, "invalid"
            if cred.expires_at is not None and cred.expires_at <= time.time():
                return cred, "expired"
            return cred, "ok"

    def take_fault(self, region: str, service: str, operation: str = "") -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation not in (None, operation):
                    continue
                if fault.region in (region, "*") and fault.service in (service, "*"):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
            return None

    def rule_for(self, principal_arn: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.rules.get(principal_arn, self.rules.get("*", {})))
