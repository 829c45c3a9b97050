"""Discovery wall time: Gangway's `discover` against the loop a user would script.

Starts the sandbox with a ~1,220-node fleet over 4 regions, then times, in the same run, at
two network latencies (the sandbox adds LATENCY to every AWS request: a far region; and none):
- baseline: per region, describe-instances then describe-instance-information with plain
  boto3 paginators, one region after another, with the largest pages AWS allows (1000 and 50:
  the honest sequential script) and, for reference, with the default page sizes;
- Gangway: `discover` (regions and services in parallel, largest pages), without and with
  the permission check (simulate calls).
Each side runs REPEATS times after one warm-up, interleaved; the medians are compared with
the largest-page baseline. Then `gangway instances --json`'s formatting of all those rows.
Goal: ratio <= 0.50x.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZE = 1216  # plus the hybrid nodes: ~1,220 in 4 regions
REPEATS = 3
LATENCY = 0.080  # seconds per request


def baseline(session, regions, largest: bool = True) -> int:
    """What a user would script with boto3 (the manual workflow, sequential)."""
    ec2_page = {"PaginationConfig": {"PageSize": 1000}} if largest else {}
    ssm_page = {"PaginationConfig": {"PageSize": 50}} if largest else {}
    count = 0
    for region in regions:
        ec2 = session.client("ec2", region_name=region)
        ssm = session.client("ssm", region_name=region)
        ids = set()
        for page in ec2.get_paginator("describe_instances").paginate(**ec2_page):
            for res in page["Reservations"]:
                ids.update(i["InstanceId"] for i in res["Instances"])
        for page in ssm.get_paginator("describe_instance_information").paginate(**ssm_page):
            ids.update(n["InstanceId"] for n in page["InstanceInformationList"])
        count += len(ids)
    return count


def _interleaved(sides: dict) -> dict[str, tuple[float, list[float], object]]:
    """Warm each side up once, then run them in turn REPEATS times (drift hits all alike)."""
    for fn in sides.values():
        fn()  # first-call costs: loaders, connection pools, the sandbox's backends
    times: dict[str, list[float]] = {name: [] for name in sides}
    outs: dict[str, object] = {}
    for _ in range(REPEATS):
        for name, fn in sides.items():
            start = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t), t, outs[name]) for name, t in times.items()}


def _compare(plain, session, regions):
    from app.core.aws.discovery.inventory import discover

    runs = _interleaved({
        "baseline": lambda: baseline(plain, regions),
        "baseline-default-pages": lambda: baseline(plain, regions, largest=False),
        "discover": lambda: discover(session, regions, check_permissions=False),
        "discover+perm": lambda: discover(session, regions),
    })
    base_t, _, base_n = runs["baseline"]
    default_t, _, _ = runs["baseline-default-pages"]
    fast_t, _, inv = runs["discover"]
    perm_t, _, inv_p = runs["discover+perm"]
    for name, (_, all_t, _) in runs.items():
        print(f"  runs {name}: " + ", ".join(f"{t:.2f}s" for t in all_t))
    print(f"  baseline (sequential boto3, largest pages):  {base_t:.2f}s for {base_n} instances")
    print(f"  baseline (sequential boto3, default pages):  {default_t:.2f}s")
    print(f"  gangway discover:                             {fast_t:.2f}s for {len(inv.rows)} "
          f"instances  ratio {fast_t / base_t:.2f}x")
    print(f"  gangway discover + permission check:          {perm_t:.2f}s, "
          f"{inv_p.simulate_calls} simulate calls  ratio {perm_t / base_t:.2f}x "
          "(goal <= 0.50x)")
    return inv_p


def _json_cost(inv) -> None:
    from app.commands.instances import json_document

    rows = inv.rows
    for pretty in (True, False):
        took = statistics.median(_timed(lambda p=pretty: json_document("default", inv, rows, pretty=p))
                                 for _ in range(5))
        print(f"`instances --json` text for {len(rows)} rows, "
              f"{'indented (terminal)' if pretty else 'compact (pipe)'}: {took * 1000:.0f} ms")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    from tests.sandbox.fleet import BENCH_REGIONS
    from tests.sandbox.sandbox import Sandbox

    workdir = Path(tempfile.mkdtemp(prefix="gangway-bench-"))
    t0 = time.perf_counter()
    sb = Sandbox.start(workdir, fleet_size=SIZE, regions=BENCH_REGIONS, with_sshd=False, timeout=120)
    print(f"sandbox: {len(sb.fleet.nodes)} nodes in {len(BENCH_REGIONS)} regions, "
          f"started in {time.perf_counter() - t0:.1f}s")
    try:
        env = sb.prepare_home(workdir / "home")
        for key in list(os.environ):
            if key.startswith("AWS_"):
                del os.environ[key]
        os.environ.update(env)
        import boto3

        from app.core.aws.client import new_session

        regions = list(BENCH_REGIONS)
        plain = boto3.Session(profile_name="default")
        session = new_session("default")
        for latency in (LATENCY, 0.0):
            sb.control.set_latency(latency)
            print(f"-- {latency * 1000:.0f} ms per request")
            inv = _compare(plain, session, regions)
        _json_cost(inv)
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
