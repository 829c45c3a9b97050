"""Discovery wall time: Gangway's `discover` against the loop a user would script.

Starts the sandbox with a 2,000-node fleet over 4 regions, then, in the same run, times:
- baseline: per region, describe-instances then describe-instance-information, each with a
  plain boto3 paginator (default page sizes), one region after another;
- Gangway: `app.core.aws.inventory.discover` (regions and services in parallel, largest
  pages), without and with the permission check (simulate calls).
Each side runs REPEATS times after one warm-up; the medians are compared.
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

SIZE = 2000
REPEATS = 3


def baseline(session, regions) -> int:
    """What a user would script with boto3 (the manual workflow, sequential)."""
    count = 0
    for region in regions:
        ec2 = session.client("ec2", region_name=region)
        ssm = session.client("ssm", region_name=region)
        ids = set()
        for page in ec2.get_paginator("describe_instances").paginate():
            for res in page["Reservations"]:
                ids.update(i["InstanceId"] for i in res["Instances"])
        for page in ssm.get_paginator("describe_instance_information").paginate():
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
        from app.core.aws.discovery.inventory import discover

        regions = list(BENCH_REGIONS)
        plain = boto3.Session(profile_name="default")
        session = new_session("default")
        runs = _interleaved({
            "baseline": lambda: baseline(plain, regions),
            "discover": lambda: discover(session, regions, check_permissions=False),
            "discover+perm": lambda: discover(session, regions),
        })
        base_t, _, base_n = runs["baseline"]
        fast_t, _, inv = runs["discover"]
        perm_t, _, inv_p = runs["discover+perm"]
        for name, (_, all_t, _) in runs.items():
            print(f"  runs {name}: " + ", ".join(f"{t:.2f}s" for t in all_t))
        n = len(inv.rows)
        print(f"baseline (sequential boto3 paginators): {base_t:.2f}s for {base_n} instances")
        print(f"gangway discover:                        {fast_t:.2f}s for {n} instances"
              f"  ratio {fast_t / base_t:.2f}x")
        print(f"gangway discover + permission check:     {perm_t:.2f}s for {len(inv_p.rows)} "
              f"instances, {inv_p.simulate_calls} simulate calls  ratio {perm_t / base_t:.2f}x")
        print("goal: ratio <= 0.50x")
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
