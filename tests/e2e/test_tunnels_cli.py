"""`gangway tunnel` as a user runs it: add/list/remove, run in the foreground, signals, kill -9."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import AwsEnv, require_program
from tests.core.tunnel_helpers import http_get, wait_until
from tests.sandbox.services import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]


def gangway(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, "tunnel", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def add(name: str, port: int, remote_port: int, *extra: str) -> None:
    done = gangway("add", name, "--profile", "default", "--target", "web-1.prod",
                   "--remote-port", str(remote_port), "--local-port", str(port), *extra)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def start_run() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`gangway tunnel run ARGS`; at teardown each one is ended, reaped and its pipes closed."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([*GANGWAY, "tunnel", "run", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def read_until(proc: subprocess.Popen[str], needle: str, timeout: float = 60) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            out, err = proc.communicate(timeout=10)
            raise AssertionError(f"{needle!r} not seen; stdout: {seen + out}; stderr: {err}")
        seen += proc.stdout.readline()
    return seen


def plugin_pids(pid: int) -> list[int]:
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    return [k.pid for k in kids if "session-manager-plugin" in " ".join(k.cmdline())
            and "--version" not in k.cmdline()]


def plugin_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_add_list_remove_and_bad_input(aws_env: AwsEnv) -> None:
    add("web", free_port(), 8080, "--group", "dev", "--open", "http://localhost:{port}/")
    done = gangway("add", "db", "--profile", "default", "--target", "tag:Role=db",
                   "--remote-host", "db.internal", "--remote-port", "5432")
    assert done.returncode == 0, done.stderr
    listed = json.loads(gangway("list", "--json").stdout)
    assert [t["name"] for t in listed] == ["web", "db"]
    db = listed[1]
    assert db["document"] == "AWS-StartPortForwardingSessionToRemoteHost"
    assert 1024 < db["local_port"] <= 65535  # picked at add time, and kept
    assert json.loads(gangway("list", "--json").stdout)[1]["local_port"] == db["local_port"]
    dup = gangway("add", "web", "--profile", "default", "--target", "x", "--remote-port", "1")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    clash = gangway("add", "web2", "--profile", "default", "--target", "x", "--remote-port",
                    "1", "--local-port", str(listed[0]["local_port"]))
    assert clash.returncode == 1 and "already used by the tunnel 'web'" in clash.stderr
    bad = gangway("add", "x", "--profile", "default", "--target", "x", "--remote-port", "70000")
    assert bad.returncode == 2 and "70000 is not between 1 and 65535" in bad.stderr
    assert gangway("remove", "web").returncode == 0
    assert [t["name"] for t in json.loads(gangway("list", "--json").stdout)] == ["db"]
    missing = gangway("remove", "web")
    assert missing.returncode == 1 and "no tunnel is named 'web'" in missing.stderr
    path = Path(aws_env.env["GANGWAY_HOME"]) / "config" / "tunnels.json"
    assert path.stat().st_mode & 0o777 == 0o600


def test_hostile_names_and_targets_are_data(aws_env: AwsEnv) -> None:
    hostile = ["$(touch /tmp/pwned)", "a; rm -rf /tmp/x", "it's \"quoted\"", "日本語"]
    for i, name in enumerate(hostile):
        done = gangway("add", name, "--profile", "default", "--target", name,
                       "--remote-port", str(1000 + i))
        assert done.returncode == 0, done.stderr
    bad = gangway("add", "line1\nline2", "--profile", "default", "--target", "x",
                  "--remote-port", "1")
    assert bad.returncode == 1 and "control characters" in bad.stderr
    dashed = gangway("add", "--", "-oProxyCommand=sh", "--profile", "default", "--target", "x",
                     "--remote-port", "1")
    assert dashed.returncode != 0
    listed = json.loads(gangway("list", "--json").stdout)
    assert [t["name"] for t in listed] == hostile
    assert [t["target"] for t in listed] == hostile
    table = gangway("list").stdout
    assert "$(touch /tmp/pwned)" in table and not Path("/tmp/pwned").exists()
    # Unknown hostile names are reported as data, not run.
    run = gangway("run", "$(touch /tmp/pwned2)")
    assert run.returncode == 1 and "No tunnel is named '$(touch /tmp/pwned2)'" in run.stderr
    assert not Path("/tmp/pwned2").exists()


def test_run_serves_curl_and_sigint_leaves_nothing(
        aws_env: AwsEnv, http_server: int, start_run: Callable[..., subprocess.Popen[str]]) -> None:
    curl = require_program("curl")
    port = free_port()
    add("web", port, http_server, "--open", "http://localhost:{port}/")
    proc = start_run("web")
    read_until(proc, "listening on 127.0.0.1")
    out = subprocess.run([curl, "-sS", "--max-time", "30", f"http://127.0.0.1:{port}/x"],
                         capture_output=True, text=True, check=False)
    assert out.stdout == f"hello from {http_server} path=/x\n", out.stderr
    plugins = plugin_pids(proc.pid)
    assert len(plugins) == 1
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    assert not any(plugin_alive(p) for p in plugins)
    sessions = [s for s in aws_env.sandbox.control.sessions()
                if s["DocumentName"] == "AWS-StartPortForwardingSession"]
    assert sessions and {s["Status"] for s in sessions} == {"Terminated"}
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_run_group_with_a_busy_port(
        aws_env: AwsEnv, http_server: int, start_run: Callable[..., subprocess.Popen[str]]) -> None:
    free, busy = free_port(), socket.create_server(("127.0.0.1", 0))
    busy_port = busy.getsockname()[1]
    add("ok", free, http_server, "--group", "env")
    add("taken", busy_port, http_server, "--group", "env")
    try:
        proc = start_run("--group", "env")
        read_until(proc, "ok: listening on")
        assert http_get(free) == f"hello from {http_server} path=/\n".encode()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        _out, err = proc.communicate(timeout=10)
    finally:
        busy.close()
    assert code == 1
    assert f"taken failed: Port {busy_port} on 127.0.0.1 is already in use" in err
    assert "Failed: taken." in err


def test_kill_9_of_run_leaves_no_plugin_and_the_next_start_cleans_the_record(
        aws_env: AwsEnv, http_server: int, start_run: Callable[..., subprocess.Popen[str]]) -> None:
    add("web", free_port(), http_server)
    proc = start_run("web")
    read_until(proc, "listening on 127.0.0.1")
    wait_until(lambda: len(plugin_pids(proc.pid)) == 1)
    [plugin] = plugin_pids(proc.pid)
    records = Path(aws_env.env["GANGWAY_HOME"]) / "run" / "tunnel-children.json"
    wait_until(lambda: records.exists() and plugin in {
        r["pid"] for r in json.loads(records.read_text())["children"]})
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    wait_until(lambda: not plugin_alive(plugin))  # parent-death signal
    again = start_run("web")
    try:
        read_until(again, "listening on 127.0.0.1")
        rows = json.loads(records.read_text())["children"]
        assert plugin not in {r["pid"] for r in rows}
        assert {r["owner"] for r in rows} == {again.pid}
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(30)


def test_export_import_round_trip_and_basti(aws_env: AwsEnv, tmp_path: Path) -> None:
    add("web", free_port(), 8080, "--group", "dev", "--open", "https://localhost:{port}/")
    exported = tmp_path / "tunnels.json"
    assert gangway("export", str(exported)).returncode == 0
    doc = json.loads(exported.read_text())
    assert doc["schema_version"] == 1 and [t["name"] for t in doc["tunnels"]] == ["web"]
    text = exported.read_text()
    assert "AKIA" not in text and "secret" not in text.lower()
    assert gangway("remove", "web").returncode == 0
    imported = gangway("import", str(exported))
    assert imported.returncode == 0 and "Added web." in imported.stdout
    again = gangway("import", str(exported))
    assert "already exists" in again.stderr
    basti = tmp_path / ".basti.yaml"
    basti.write_text(
        "connections:\n"
        "  custom-local:\n    target: custom\n    localPort: 4646\n"
        "  database-dev:\n    target:\n      rdsInstance: my-dev-db\n      awsProfile: dev\n"
        "    localPort: 5432\n"
        "targets:\n  custom:\n    customTargetVpc: vpc-1\n    customTargetHost: 10.0.1.1\n"
        "    customTargetPort: 4646\n    awsProfile: prod\n    awsRegion: eu-west-1\n")
    no_bastion = gangway("import", str(basti))
    assert no_bastion.returncode == 1
    assert "Give it with --target" in no_bastion.stderr
    done = gangway("import", str(basti), "--target", "basti-instance-1a2b3c4d")
    assert "Added custom-local." in done.stdout
    assert "database-dev: a basti rdsInstance target" in done.stderr
    [row] = [t for t in json.loads(gangway("list", "--json").stdout)
             if t["name"] == "custom-local"]
    assert (row["remote_host"], row["remote_port"], row["local_port"], row["profile"],
            row["region"], row["target"]) == ("10.0.1.1", 4646, 4646, "prod", "eu-west-1",
                                              "basti-instance-1a2b3c4d")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = gangway("import", str(broken))
    assert bad.returncode == 1 and "broken.json:1: is not valid JSON" in bad.stderr


def test_run_says_in_words_why_no_instance_can_carry_the_tunnel(
        aws_env: AwsEnv, start_run: Callable[..., subprocess.Popen[str]]) -> None:
    node = aws_env.sandbox.fleet.by_name("offline-1")  # running, its agent lost its connection
    done = gangway("add", "lost", "--profile", "default", "--target", "offline-1",
                   "--remote-port", "80", "--local-port", str(free_port()))
    assert done.returncode == 0, done.stderr
    proc = start_run("lost")
    try:
        seen = read_until(proc, "No running instance with a connected SSM agent is named "
                                f"'offline-1' in us-east-1: {node.instance_id} (running, agent "
                                "connection lost).")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        _out, err = proc.communicate(timeout=10)
    assert "ConnectionLost" not in seen + err and "SSM-online" not in seen + err
