"""ProxyCommand start-up: `gangway proxy` vs `aws ssm start-session`, process start to plugin exec.

Both sides run against the same local sandbox (StartSession on the same instance) with the
same stand-in plugin: a tiny shell script that answers `--version` and otherwise appends the
wall-clock time it was exec'd to a log and exits. The time from our Popen to that line is
what ssh waits before its connection can even begin.

- baseline: `/usr/bin/aws ssm start-session --target I --document-name AWS-StartSSHSession
  --parameters portNumber=22` (Debian awscli v2; given `--endpoint-url`, which that release
  reads from no environment variable);
- Gangway: the `gangway` console script, `gangway proxy --profile default --region R I 22`
  (and the same with the instance's Name tag instead of its id, which adds an EC2
  DescribeInstances lookup first).
Medians over RUNS runs after one warm-up each. Goal: ratio <= 0.5.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 10
AWS = "/usr/bin/aws"
PLUGIN = """#!/bin/sh
if [ "$1" = "--version" ]; then echo 1.2.694.0; exit 0; fi
date +%s.%N >> "$BENCH_PLUGIN_LOG"
exit 0
"""


def _gangway() -> list[str]:
    script = Path(sys.executable).with_name("gangway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def _time_to_exec(argv: list[str], env: dict[str, str], log: Path) -> float:
    log.write_text("")
    t0 = time.time()
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=120, check=False)
    lines = log.read_text().split()
    if not lines:
        raise RuntimeError(f"{argv[0]} never ran the plugin: {done.stderr.decode()[-500:]}")
    return float(lines[0]) - t0


def _median(argv: list[str], env: dict[str, str], log: Path) -> float:
    _time_to_exec(argv, env, log)  # warm-up (page cache, .pyc)
    return statistics.median(_time_to_exec(argv, env, log) for _ in range(RUNS))


def main() -> None:
    from tests.sandbox.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="gangway-bench-proxy-") as tmp:
        work = Path(tmp)
        with Sandbox.start(work / "sandbox", fleet_size=40, with_sshd=False) as sb:
            env = Sandbox.scrubbed_environ()
            env.update(sb.prepare_home(work / "home"))
            bin_dir = work / "bin"
            bin_dir.mkdir()
            (bin_dir / "session-manager-plugin").write_text(PLUGIN)
            (bin_dir / "session-manager-plugin").chmod(0o755)
            log = work / "plugin.log"
            env["BENCH_PLUGIN_LOG"] = str(log)
            # Our plugin first; /usr/bin before any pyenv shim (the shim is CLI v1).
            env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", env["PATH"]])
            node = sb.fleet.by_name("web-1.prod")
            ours = [*_gangway(), "proxy", "--profile", "default", "--region", node.region,
                    node.instance_id, "22"]
            gangway = _median(ours, env, log)
            print(f"gangway proxy -> plugin exec:       median {gangway * 1000:7.1f} ms "
                  f"over {RUNS} runs (instance id: boto3-free StartSession)")
            by_name = [*ours[:-2], node.name, "22"]
            named = _median(by_name, env, log)
            print(f"gangway proxy, Name-tag alias:      median {named * 1000:7.1f} ms "
                  f"over {RUNS} runs (DescribeInstances + StartSession)")
            if not (os.access(AWS, os.X_OK) or shutil.which("aws", path="/usr/bin")):
                print("baseline skipped: /usr/bin/aws (Debian awscli v2) is not installed")
                return
            cli_env = dict(env, AWS_PROFILE="default", AWS_REGION=node.region)
            theirs = [AWS, "--endpoint-url", env["AWS_ENDPOINT_URL_SSM"], "ssm",
                      "start-session", "--target", node.instance_id, "--document-name",
                      "AWS-StartSSHSession", "--parameters", "portNumber=22"]
            baseline = _median(theirs, cli_env, log)
            print(f"aws ssm start-session -> plugin:    median {baseline * 1000:7.1f} ms "
                  f"over {RUNS} runs")
            print(f"ratio gangway/aws-cli: {gangway / baseline:.2f}x (goal <= 0.50x); "
                  f"with a Name-tag alias {named / baseline:.2f}x")


if __name__ == "__main__":
    main()
