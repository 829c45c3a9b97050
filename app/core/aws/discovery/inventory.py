"""Discovery: every EC2 instance and SSM managed node of a profile, across regions, fast.

Per region, `ec2:DescribeInstances` and `ssm:DescribeInstanceInformation` run in parallel
(and regions in parallel with each other) on one bounded thread pool, each fully paginated with
the largest page the API allows; results are joined by instance id, hybrid `mi-` nodes included.
A region that fails becomes an error for that region only. Throttling is retried by botocore's
adaptive retry mode (set by `session.client`). Permission verdicts come from `permissions`.

Clients are created up front in the calling thread: boto3 clients are thread-safe, sessions
are not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from app.core.aws import client as aws
from app.core.aws.discovery.permissions import (
    Access,
    Permission,
    PermissionCache,
    Simulator,
    TagSet,
    instance_arn,
    resolve_principal,
)
from app.core.aws.discovery.rows import InstanceRow, Inventory, RegionResult, finish, join, tagset
from app.core.errors import CancelledError, GangwayError

__all__ = [
    "InstanceRow", "Inventory", "RegionResult", "discover", "enabled_regions", "finish",
    "join", "resolve_regions",
]

EC2_PAGE = 1000  # DescribeInstances allows up to 1000
SSM_PAGE = 50  # DescribeInstanceInformation allows up to 50
_MAYBE_DISABLED = ("The region may not be enabled for this account (enable it in the AWS "
                   "console or leave it out); if every region fails, check the profile's keys.")
_KEYS_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                  "InvalidAccessKeyId", "AuthFailure"}
_REGION_HINTS = {
    "AuthFailure": _MAYBE_DISABLED,
    "UnrecognizedClientException": _MAYBE_DISABLED,
    "InvalidClientTokenId": _MAYBE_DISABLED,
    "OptInRequired": "The region is not enabled for this account; enable it or leave it out.",
}


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
                hybrid_tags[iid] = tagset(resp.get("TagList", []))
            except Exception:  # tags are a nicety; a node without them is still listed
                hybrid_tags[iid] = ()
    return nodes, hybrid_tags


def _region_error(region: str, exc: BaseException, service: str = "") -> GangwayError:
    operation = getattr(exc, "operation_name", "")
    # Name the IAM action, so "access denied" says which permission is missing.
    doing = f"Region {region}, {service}:{operation}" if service and operation else \
        f"Region {region}"
    err = aws.translate(exc, doing)
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


def discover(  # noqa: C901, PLR0912, PLR0915 - being split into a class (issue 9, item 20)
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
    keys_rejected = False  # STS refused the keys: region refusals are about the keys too
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

    def advance(st: _Region) -> None:  # noqa: C901, PLR0912 - see discover
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
                        keys_rejected = aws.error_code(failure) in _KEYS_REJECTED
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
                        st.error = _region_error(region, failure, kind)
                    elif failure is None and kind == "ec2":
                        st.ec2 = fut.result()
                    elif failure is None:
                        st.ssm = fut.result()
                    advance(st)
    finally:
        pool.shutdown(wait=not inventory.cancelled, cancel_futures=True)
    if simulator is not None:
        inventory.simulate_calls = simulator.calls
    if keys_rejected:
        _blame_the_keys(inventory)
    inventory.results.sort(key=lambda r: order.index(r.region))
    return inventory


def _blame_the_keys(inventory: Inventory) -> None:
    """STS (not regional) rejected the keys: a region's auth refusal is the keys, not opt-in."""
    for result in inventory.results:
        err = result.error
        if err is not None and err.hint == _MAYBE_DISABLED:
            err.hint = ("AWS rejected the profile's keys (sts:GetCallerIdentity failed too): "
                        "check the access key; it may be deleted, deactivated or mistyped.")


def _sim_unavailable(exc: BaseException) -> str:
    err = aws.translate(exc, "iam:SimulatePrincipalPolicy")
    code = aws.error_code(exc)
    if code in {"AccessDenied", "AccessDeniedException"}:
        return ("permission unknown: this identity may not call iam:SimulatePrincipalPolicy, "
                "so Gangway cannot check ssm:StartSession in advance")
    return f"permission unknown: {err.one_line()}"
