"""Tunnels against `aws ssm start-session` port forwarding and the bare plugin, in one run.

All sides use the same local sandbox, the same plugin stand-in and the same real HTTP server
(the "instance" is this machine: its port N is loopback port N).

1. First byte through a freshly switched-on tunnel: `gangway tunnel run NAME` (process start
   to the first byte of an HTTP reply through the tunnel's port; Gangway binds the port at
   once and holds the connection) and the window's path (`TunnelSupervisor.up()` in a warm
   process), against `/usr/bin/aws ssm start-session --document-name
   AWS-StartPortForwardingSession` (process start to the first byte through its port; the
   client retries until the plugin listens). Goal <= 0.6x.
2. Recovery after the plugin is killed: from SIGKILL to the first byte of the next
   connection, while 3 clients keep connecting; refused connections counted. Goals <= 3 s, 0.
3. The relay against the plugin's own port: added latency per request on one connection
   (median; goal <= 1 ms) and download throughput (goal >= 0.9x).
4. Idle: a `gangway tunnel run` holding 20 tunnels, CPU over BENCH_TUNNELS_IDLE_SECONDS
   (default 60; goal <= 0.5% of one core) and RSS, against 20 bare plugin processes.

BENCH_TUNNELS_PARTS=first_byte,recovery,relay,idle picks parts (default: all).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 7
AWS = "/usr/bin/aws"
IDLE_SECONDS = float(os.environ.get("BENCH_TUNNELS_IDLE_SECONDS", "60"))
PARTS = os.environ.get("BENCH_TUNNELS_PARTS", "first_byte,recovery,relay,idle").split(",")


def _gangway() -> list[str]:
    script = Path(sys.executable).with_name("gangway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_byte(port: int, deadline: float, path: str = "/") -> float:
    """Connect (retrying while refused), GET, return the time the first byte came back."""
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    with sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        if not sock.recv(1):
            raise RuntimeError("the connection closed without a reply")
        return time.monotonic()


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT to the process group (as Ctrl-C on a terminal), then SIGKILL what is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def bench_first_byte(env: dict[str, str], node: Any, http_port: int) -> None:
    from app.commands import context
    from app.core.tunnels.opener import SeamOpener
    from app.core.tunnels.spec import TunnelSpec
    from app.core.tunnels.supervisor import TunnelSupervisor

    def gangway_run() -> float:
        port = _free_port()
        subprocess.run([*_gangway(), "tunnel", "add", "fb", "--profile", "default", "--target",
                        node.instance_id, "--remote-port", str(http_port), "--local-port",
                        str(port), "--replace"], env=env, check=True, capture_output=True)
        t0 = time.monotonic()
        proc = subprocess.Popen([*_gangway(), "tunnel", "run", "fb"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return _first_byte(port, t0 + 60) - t0
        finally:
            _stop(proc)

    def aws_cli() -> float:
        port = _free_port()
        argv = [AWS, "--endpoint-url", env["AWS_ENDPOINT_URL_SSM"], "ssm", "start-session",
                "--target", node.instance_id, "--document-name",
                "AWS-StartPortForwardingSession", "--parameters",
                f"portNumber={http_port},localPortNumber={port}"]
        cli_env = dict(env, AWS_PROFILE="default", AWS_REGION=node.region)
        t0 = time.monotonic()
        # Its own session: the CLI ignores SIGINT while its plugin runs (a terminal would send
        # Ctrl-C to both), so the whole group is stopped, or the plugin would be orphaned.
        proc = subprocess.Popen(argv, env=cli_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            return _first_byte(port, t0 + 60) - t0
        finally:
            _stop_group(proc)

    saved = dict(os.environ)
    os.environ.update(env)
    sup = TunnelSupervisor(SeamOpener(context.source()))
    sup.start()

    def in_process() -> float:
        spec = TunnelSpec(name="warm", profile="default", target=node.instance_id,
                          remote_port=http_port, local_port=_free_port())
        t0 = time.monotonic()
        sup.up(spec)
        try:
            return _first_byte(spec.local_port, t0 + 60) - t0
        finally:
            sup.down("warm")

    have_aws = os.access(AWS, os.X_OK)
    sides: dict[str, list[float]] = {"run": [], "up": [], "aws": []}
    try:
        gangway_run(), in_process()  # warm-up
        if have_aws:
            aws_cli()
        for _ in range(RUNS):  # interleaved, so drift hits every side alike
            sides["run"].append(gangway_run())
            sides["up"].append(in_process())
            if have_aws:
                sides["aws"].append(aws_cli())
    finally:
        sup.close()
        os.environ.clear()
        os.environ.update(saved)
    run, up = statistics.median(sides["run"]), statistics.median(sides["up"])
    print(f"first byte, `gangway tunnel run`:        median {run * 1000:7.1f} ms over {RUNS}")
    print(f"first byte, switch on in the window:     median {up * 1000:7.1f} ms over {RUNS}")
    if not have_aws:
        print("baseline skipped: /usr/bin/aws (Debian awscli v2) is not installed")
        return
    cli = statistics.median(sides["aws"])
    print(f"first byte, aws ssm start-session:       median {cli * 1000:7.1f} ms over {RUNS}")
    print(f"ratio gangway-run/aws-cli: {run / cli:.2f}x, window/aws-cli: {up / cli:.2f}x "
          "(goal <= 0.60x)")


def bench_recovery(node: Any, http_port: int) -> None:
    import psutil

    from app.commands import context
    from app.core.tunnels.opener import SeamOpener
    from app.core.tunnels.spec import TunnelSpec
    from app.core.tunnels.states import TunnelState
    from app.core.tunnels.supervisor import TunnelSupervisor

    sup = TunnelSupervisor(SeamOpener(context.source()))
    sup.start()
    spec = TunnelSpec(name="rec", profile="default", target=node.instance_id,
                      remote_port=http_port, local_port=_free_port())
    times: list[float] = []
    refused = other = 0
    try:
        sup.up(spec)
        _first_byte(spec.local_port, time.monotonic() + 30)
        for _ in range(5):
            while sup.status("rec").state is not TunnelState.LISTENING:
                time.sleep(0.01)
            stop = threading.Event()
            counts = {"refused": 0, "other": 0}

            def client(counts: dict[str, int] = counts, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    try:
                        _first_byte(spec.local_port, 0)
                    except ConnectionRefusedError:
                        counts["refused"] += 1
                    except (OSError, RuntimeError):
                        counts["other"] += 1

            threads = [threading.Thread(target=client) for _ in range(3)]
            for t in threads:
                t.start()
            time.sleep(0.2)
            plugin = next(p for p in psutil.Process().children(recursive=True)
                          if "session-manager-plugin" in " ".join(p.cmdline()))
            t0 = time.monotonic()
            plugin.kill()
            times.append(_first_byte(spec.local_port, t0 + 30) - t0)
            stop.set()
            for t in threads:
                t.join(30)
            refused += counts["refused"]
            other += counts["other"]
    finally:
        sup.close()
    med = statistics.median(times)
    print(f"recovery, kill -> next first byte:       median {med * 1000:7.1f} ms over "
          f"{len(times)} kills (goal <= 3000 ms); max {max(times) * 1000:.1f} ms")
    print(f"connections refused during the restarts: {refused} (goal 0); cut mid-reply: {other}")


def _echo_server() -> int:
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            conn, _ = srv.accept()

            def echo(c: socket.socket) -> None:
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with c:
                    while data := c.recv(65536):
                        c.sendall(data)

            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return int(srv.getsockname()[1])


def _round_trips(port: int, n: int = 2000) -> list[float]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            s.sendall(b"x")
            s.recv(16)
            out.append(time.perf_counter() - t0)
    return out[100:]


def _download(port: int, http_port: int, size: int) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        t0 = time.perf_counter()
        s.sendall(f"GET /big/{size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        got = 0
        while chunk := s.recv(1 << 20):
            got += len(chunk)
        elapsed = time.perf_counter() - t0
    assert got > size, (got, size, http_port)
    return size / elapsed / 1e6


def _plugin_port(run_pid: int, remote_port: int) -> int:
    """The listening port of the plugin `gangway tunnel run` started for `remote_port`."""
    import psutil

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for child in psutil.Process(run_pid).children():
            try:
                argv = " ".join(child.cmdline())
                if "session-manager-plugin" not in argv:
                    continue
                if f'"portNumber": ["{remote_port}"]' not in argv:
                    continue
                for conn in child.net_connections(kind="tcp"):
                    if conn.status == psutil.CONN_LISTEN:
                        return int(conn.laddr.port)
            except psutil.Error:
                continue
        time.sleep(0.1)
    raise RuntimeError("no plugin port found")


def bench_relay(env: dict[str, str], node: Any, http_port: int) -> None:
    """The relay in its own process (`gangway tunnel run`), as users run it."""
    echo = _echo_server()
    lat_port, big_port = _free_port(), _free_port()
    for name, remote, local in (("lat", echo, lat_port), ("big", http_port, big_port)):
        subprocess.run([*_gangway(), "tunnel", "add", name, "--profile", "default", "--target",
                        node.instance_id, "--remote-port", str(remote), "--local-port",
                        str(local), "--group", "relay", "--replace"], env=env, check=True,
                       capture_output=True)
    proc = subprocess.Popen([*_gangway(), "tunnel", "run", "--group", "relay"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _first_byte(big_port, time.monotonic() + 60)
        lat_direct = _plugin_port(proc.pid, echo)
        big_direct = _plugin_port(proc.pid, http_port)
        relay_rt, direct_rt = [], []
        for _ in range(3):  # interleaved
            relay_rt += _round_trips(lat_port)
            direct_rt += _round_trips(lat_direct)
        r, d = statistics.median(relay_rt), statistics.median(direct_rt)
        print(f"round trip via the relay:                median {r * 1e6:7.1f} us")
        print(f"round trip to the plugin's port:         median {d * 1e6:7.1f} us")
        print(f"added latency per request: {(r - d) * 1e3:.3f} ms (goal <= 1 ms)")
        size = 64 << 20
        relay_tp, direct_tp = [], []
        for _ in range(3):
            relay_tp.append(_download(big_port, http_port, size))
            direct_tp.append(_download(big_direct, http_port, size))
        rt, dt = statistics.median(relay_tp), statistics.median(direct_tp)
        print(f"download via the relay:                  median {rt:7.1f} MB/s (64 MiB)")
        print(f"download from the plugin's port:         median {dt:7.1f} MB/s")
        print(f"throughput ratio relay/direct: {rt / dt:.2f}x (goal >= 0.90x; the real "
              "plugin's data channel tops out near 1 MB/s)")
    finally:
        _stop(proc)


def _usage(pids: list[int], seconds: float) -> tuple[float, float]:
    """(CPU seconds used over `seconds`, RSS MiB now) summed over `pids`."""
    import psutil

    procs = [psutil.Process(p) for p in pids]

    def cpu() -> float:
        total = 0.0
        for p in procs:
            t = p.cpu_times()
            total += t.user + t.system
        return total

    before = cpu()
    time.sleep(seconds)
    used = cpu() - before
    rss = sum(p.memory_info().rss for p in procs) / (1 << 20)
    return used, rss


def _plugins_of(pid: int) -> list[int]:
    """The session plugins `pid` started (not a passing `--version` check)."""
    import psutil

    out = []
    for child in psutil.Process(pid).children():
        try:
            argv = child.cmdline()
        except psutil.Error:
            continue
        if "session-manager-plugin" in " ".join(argv) and "--version" not in argv:
            out.append(child.pid)
    return out


def bench_idle(env: dict[str, str], sb: Any, node: Any, http_port: int, work: Path) -> None:
    import boto3

    names = []
    for i in range(20):
        name = f"idle-{i:02d}"
        names.append(name)
        subprocess.run([*_gangway(), "tunnel", "add", name, "--profile", "default", "--target",
                        node.instance_id, "--remote-port", str(http_port), "--group", "idle",
                        "--replace"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*_gangway(), "tunnel", "run", "--group", "idle"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    bare: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 120
        while len(_plugins_of(proc.pid)) < 20:
            if time.monotonic() > deadline:
                raise RuntimeError("the 20 tunnels did not come up")
            time.sleep(0.2)
        time.sleep(2)
        plugins = _plugins_of(proc.pid)
        # 20 bare plugins, as `aws ssm start-session` leaves them (one session each).
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            ssm = boto3.Session(profile_name="default").client("ssm", region_name=node.region)
            for _ in range(20):
                resp = ssm.start_session(Target=node.instance_id,
                                         DocumentName="AWS-StartPortForwardingSession",
                                         Parameters={"portNumber": [str(http_port)],
                                                     "localPortNumber": ["0"]})
                response = {k: resp[k] for k in ("SessionId", "TokenValue", "StreamUrl")}
                penv = dict(env, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
                bare.append(subprocess.Popen(
                    [str(sb.plugin_dir / "session-manager-plugin"),
                     "AWS_SSM_START_SESSION_RESPONSE", node.region, "StartSession", "",
                     json.dumps({"Target": node.instance_id}), env["AWS_ENDPOINT_URL_SSM"]],
                    env=penv, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        time.sleep(2)
        results: dict[str, tuple[float, float]] = {}

        def measure(key: str, pids: list[int]) -> None:
            results[key] = _usage(pids, IDLE_SECONDS)

        threads = [threading.Thread(target=measure, args=("gangway", [proc.pid])),
                   threading.Thread(target=measure, args=("its plugins", plugins)),
                   threading.Thread(target=measure, args=("bare", [p.pid for p in bare]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        g_cpu, g_rss = results["gangway"]
        p_cpu, p_rss = results["its plugins"]
        b_cpu, b_rss = results["bare"]
        pct = 100 * g_cpu / IDLE_SECONDS
        print(f"idle over {IDLE_SECONDS:.0f} s, 20 tunnels: gangway process {pct:.3f}% of one "
              f"core ({g_cpu * 1000:.0f} ms CPU, counted in 10 ms ticks; goal <= 0.5%), "
              f"RSS {g_rss:.1f} MiB")
        print(f"  its 20 plugins: {100 * p_cpu / IDLE_SECONDS:.3f}% CPU, RSS {p_rss:.1f} MiB; "
              f"all of Gangway's processes {100 * (g_cpu + p_cpu) / IDLE_SECONDS:.3f}%, "
              f"{g_rss + p_rss:.1f} MiB")
        print(f"20 bare plugin processes: {100 * b_cpu / IDLE_SECONDS:.3f}% CPU, RSS "
              f"{b_rss:.1f} MiB")
        print(f"ratio gangway total/bare plugins: CPU {(g_cpu + p_cpu) / max(b_cpu, 1e-9):.2f}x,"
              f" RSS {(g_rss + p_rss) / b_rss:.2f}x (the stand-in plugin is Python; the real "
              "one is Go)")
    finally:
        _stop(proc)
        for b in bare:
            _stop(b)


def main() -> None:
    from tests.sandbox.sandbox import Sandbox
    from tests.sandbox.services import running_http

    with tempfile.TemporaryDirectory(prefix="gangway-bench-tunnels-") as tmp:
        work = Path(tmp)
        with Sandbox.start(work / "sandbox", fleet_size=40, with_sshd=False) as sb, \
                running_http() as http_port:
            env = Sandbox.scrubbed_environ()
            env.update(sb.prepare_home(work / "home"))
            env["PATH"] = os.pathsep.join([str(sb.plugin_dir), "/usr/bin", env["PATH"]])
            node = sb.fleet.by_name("web-1.prod")
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                if "first_byte" in PARTS:
                    bench_first_byte(env, node, http_port)
                if "recovery" in PARTS:
                    bench_recovery(node, http_port)
                if "relay" in PARTS:
                    bench_relay(env, node, http_port)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            if "idle" in PARTS:
                bench_idle(env, sb, node, http_port, work)
            shutil.rmtree(work / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
