"""Keyless SSH: `ssh host true` through the keyless block vs the plain block, via the sandbox.

Both run real OpenSSH through the ssh-config block `gangway ssh-config --install` wrote, the
`gangway` console script as ProxyCommand, the plugin stand-in and the sandbox's real sshd:
- baseline: the plain block and the user's own key (`-i`, in sshd's authorized_keys);
- keyless: the `--keyless` block: Gangway's ephemeral key, pushed on every connection with
  SendSSHPublicKey (DescribeInstances for the zone runs alongside StartSession), accepted by
  sshd through its AuthorizedKeysCommand.
The push may add at most one API round trip: the proxy alone (process start to plugin
exec, with and without `--push-key`) is measured too, and the rest of the difference is the
instance's AuthorizedKeysCommand, which sshd runs twice per key offered. Medians over RUNS connections each, alternating,
after a warm-up;
the sshd's AuthorizedKeysCommand needs root (as sshd requires), so elsewhere it is skipped.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 15
# For the proxy alone: a plugin that logs when it was exec'd and exits (as bench_proxy does).
PLUGIN = """#!/bin/sh
if [ "$1" = "--version" ]; then echo 1.2.694.0; exit 0; fi
date +%s.%N >> "$BENCH_PLUGIN_LOG"
exit 0
"""


def _gangway() -> list[str]:
    script = Path(sys.executable).with_name("gangway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def _connect(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, check=False)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"ssh failed: {done.stderr[-800:]}")
    return took


def _medians(first: list[str], second: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Both, alternating run by run, so a busy machine slows both alike."""
    _connect(first, env)  # warm-up (page cache, .pyc)
    _connect(second, env)
    a: list[float] = []
    b: list[float] = []
    for _ in range(RUNS):
        a.append(_connect(first, env))
        b.append(_connect(second, env))
    return statistics.median(a), statistics.median(b)


def _to_exec(argv: list[str], env: dict[str, str], log: Path) -> float:
    log.write_text("")
    t0 = time.time()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                   check=True)
    return float(log.read_text().split()[0]) - t0


def _proxy_medians(work: Path, env: dict[str, str], argv: list[str]) -> tuple[float, float]:
    bin_dir = work / "exec-bin"
    bin_dir.mkdir()
    (bin_dir / "session-manager-plugin").write_text(PLUGIN)
    (bin_dir / "session-manager-plugin").chmod(0o755)
    log = work / "plugin-exec.log"
    env = dict(env, BENCH_PLUGIN_LOG=str(log),
               PATH=os.pathsep.join([str(bin_dir), env["PATH"]]))
    pushing = [*argv[:-2], f"--push-key={env.get('BENCH_USER', 'root')}", *argv[-2:]]
    _to_exec(argv, env, log)
    _to_exec(pushing, env, log)
    a, b = [], []
    for _ in range(RUNS):
        a.append(_to_exec(argv, env, log))
        b.append(_to_exec(pushing, env, log))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    from tests.sandbox.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="gangway-bench-keyless-") as tmp:
        work = Path(tmp)
        with Sandbox.start(work / "sandbox", fleet_size=40) as sb:
            if sb.sshd is None or sb.sshd.eic_dir is None:
                print("skipped: the sandbox sshd's AuthorizedKeysCommand needs root and sshd")
                return
            env = Sandbox.scrubbed_environ()
            env.update(sb.prepare_home(work / "home"))
            env.pop("SSH_AUTH_SOCK", None)
            env["PATH"] = os.pathsep.join([str(sb.plugin_dir), str(Path(sys.executable).parent),
                                           env["PATH"]])
            node = sb.fleet.by_name("web-1.prod")
            known = work / "known_hosts"
            known.write_text(f"* {sb.sshd.host_key_pub}\n")
            configs = {}
            for name, extra in (("plain", []), ("keyless", ["--keyless"])):
                cfg = work / f"ssh_config_{name}"
                subprocess.run([*_gangway(), "ssh-config", "--profile", "default", "--region",
                                node.region, "--install", "--config", str(cfg), *extra],
                               env=env, check=True, capture_output=True)
                configs[name] = cfg
            common = ["-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
                      "-o", "BatchMode=yes", "-l", sb.sshd.user]
            plain = ["ssh", "-F", str(configs["plain"]), "-i", str(sb.sshd.client_key), "-o",
                     "IdentitiesOnly=yes", *common, node.instance_id, "true"]
            keyless = ["ssh", "-F", str(configs["keyless"]), *common, node.instance_id, "true"]
            baseline, ours = _medians(plain, keyless, env)
            pushes = len(sb.control.eic_pushes())
            print(f"ssh, plain block + own key:          median {baseline * 1000:7.1f} ms "
                  f"over {RUNS} connections")
            print(f"ssh, keyless block (push each time): median {ours * 1000:7.1f} ms "
                  f"over {RUNS} connections ({pushes} pushes)")
            print(f"ratio keyless/plain: {ours / baseline:.2f}x "
                  f"(+{(ours - baseline) * 1000:.1f} ms)")
            env["BENCH_USER"] = sb.sshd.user
            proxy = [*_gangway(), "proxy", "--profile", "default", "--region", node.region,
                     node.instance_id, "22"]
            bare, pushed = _proxy_medians(work, env, proxy)
            print(f"gangway proxy -> plugin exec:        median {bare * 1000:7.1f} ms; with "
                  f"--push-key {pushed * 1000:7.1f} ms (+{(pushed - bare) * 1000:.1f} ms: "
                  "SendSSHPublicKey; the zone lookup runs alongside StartSession)")


if __name__ == "__main__":
    main()
