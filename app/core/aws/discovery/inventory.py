"""Discovery: every EC2 instance and SSM managed node of a profile, across regions, fast.

One `_Discovery` per call of `discover`, with a `_Region` of state per region. Work runs on
one bounded thread pool; each finished piece comes back to the calling thread as a `_Step`,
which alone changes the state (no locks around it) and moves its region on:

    CLIENTS    one worker builds the boto3 clients (a Session is not thread-safe), the first
               region's first, so its calls start while the others' clients are still built
    EC2, SSM   DescribeInstances / DescribeInstanceInformation, fully paged, largest pages
    TAGS       ListTagsForResource for each hybrid `mi-` node, all at once (EC2 has no tags
               for them), as soon as that region's SSM pages are in
    PRINCIPAL  sts:GetCallerIdentity, then PROBE (the policy's context keys), then
    SIMULATE   iam:SimulatePrincipalPolicy per group of instances with the same relevant
               tags: EC2's as soon as its pages are in (while SSM still pages), then the
               hybrid nodes once joined

A region is emitted (`progress`) once its rows are joined and their verdicts are in. A region
that fails becomes an error for that region only. Throttling is retried by botocore's adaptive
retry mode (set by `client.client`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from app.core.aws import client as aws
from app.core.aws.discovery.fetch import (
    EC2_PAGE,
    KEYS_REJECTED,
    MAYBE_DISABLED,
    SSM_PAGE,
    fetch_ec2,
    fetch_ssm,
    fetch_tags,
    region_error,
    sim_unavailable,
)
from app.core.aws.discovery.permissions import (
    Access,
    Permission,
    PermissionCache,
    Simulator,
    TagSet,
    instance_arn,
    resolve_principal,
)
from app.core.aws.discovery.rows import (
    InstanceRow,
    Inventory,
    RegionResult,
    finish,
    join,
    tagset,
)
from app.core.errors import CancelledError, GangwayError

__all__ = [
    "EC2_PAGE", "SSM_PAGE", "InstanceRow", "Inventory", "RegionResult", "discover",
    "enabled_regions", "finish", "join", "resolve_regions",
]

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
    return _Discovery(sess, regions, max_workers=max_workers, progress=progress,
                      cancel=cancel, cache=permissions if permissions is not None
                      else PermissionCache(), check_permissions=check_permissions,
                      page_sizes=page_sizes).run()


class _Step(Enum):
    CLIENTS = auto()
    PRINCIPAL = auto()
    PROBE = auto()
    EC2 = auto()
    SSM = auto()
    TAGS = auto()
    SIMULATE = auto()


@dataclass(eq=False)
class _Region:
    """What one region has so far; changed only in the calling thread."""

    name: str
    started: float = field(default_factory=time.perf_counter)
    instances: list[dict[str, Any]] | None = None  # EC2
    nodes: list[dict[str, Any]] | None = None  # SSM
    tags: dict[str, TagSet] = field(default_factory=dict)  # hybrid node -> its tags
    tags_pending: int = 0
    error: GangwayError | None = None
    rows: list[InstanceRow] | None = None  # joined, no verdicts yet
    verdicts: dict[str, Permission] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)  # instance ARNs sent to simulation
    sims_pending: int = 0
    early: bool = False  # the EC2 instances' simulations were started
    simulating: bool = False  # the joined rows' simulations were started
    done: bool = False

    @property
    def fetched(self) -> bool:
        return self.instances is not None and self.nodes is not None and not self.tags_pending


class _Discovery:
    def __init__(self, session: Any, regions: Sequence[str], *, max_workers: int,
                 progress: Callable[[RegionResult], None] | None,
                 cancel: threading.Event | None, cache: PermissionCache,
                 check_permissions: bool, page_sizes: tuple[int, int]) -> None:
        self.session = session
        self.regions = {name: _Region(name) for name in dict.fromkeys(regions)}
        self.progress, self.cancel, self.cache = progress, cancel, cache
        self.check_permissions, self.page_sizes = check_permissions, page_sizes
        self.inventory = Inventory()
        self.iam: Any = None
        self.simulator: Simulator | None = None
        self.context_keys: tuple[str, ...] | None = None
        self.perms_ready = not check_permissions  # nothing to wait for when not checking
        self.keys_rejected = False  # STS refused the keys: region refusals are the keys too
        self._finished: queue.Queue[tuple[_Step, str, Any, Future[Any]]] = queue.Queue()
        self._outstanding = 0
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=max(1, max_workers),
                                       thread_name_prefix="discover")

    # --- the loop (calling thread) -----------------------------------------------------------

    def run(self) -> Inventory:
        # Not a `with` block: on cancel we return at once and let running calls finish alone.
        try:
            self._submit(_Step.CLIENTS, "", None, self._make_clients)
            while self._pending():
                if self.cancel is not None and self.cancel.is_set():
                    self.inventory.cancelled = True
                    break
                try:
                    step, region, extra, future = self._finished.get(timeout=0.1)
                except queue.Empty:
                    continue
                with self._lock:
                    self._outstanding -= 1
                self._handle(step, region, extra, future)
        finally:
            self.pool.shutdown(wait=not self.inventory.cancelled, cancel_futures=True)
        return self._result()

    def _pending(self) -> bool:
        with self._lock:
            return self._outstanding > 0

    def _submit(self, step: _Step, region: str, extra: Any, fn: Callable[..., Any],
                *args: Any) -> None:
        """Run `fn` on the pool; its outcome comes back to `run` as `step` (any thread)."""
        with self._lock:
            self._outstanding += 1
        future = self.pool.submit(fn, *args)
        future.add_done_callback(lambda f: self._finished.put((step, region, extra, f)))

    def _fail(self, step: _Step, region: str, exc: BaseException) -> None:
        future: Future[Any] = Future()
        future.set_exception(exc)
        with self._lock:
            self._outstanding += 1
        self._finished.put((step, region, None, future))

    def _handle(self, step: _Step, name: str, extra: Any, future: Future[Any]) -> None:
        failure = future.exception()
        if isinstance(failure, CancelledError):
            return
        if step is _Step.CLIENTS:
            if failure is not None:
                raise failure
        elif step is _Step.PRINCIPAL:
            self._principal(future, failure)
        elif step is _Step.PROBE:
            self._probe(future, failure)
        elif step is _Step.SIMULATE:
            self._simulated(self.regions[name], extra, future, failure)
        else:
            self._fetched(step, self.regions[name], extra, future, failure)

    # --- clients (one worker) ----------------------------------------------------------------

    def _make_clients(self) -> None:
        """The first region's clients, then the permission ones, then the other regions'."""
        names = list(self.regions)
        for name in [*names[:1], None, *names[1:]]:
            if self.cancel is not None and self.cancel.is_set():
                return
            if name is None:
                self._permission_clients()
                continue
            try:
                ec2 = aws.client(self.session, "ec2", name)
                ssm = aws.client(self.session, "ssm", name)
            except Exception as exc:
                self._fail(_Step.EC2, name, exc)
                continue
            sizes = self.page_sizes
            self._submit(_Step.EC2, name, None, fetch_ec2, ec2, self.cancel, sizes[0])
            self._submit(_Step.SSM, name, ssm, fetch_ssm, ssm, self.cancel, sizes[1])

    def _permission_clients(self) -> None:
        if not self.check_permissions:
            return
        try:
            sts, self.iam = aws.client(self.session, "sts"), aws.client(self.session, "iam")
        except Exception as exc:
            self._fail(_Step.PRINCIPAL, "", exc)
            return
        self._submit(_Step.PRINCIPAL, "", None, resolve_principal, sts)

    # --- permissions -------------------------------------------------------------------------

    def _principal(self, future: Future[Any], failure: BaseException | None) -> None:
        if failure is not None:
            self.inventory.permission_note = aws.translate(
                failure, "Asking AWS who the caller is").one_line()
            self.keys_rejected = aws.error_code(failure) in KEYS_REJECTED
            self._permissions_ready()
            return
        principal = future.result()
        self.inventory.principal = principal
        if principal.arn is None:
            self.inventory.permission_note = principal.why
            self._permissions_ready()
            return
        self.simulator = Simulator(self.iam, principal, self.cache)
        self._submit(_Step.PROBE, "", None, self.simulator.context_keys)

    def _probe(self, future: Future[Any], failure: BaseException | None) -> None:
        if failure is not None:
            self.inventory.permission_note = sim_unavailable(failure)
            self.simulator = None
        else:
            self.context_keys = future.result()
        self._permissions_ready()

    def _permissions_ready(self) -> None:
        self.perms_ready = True
        for region in self.regions.values():
            self._advance(region)

    def _simulated(self, region: _Region, arns: list[str], future: Future[Any],
                   failure: BaseException | None) -> None:
        region.sims_pending -= 1
        if failure is not None:
            why = sim_unavailable(failure)
            region.verdicts.update({a: Permission(Access.UNKNOWN, why) for a in arns})
        else:
            region.verdicts.update(future.result())
        self._advance(region)

    # --- regions -----------------------------------------------------------------------------

    def _fetched(self, step: _Step, region: _Region, extra: Any, future: Future[Any],
                 failure: BaseException | None) -> None:
        if step is _Step.TAGS:
            region.tags_pending -= 1
            region.tags[extra] = future.result() if failure is None else ()
        elif failure is not None:
            if region.error is None:
                region.error = region_error(region.name, failure, step.name.lower())
        elif step is _Step.EC2:
            region.instances = future.result()
        else:
            region.nodes = future.result()
            for node in region.nodes:
                iid = str(node.get("InstanceId", ""))
                if iid.startswith("mi-"):  # all at once, not one at a time after paging
                    region.tags_pending += 1
                    self._submit(_Step.TAGS, region.name, iid, fetch_tags, extra, iid)
        self._advance(region)

    def _advance(self, region: _Region) -> None:
        """Move a region on as its inputs come in: simulate, join, then emit."""
        if region.done:
            return
        if region.error is not None:
            self._emit(region)  # simulations still running land on a finished region
            return
        if self.perms_ready and region.instances is not None and not region.early:
            # The EC2 instances' verdicts while SSM is still paging (they need only tags).
            region.early = True
            self._simulate(region, [(tagset(i.get("Tags", [])), str(i.get("InstanceId", "")))
                                    for i in region.instances])
        if not region.fetched:
            return
        if region.rows is None:
            assert region.instances is not None and region.nodes is not None
            region.rows = join(region.name, region.instances, region.nodes, region.tags)
        if not self.perms_ready:
            return
        if not region.simulating:
            region.simulating = True  # the rest: hybrid nodes, anything EC2 did not list
            self._simulate(region, [(row.tags, row.instance_id) for row in region.rows
                                    if row.managed])
        if not region.sims_pending:
            self._emit(region)

    def _simulate(self, region: _Region, items: list[tuple[TagSet, str]]) -> None:
        """Simulate the (tags, instance id) pairs not yet asked about, one call per group."""
        simulator, keys = self.simulator, self.context_keys
        if simulator is None or keys is None:
            return
        groups: dict[TagSet, list[str]] = {}
        for tags, instance_id in items:
            arn = instance_arn(simulator.principal, region.name, instance_id)
            if arn not in region.asked:
                region.asked.add(arn)
                groups.setdefault(simulator.group_key(tags, keys), []).append(arn)
        for group, arns in groups.items():
            region.sims_pending += 1
            self._submit(_Step.SIMULATE, region.name, arns, simulator.check_group,
                         region.name, group, arns)

    def _emit(self, region: _Region) -> None:
        region.done = True
        rows: tuple[InstanceRow, ...] = ()
        if region.error is None and region.rows is not None:
            rows = tuple(finish(row, self._verdict(region, row)) for row in region.rows)
        result = RegionResult(region.name, rows, region.error,
                              time.perf_counter() - region.started)
        self.inventory.results.append(result)
        if self.progress is not None:
            self.progress(result)

    def _verdict(self, region: _Region, row: InstanceRow) -> Permission:
        note = self.inventory.permission_note or "not checked"
        if not row.managed:
            return Permission(Access.UNKNOWN, "no SSM agent is registered, so there is nothing "
                              "to check")
        if self.simulator is None:
            return Permission(Access.UNKNOWN, note)
        arn = instance_arn(self.simulator.principal, region.name, row.instance_id)
        return region.verdicts.get(arn) or Permission(Access.UNKNOWN, note)

    def _result(self) -> Inventory:
        inventory = self.inventory
        if self.simulator is not None:
            inventory.simulate_calls = self.simulator.calls
        if self.keys_rejected:
            for result in inventory.results:
                if result.error is not None and result.error.hint == MAYBE_DISABLED:
                    result.error.hint = (
                        "AWS rejected the profile's keys (sts:GetCallerIdentity failed too): "
                        "check the access key; it may be deleted, deactivated or mistyped.")
        order = list(self.regions)
        inventory.results.sort(key=lambda r: order.index(r.region))
        return inventory
