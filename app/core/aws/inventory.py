"""Discovery: every EC2 instance and SSM managed node of a profile, across regions, fast.

Per region, `ec2:DescribeInstances` and `ssm:DescribeInstanceInformation` run in parallel
(and regions in parallel with each other) on one bounded thread pool, each fully paginated with
the largest page the API allows; results are joined by instance id, hybrid `mi-` nodes included.
A region that fails becomes an error for that region only. Throttling is retried by botocore's
adaptive retry mode (see `session.RETRY_CONFIG`). Permission verdicts come from `permissions`.

Clients are created up front in the calling thread: boto3 clients are thread-safe, sessions
are not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.aws import session as aws
from app.core.aws.capabilities import Capabilities, capabilities_for
from app.core.aws.permissions import (
    Access,
    Permission,
    PermissionCache,
    Principal,
    Simulator,
    TagSet,
    instance_arn,
    resolve_principal,
)
from app.core.errors import CancelledError, GangwayError

EC2_PAGE = 1000  # DescribeInstances allows up to 1000
SSM_PAGE = 50  # DescribeInstanceInformation allows up to 50
_MAYBE_DISABLED = ("The region may not be enabled for this account (enable it in the AWS "
                   "console or leave it out); if every region fails, check the profile's keys.")
_REGION_HINTS = {
    "AuthFailure": _MAYBE_DISABLED,
    "UnrecognizedClientException": _MAYBE_DISABLED,
    "InvalidClientTokenId": _MAYBE_DISABLED,
    "OptInRequired": "The region is not enabled for this account; enable it or leave it out.",
}


@dataclass(frozen=True)
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


SessionSource = Any  # a boto3.Session, or a zero-argument callable returning one


def enabled_regions(session: SessionSource) -> list[str]:
    """The regions enabled for the account (`ec2:DescribeRegions`), sorted."""
    sess = session() if callable(session) else session
    try:
        resp = aws.client(sess, "ec2").describe_regions(AllRegions=False)
    except Exception as exc:
        raise aws.translate(exc, "Listing the enabled regions") from exc
    return sorted(str(r["RegionName"]) for r in resp.get("Regions", []))


def resolve_regions(session: SessionSource, regions: Sequence[str] = (),
                    all_regions: bool = False) -> list[str]:
    """The regions to search: all enabled ones, the given ones, or the profile's own."""
    if all_regions:
        return enabled_regions(session)
    if regions:
        return list(dict.fromkeys(regions))
    sess = session() if callable(session) else session
    return [str(getattr(sess, "region_name", None) or "us-east-1")]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError()


def fetch_ec2(ec2: Any, cancel: threading.Event | None = None,
              page_size: int = EC2_PAGE) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pages = ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": page_size})
    for page in pages:
        _check(cancel)
        for reservation in page.get("Reservations", []):
            out.extend(reservation.get("Instances", []))
    return out


def fetch_ssm(ssm: Any, cancel: threading.Event | None = None,
              page_size: int = SSM_PAGE) -> tuple[list[dict[str, Any]], dict[str, TagSet]]:
    """Managed nodes, plus the tags of hybrid ones (EC2 has no record of those)."""
    nodes: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_instance_information").paginate(
            PaginationConfig={"PageSize": page_size}):
        _check(cancel)
        nodes.extend(page.get("InstanceInformationList", []))
    hybrid_tags: dict[str, TagSet] = {}
    for node in nodes:
        iid = str(node.get("InstanceId", ""))
        if iid.startswith("mi-"):
            _check(cancel)
            try:
                resp = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=iid)
                hybrid_tags[iid] = _tagset(resp.get("TagList", []))
            except Exception:  # tags are a nicety; a node without them is still listed
                hybrid_tags[iid] = ()
    return nodes, hybrid_tags


def _tagset(tags: Sequence[dict[str, Any]]) -> TagSet:
    return tuple(sorted((str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags))


def join(region: str, instances: list[dict[str, Any]], nodes: list[dict[str, Any]],
         hybrid_tags: dict[str, TagSet]) -> list[InstanceRow]:
    """EC2 records and SSM nodes joined by id (no permissions yet)."""
    info = {str(n.get("InstanceId", "")): n for n in nodes}
    rows: list[InstanceRow] = []
    for inst in instances:
        iid = str(inst.get("InstanceId", ""))
        node = info.pop(iid, None)
        tags = _tagset(inst.get("Tags", []))
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
    from dataclasses import replace

    caps = capabilities_for(platform=row.platform, state=row.state, managed=row.managed,
                            ping_status=row.ping_status, agent_version=row.agent_version,
                            permission=permission)
    return replace(row, permission=permission, capabilities=caps)


def _region_error(region: str, exc: BaseException) -> GangwayError:
    err = aws.translate(exc, f"Region {region}")
    code = aws.error_code(exc)
    if code in _REGION_HINTS:
        # In one region among others, a rejected key usually means a disabled region.
        text = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")) or code
        err.message = f"Region {region} refused the request ({code}: {text})"
        err.hint = _REGION_HINTS[code]
    return err


class _Region:
    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.ec2: list[dict[str, Any]] | None = None
        self.ssm: tuple[list[dict[str, Any]], dict[str, TagSet]] | None = None
        self.error: GangwayError | None = None
        self.rows: list[InstanceRow] = []
        self.joined = False
        self.verdicts: dict[str, Permission] = {}
        self.sims_pending = 0
        self.simulating = False
        self.done = False


def discover(
    session: SessionSource,
    regions: Sequence[str],
    *,
    max_workers: int = 8,
    progress: Callable[[RegionResult], None] | None = None,
    cancel: threading.Event | None = None,
    permissions: PermissionCache | None = None,
    check_permissions: bool = True,
    page_sizes: tuple[int, int] = (EC2_PAGE, SSM_PAGE),
) -> Inventory:
    """Discover `regions` in parallel; `progress` gets each RegionResult as it completes.

    `session` is a boto3 Session or a zero-argument factory (called once, in this thread).
    `page_sizes` (EC2, SSM) exist for tests that need many pages from a small fleet.
    """
    sess = session() if callable(session) else session
    cache = permissions if permissions is not None else PermissionCache()
    inventory = Inventory()
    states = {r: _Region(r) for r in dict.fromkeys(regions)}
    clients: dict[str, tuple[Any, Any]] = {}
    for name, st in states.items():
        try:
            clients[name] = (aws.client(sess, "ec2", name), aws.client(sess, "ssm", name))
        except Exception as exc:
            st.error = _region_error(name, exc)
    sts = iam = None
    if check_permissions:
        try:
            sts, iam = aws.client(sess, "sts"), aws.client(sess, "iam")
        except Exception as exc:
            inventory.permission_note = aws.translate(exc, "Checking permissions").one_line()
    simulator: Simulator | None = None
    context_keys: tuple[str, ...] | None = None
    perms_ready = sts is None  # nothing to wait for when not checking
    order = list(states)
    pending: dict[Future[Any], tuple[str, str, Any]] = {}

    def emit(st: _Region) -> None:
        st.done = True
        result = RegionResult(st.name, tuple(st.rows) if st.error is None else (), st.error,
                              time.perf_counter() - st.started)
        inventory.results.append(result)
        if progress is not None:
            progress(result)

    def unknown(reason: str) -> Permission:
        return Permission(Access.UNKNOWN, reason)

    def advance(st: _Region) -> None:
        """Move a region on once its inputs are in: simulate, then emit."""
        if st.done or (st.simulating and st.sims_pending):
            return
        if st.error is not None:
            emit(st)
            return
        if st.ec2 is None or st.ssm is None:
            return
        if not st.joined:
            st.rows, st.joined = join(st.name, st.ec2, *st.ssm), True
        if not st.simulating:
            if not perms_ready:
                return
            st.simulating = True
            if simulator is not None and context_keys is not None:
                groups: dict[TagSet, list[str]] = {}
                for row in st.rows:
                    if row.managed:
                        key = simulator.group_key(row.tags, context_keys)
                        groups.setdefault(key, []).append(
                            instance_arn(simulator.principal, st.name, row.instance_id))
                for group, arns in groups.items():
                    fut = pool.submit(simulator.check_group, st.name, group, arns)
                    pending[fut] = ("sim", st.name, arns)
                    st.sims_pending += 1
                if st.sims_pending:
                    return
        note = inventory.permission_note or "not checked"
        finished = []
        for row in st.rows:
            if not row.managed:
                perm = unknown("not checked: not managed by Systems Manager")
            elif simulator is not None:
                perm = st.verdicts.get(instance_arn(simulator.principal, st.name,
                                                    row.instance_id), unknown(note))
            else:
                perm = unknown(note)
            finished.append(finish(row, perm))
        st.rows = finished
        emit(st)

    # Not a `with` block: on cancel we return at once and let running calls finish alone.
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="discover")
    try:
        if sts is not None:
            pending[pool.submit(resolve_principal, sts)] = ("principal", "", None)
        for name, (ec2, ssm) in clients.items():
            pending[pool.submit(fetch_ec2, ec2, cancel, page_sizes[0])] = ("ec2", name, None)
            pending[pool.submit(fetch_ssm, ssm, cancel, page_sizes[1])] = ("ssm", name, None)
        for st in states.values():
            if st.error is not None:
                advance(st)
        while pending:
            if cancel is not None and cancel.is_set():
                for fut in pending:
                    fut.cancel()
                inventory.cancelled = True
                break
            done, _ = wait(list(pending), timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, region, extra = pending.pop(fut)
                failure = fut.exception()
                if kind == "principal":
                    if failure is not None:
                        inventory.permission_note = aws.translate(
                            failure, "Asking AWS who the caller is").one_line()
                        perms_ready = True
                    else:
                        principal = fut.result()
                        inventory.principal = principal
                        if principal.arn is None:
                            inventory.permission_note = principal.why
                            perms_ready = True
                        else:
                            simulator = Simulator(iam, principal, cache)
                            pending[pool.submit(simulator.context_keys)] = ("probe", "", None)
                    if perms_ready:
                        for st in states.values():
                            advance(st)
                elif kind == "probe":
                    if failure is not None:
                        inventory.permission_note = _sim_unavailable(failure)
                        simulator = None
                    else:
                        context_keys = fut.result()
                    perms_ready = True
                    for st in states.values():
                        advance(st)
                elif kind == "sim":
                    st = states[region]
                    st.sims_pending -= 1
                    if failure is not None:
                        why = _sim_unavailable(failure)
                        st.verdicts.update({a: unknown(why) for a in extra})
                    else:
                        st.verdicts.update(fut.result())
                    advance(st)
                else:
                    st = states[region]
                    if isinstance(failure, CancelledError):
                        continue
                    if failure is not None and st.error is None:
                        st.error = _region_error(region, failure)
                    elif failure is None and kind == "ec2":
                        st.ec2 = fut.result()
                    elif failure is None:
                        st.ssm = fut.result()
                    advance(st)
    finally:
        pool.shutdown(wait=not inventory.cancelled, cancel_futures=True)
    if simulator is not None:
        inventory.simulate_calls = simulator.calls
    inventory.results.sort(key=lambda r: order.index(r.region))
    return inventory


def _sim_unavailable(exc: BaseException) -> str:
    err = aws.translate(exc, "iam:SimulatePrincipalPolicy")
    code = aws.error_code(exc)
    if code in {"AccessDenied", "AccessDeniedException"}:
        return ("permission unknown: this identity may not call iam:SimulatePrincipalPolicy, "
                "so Gangway cannot check ssm:StartSession in advance")
    return f"permission unknown: {err.one_line()}"
