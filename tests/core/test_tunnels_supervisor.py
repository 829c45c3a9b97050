"""The supervisor against the sandbox: real plugin stand-in, real HTTP server, real psql."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.aws.credentials.source import CliCredentialSource
from app.core.paths import Paths
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import TunnelState
from app.core.tunnels.supervisor import TunnelSupervisor
from tests.conftest import AwsEnv, require_program
from tests.core.tunnel_helpers import Recorder, http_get, plugins_of, records_path, wait_until
from tests.sandbox.services import Postgres, free_port


@pytest.fixture
def sup(aws_env: AwsEnv, tmp_path: Path) -> Iterator[tuple[TunnelSupervisor, Recorder]]:
    supervisor = TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default())), records=records_path(tmp_path),
                                  policy=Policy(wake_check=3600))
    rec = Recorder()
    supervisor.subscribe(rec)
    supervisor.start()
    try:
        yield supervisor, rec
    finally:
        supervisor.close()
    assert plugins_of(os.getpid()) == []


def web(http_port: int, **kw: object) -> TunnelSpec:
    fields: dict[str, object] = {"name": "web", "profile": "default", "target": "web-1.prod",
                                 "remote_port": http_port, "local_port": free_port()}
    fields.update(kw)
    return TunnelSpec(**fields).validate()  # type: ignore[arg-type]


def test_curl_through_an_instance_port_tunnel(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int, aws_env: AwsEnv) -> None:
    curl = require_program("curl")
    supervisor, rec = sup
    spec = web(http_server, open="http://localhost:{port}/")
    status = supervisor.up(spec)
    assert status.state in (TunnelState.STARTING, TunnelState.LISTENING)
    out = subprocess.run([curl, "-sS", "--max-time", "30", spec.open_text()],
                         capture_output=True, text=True, check=True)
    assert out.stdout == f"hello from {http_server} path=/\n"
    up = rec.wait_state(supervisor, "web", TunnelState.LISTENING)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    assert up.instance_id == node.instance_id
    assert up.local_address == f"127.0.0.1:{spec.local_port}"
    [session] = [s for s in aws_env.sandbox.control.sessions()
                 if s["SessionId"] == up.session_id]
    assert session["DocumentName"] == "AWS-StartPortForwardingSession"
    assert session["Parameters"] == {"portNumber": [str(http_server)],
                                     "localPortNumber": ["0"]}
    # No secret on the plugin's argv: the response (with its token) is in its environment.
    [record] = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 2]
    assert record["argv"][1] == "AWS_SSM_START_SESSION_RESPONSE"
    assert record["response_env_set"]
    assert "TokenValue" not in " ".join(record["argv"])
    supervisor.down("web")
    assert supervisor.status("web").state is TunnelState.OFF
    [session] = [s for s in aws_env.sandbox.control.sessions()
                 if s["SessionId"] == up.session_id]
    assert session["Status"] == "Terminated"
    assert any(ln.kind == "plugin" and ln.text == "Terminate signal received, exiting."
               for ln in supervisor.log("web"))


def test_psql_through_a_remote_host_tunnel(
        sup: tuple[TunnelSupervisor, Recorder], postgres: Postgres, aws_env: AwsEnv) -> None:
    psql = require_program("psql")
    supervisor, _rec = sup
    aws_env.sandbox.control.map_port(5432, postgres.port, target="db.internal")
    spec = TunnelSpec(name="db", profile="default", target="bastion",
                      remote_host="db.internal", remote_port=5432, local_port=free_port(),
                      open="psql -h localhost -p {port} -U app").validate()
    assert spec.document == "AWS-StartPortForwardingSessionToRemoteHost"
    supervisor.up(spec)
    out = subprocess.run([psql, "-h", "127.0.0.1", "-p", str(spec.local_port), "-U", "app",
                          "-d", "postgres", "-Atc", "select 6*7"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "42\n"
    status = supervisor.status("db")
    assert status.instance_id == aws_env.sandbox.fleet.by_name("bastion").instance_id
    [session] = [s for s in aws_env.sandbox.control.sessions()
                 if s["SessionId"] == status.session_id]
    assert session["Parameters"] == {"host": ["db.internal"], "portNumber": ["5432"],
                                     "localPortNumber": ["0"]}


def test_killed_plugin_next_connection_succeeds_and_none_is_refused(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int) -> None:
    supervisor, rec = sup
    spec = web(http_server)
    supervisor.up(spec)
    first = rec.wait_state(supervisor, "web", TunnelState.LISTENING)
    errors: list[BaseException] = []
    bodies: list[bytes] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                bodies.append(http_get(spec.local_port))
            except BaseException as exc:  # refused, reset, bad reply: all count
                errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    wait_until(lambda: len(bodies) >= 5)
    [plugin] = plugins_of(os.getpid())
    plugin.send_signal(signal.SIGKILL)
    rec.wait(lambda: supervisor.status("web").session_id not in ("", first.session_id)
             and supervisor.status("web").state is TunnelState.LISTENING)
    before = len(bodies)
    wait_until(lambda: len(bodies) >= before + 5)
    stop.set()
    for t in threads:
        t.join(30)
    # A connection that was mid-transfer on the killed plugin may be cut; none was refused.
    refused = [e for e in errors if isinstance(e, ConnectionRefusedError)]
    assert refused == []
    assert len(errors) <= 3, errors
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
    assert TunnelState.RECONNECTING in rec.states("web")


def test_idle_timeout_then_a_connection_succeeds(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int, aws_env: AwsEnv) -> None:
    supervisor, rec = sup
    aws_env.sandbox.control.set_idle_timeout(1.0)
    spec = web(http_server)
    supervisor.up(spec)
    idle = rec.wait_state(supervisor, "web", TunnelState.IDLE)
    assert "timed out due to inactivity" in idle.last_event
    aws_env.sandbox.control.set_idle_timeout(None)
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
    assert supervisor.status("web").state is TunnelState.LISTENING


def test_busy_port_is_refused_naming_the_port_and_the_next_free_one(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int) -> None:
    supervisor, _rec = sup
    holder = socket.create_server(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    try:
        status = supervisor.up(web(http_server, local_port=port))
    finally:
        holder.close()
    assert status.state is TunnelState.FAILED
    assert status.problem is not None and status.problem.port_busy
    assert f"Port {port} on 127.0.0.1 is already in use" in status.problem.message
    assert "python" in status.problem.holder.lower()
    nxt = status.problem.suggested_port
    assert nxt is not None and nxt != port
    assert f"--local-port {nxt}" in status.problem.hint


def test_twenty_tunnels_at_once(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int) -> None:
    supervisor, _rec = sup
    specs = [web(http_server, name=f"web-{i:02d}") for i in range(20)]
    for spec in specs:
        supervisor.up(spec)
    results: dict[str, bytes] = {}

    def fetch(spec: TunnelSpec) -> None:
        results[spec.name] = http_get(spec.local_port, f"/{spec.name}")

    threads = [threading.Thread(target=fetch, args=(s,)) for s in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {s.name: f"hello from {http_server} path=/{s.name}\n".encode()
                       for s in specs}
    events = [str(ln) for s in specs for ln in supervisor.log(s.name)
              if "ended" in ln.text or "failed" in ln.text]
    assert events == []
    assert {s.state for s in supervisor.statuses()} == {TunnelState.LISTENING}
    assert len(plugins_of(os.getpid())) == 20
    supervisor.down_all()
    assert {s.state for s in supervisor.statuses()} == {TunnelState.OFF}


def test_old_agent_is_warned_about(sup: tuple[TunnelSupervisor, Recorder], http_server: int,
                                   aws_env: AwsEnv) -> None:
    supervisor, rec = sup
    node = aws_env.sandbox.fleet.by_name("old-agent-ssh")  # SSM Agent 2.3.612.0
    for name, target in (("by-name", "old-agent-ssh"), ("by-id", node.instance_id)):
        supervisor.up(web(http_server, name=name, target=target))
        status = rec.wait_state(supervisor, name, TunnelState.LISTENING)
        assert "serves one connection at a time" in status.warning
        assert http_get(status.local_port) == f"hello from {http_server} path=/\n".encode()


def test_hostile_targets_are_only_data(sup: tuple[TunnelSupervisor, Recorder],
                                       aws_env: AwsEnv) -> None:
    supervisor, rec = sup
    marker = Path("/tmp/pwned-tunnel")
    hostile = f"$(touch {marker})"
    supervisor.up(web(80, name="evil", target=hostile))
    rec.wait(lambda: supervisor.status("evil").problem is not None)
    problem = supervisor.status("evil").problem
    assert problem is not None and repr(hostile)[1:-1] in problem.message
    assert not marker.exists()
    supervisor.down("evil")
