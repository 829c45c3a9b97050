"""Recovery paths: a replaced instance is found again; expired credentials cost one prompt."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.source import CliCredentialSource
from app.core.paths import Paths
from app.core.secrets import MemoryStore
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import TunnelState
from app.core.tunnels.supervisor import TunnelSupervisor
from tests.conftest import AwsEnv
from tests.core.tunnel_helpers import (
    Recorder,
    http_get,
    plugins_of,
    records_path,
    wait_until,
)
from tests.sandbox.fleet import LINUX_AMI
from tests.sandbox.services import free_port

REFRESH_DUE = 15


def _supervisor(source: Any, tmp_path: Path) -> tuple[TunnelSupervisor, Recorder]:
    sup = TunnelSupervisor(SeamOpener(source), records=records_path(tmp_path),
                           policy=Policy(wake_check=3600))
    rec = Recorder()
    sup.subscribe(rec)
    sup.start()
    return sup, rec


@pytest.fixture
def cleanup() -> Iterator[list[TunnelSupervisor]]:
    made: list[TunnelSupervisor] = []
    yield made
    for sup in made:
        sup.close()
    assert plugins_of(os.getpid()) == []


def _launch(tag: str) -> str:
    ec2 = boto3.Session(profile_name="default").client("ec2", region_name="us-east-1")
    reply = ec2.run_instances(ImageId=LINUX_AMI, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": tag}]}])
    return str(reply["Instances"][0]["InstanceId"])


def test_a_replaced_instance_is_found_again(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    control = aws_env.sandbox.control
    old = _launch("svc-replace")
    control.register_node(old, tags={"Role": "svc-replace"})
    sup, rec = _supervisor(CliCredentialSource(Paths.default()), tmp_path)
    cleanup.append(sup)
    spec = TunnelSpec(name="svc", profile="default", target="tag:Role=svc-replace",
                      remote_port=http_server, local_port=free_port()).validate()
    sup.up(spec)
    first = rec.wait_state(sup, "svc", TunnelState.LISTENING)
    assert first.instance_id == old
    assert first.choice == "the only running match with a connected agent"
    # The old instance goes away (stopped, agent offline); its replacement comes up.
    ec2 = boto3.Session(profile_name="default").client("ec2", region_name="us-east-1")
    ec2.stop_instances(InstanceIds=[old])
    control.set_ping(old, "ConnectionLost")
    new = _launch("svc-replace")
    control.register_node(new, tags={"Role": "svc-replace"})
    [plugin] = plugins_of(os.getpid())
    plugin.send_signal(signal.SIGKILL)  # the session on the old instance dies with it
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
    rec.wait(lambda: sup.status("svc").instance_id == new)
    assert sup.status("svc").state is TunnelState.LISTENING
    # With both up, the rule picks the newest launch and says so.
    control.set_ping(old, "Online")
    ec2.start_instances(InstanceIds=[old])
    newest = _launch("svc-replace")
    control.register_node(newest, tags={"Role": "svc-replace"})
    sup.reconnect("svc")
    rec.wait(lambda: sup.status("svc").choice.startswith("newest of")
             and sup.status("svc").state is TunnelState.LISTENING)
    status = sup.status("svc")
    launched = {i["InstanceId"]: i["LaunchTime"] for r in ec2.describe_instances(
        InstanceIds=[old, new, newest])["Reservations"] for i in r["Instances"]}
    expected = max(launched, key=lambda i: (launched[i], i))
    assert status.instance_id == expected
    assert status.choice == "newest of 3 running matches with a connected agent"


def test_expired_credentials_mid_tunnel_one_prompt_then_recovery(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    sandbox = aws_env.sandbox
    prompts: list[str] = []
    lock = threading.Lock()

    def prompt(request: Any) -> str:
        with lock:
            prompts.append(request.profile)
        return sandbox.totp()

    service = CredentialService(MemoryStore(), prompt=prompt)
    sup, rec = _supervisor(service, tmp_path)
    cleanup.append(sup)
    specs = [TunnelSpec(name=f"mfa-{i}", profile="mfa", target="web-1.prod",
                        remote_port=http_server, local_port=free_port()).validate()
             for i in range(3)]
    for spec in specs:
        sup.up(spec)
    for spec in specs:
        rec.wait_state(sup, spec.name, TunnelState.LISTENING)
    assert prompts == ["mfa"]
    # The temporary credentials expire; every session then ends (the hourly close, say).
    assert sandbox.control.expire_credentials(all=True) >= 1
    for plugin in plugins_of(os.getpid()):
        plugin.send_signal(signal.SIGKILL)
    for spec in specs:
        try:
            body = http_get(spec.local_port)
        except AssertionError as exc:
            raise AssertionError("\n".join(str(ln) for ln in sup.log(spec.name))) from exc
        assert body == f"hello from {http_server} path=/\n".encode()
    assert prompts == ["mfa", "mfa"]  # one new prompt for the three tunnels
    assert {sup.status(s.name).state for s in specs} == {TunnelState.LISTENING}


def test_a_plugin_that_never_opens_its_port_is_replaced_and_the_client_is_held(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    aws_env.sandbox.control.hang_plugins(1)  # session-manager-plugin#47
    sup = TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default())),
                           records=records_path(tmp_path),
                           policy=Policy(wake_check=3600, port_line_timeout=1.5))
    rec = Recorder()
    sup.subscribe(rec)
    sup.start()
    cleanup.append(sup)
    spec = TunnelSpec(name="hang", profile="default", target="web-1.prod",
                      remote_port=http_server, local_port=free_port()).validate()
    sup.up(spec)
    # Connected while the first plugin hangs: held, then served by the second one.
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
    assert any("did not open its port within 2 s" in ln.text for ln in sup.log("hang"))
    sessions = [s for s in aws_env.sandbox.control.sessions()
                if s["DocumentName"] == "AWS-StartPortForwardingSession"]
    assert len(sessions) == 2
    hung = [s for s in sessions if s["SessionId"] != sup.status("hang").session_id]
    assert [s["Status"] for s in hung] == ["Terminated"]  # stopped and terminated


def test_wake_from_sleep_restarts_the_session(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    sup, rec = _supervisor(CliCredentialSource(Paths.default()), tmp_path)
    cleanup.append(sup)
    spec = TunnelSpec(name="sleepy", profile="default", target="web-1.prod",
                      remote_port=http_server, local_port=free_port()).validate()
    sup.up(spec)
    first = rec.wait_state(sup, "sleepy", TunnelState.LISTENING)
    sup.woke("the computer slept for 3600 s")
    rec.wait(lambda: sup.status("sleepy").session_id not in ("", first.session_id)
             and sup.status("sleepy").state is TunnelState.LISTENING)
    assert any("slept for 3600 s" in ln.text for ln in sup.log("sleepy"))
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()


def _reply(conn: Any) -> bytes:
    """One keep-alive HTTP reply (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(4096)
    return body


def test_credentials_near_expiry_restart_make_before_break(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    import socket

    sandbox = aws_env.sandbox
    sandbox.control.expire_credentials(cap_seconds=900)  # new temporary keys last 15 min
    # The refresh is due REFRESH_DUE s after the keys are issued. A refresh due in 5 s or
    # less when the session comes up is not scheduled, so leave room for a loaded machine.
    service = CredentialService(MemoryStore(), prompt=lambda request: sandbox.totp())
    sup = TunnelSupervisor(SeamOpener(service), records=records_path(tmp_path),
                           policy=Policy(wake_check=3600, refresh_margin=900 - REFRESH_DUE))
    rec = Recorder()
    sup.subscribe(rec)
    sup.start()
    cleanup.append(sup)
    spec = TunnelSpec(name="exp", profile="mfa", target="web-1.prod", remote_port=http_server,
                      local_port=free_port()).validate()
    sup.up(spec)
    first = rec.wait_state(sup, "exp", TunnelState.LISTENING)
    # A keep-alive connection on the first session, open across the refresh.
    conn = socket.create_connection(("127.0.0.1", spec.local_port), timeout=30)
    conn.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"path=/a" in _reply(conn)
    # The new session is up (its own plugin port) while the old one still serves.
    rec.wait(lambda: sup.status("exp").session_id not in ("", first.session_id)
             and sup.status("exp").plugin_port not in (0, first.plugin_port), timeout=30)
    assert sup.status("exp").state is TunnelState.LISTENING  # never went down
    assert [s["Status"] for s in sandbox.control.sessions()
            if s["SessionId"] == first.session_id] == ["Connected"]
    conn.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"path=/b" in _reply(conn)  # the old session still carries its connection
    conn.close()
    # Its last connection gone, the old session is stopped and terminated.
    wait_until(lambda: [s["Status"] for s in sandbox.control.sessions()
                        if s["SessionId"] == first.session_id] == ["Terminated"])
    assert len(plugins_of(os.getpid())) == 1
    assert http_get(spec.local_port, "/c") == f"hello from {http_server} path=/c\n".encode()
    assert any("the credentials expire soon" in ln.text for ln in sup.log("exp"))


def test_a_refresh_that_fails_keeps_the_old_session_serving(
        aws_env: AwsEnv, http_server: int, tmp_path: Path,
        cleanup: list[TunnelSupervisor]) -> None:
    sandbox = aws_env.sandbox
    sandbox.control.expire_credentials(cap_seconds=900)
    service = CredentialService(MemoryStore(), prompt=lambda request: sandbox.totp())
    sup = TunnelSupervisor(SeamOpener(service), records=records_path(tmp_path),
                           policy=Policy(wake_check=3600, refresh_margin=900 - REFRESH_DUE))
    rec = Recorder()
    sup.subscribe(rec)
    sup.start()
    cleanup.append(sup)
    spec = TunnelSpec(name="exp", profile="mfa", target="web-1.prod", remote_port=http_server,
                      local_port=free_port()).validate()
    sup.up(spec)
    first = rec.wait_state(sup, "exp", TunnelState.LISTENING)
    sandbox.control.fault_region("us-east-1", "InternalServerError", service="ssm",
                                 operation="StartSession", message="SSM is having a bad day")
    rec.wait(lambda: sup.status("exp").last_event.startswith("refresh failed: "))
    status = sup.status("exp")
    assert "SSM is having a bad day" in status.last_event
    assert (status.state, status.session_id, status.problem) == (
        TunnelState.LISTENING, first.session_id, None)
    assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
