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
Every case runs twice: with `AWS_CA_BUNDLE` unset (plain http to the sandbox), and set, as on
managed machines with TLS inspection: both sides then speak HTTPS to the sandbox's TLS
listener, and `AWS_CA_BUNDLE` is the system CAs plus the sandbox's throwaway CA (made in this
run). Gangway also runs an SSO profile with a cached token (GetRoleCredentials + StartSession);
the baseline for it is the same `aws ssm start-session` with static keys (the Debian CLI reads
no AWS_ENDPOINT_URL_SSO, so it cannot reach the sandbox's portal).
Medians over RUNS runs after one warm-up each. Goal: ratio <= 0.5 in every case.
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
from typing import Any

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


SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


def _log_in_to_sso(env: dict[str, str]) -> None:
    """The device flow, approved the way a browser does, in a child with the bench env."""
    code = ("import urllib.request\n"
            "from app.core.aws.credentials import sso\n"
            "from app.core.aws.profiles.reader import load_profiles\n"
            "sso.login(sso.config_for(load_profiles(), 'sso'), open_browser=False,\n"
            "          on_code=lambda d: urllib.request.urlopen(d.verification_uri_complete))\n")
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


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
            _log_in_to_sso(env)
            tls_env = dict(env, **sb.https_env(work / "bundle.pem",
                                               SYSTEM_CAS if SYSTEM_CAS.exists() else None))
            node = sb.fleet.by_name("web-1.prod")
            have_aws = os.access(AWS, os.X_OK) or bool(shutil.which("aws", path="/usr/bin"))
            for label, case_env in (("AWS_CA_BUNDLE unset, http", env),
                                    ("AWS_CA_BUNDLE set, https", tls_env)):
                print(f"-- {label}")
                _case(case_env, node, log, have_aws)


def _case(env: dict[str, str], node: Any, log: Path, have_aws: bool) -> None:
    ours = [*_gangway(), "proxy", "--profile", "default", "--region", node.region,
            node.instance_id, "22"]
    results = {
        "instance id": _median(ours, env, log),
        "Name-tag alias": _median([*ours[:-2], node.name, "22"], env, log),
        "SSO profile": _median([*ours[:2], "--profile", "sso", *ours[4:]], env, log),
    }
    for what, took in results.items():
        print(f"  gangway proxy ({what}) -> plugin exec: median {took * 1000:7.1f} ms "
              f"over {RUNS} runs")
    if not have_aws:
        print("  baseline skipped: /usr/bin/aws (Debian awscli v2) is not installed")
        return
    cli_env = dict(env, AWS_PROFILE="default", AWS_REGION=node.region)
    theirs = [AWS, "--endpoint-url", env["AWS_ENDPOINT_URL_SSM"], "ssm", "start-session",
              "--target", node.instance_id, "--document-name", "AWS-StartSSHSession",
              "--parameters", "portNumber=22"]
    baseline = _median(theirs, cli_env, log)
    print(f"  aws ssm start-session -> plugin:          median {baseline * 1000:7.1f} ms "
          f"over {RUNS} runs")
    print("  ratio gangway/aws-cli: " + ", ".join(
        f"{what} {took / baseline:.2f}x" for what, took in results.items())
        + " (goal <= 0.50x)")


if __name__ == "__main__":
    main()
