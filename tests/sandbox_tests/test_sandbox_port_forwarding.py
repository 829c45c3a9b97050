"""The plugin stand-in's port forwarding follows the real plugin (muxportforwarding.go,
basicportforwarding.go, sessionhandler.go, streaming.go), and StartSession checks the
documents' parameters as the service does."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from typing import Any

import boto3
import botocore.exceptions
import pytest

from tests.conftest import AwsEnv
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.services import free_port

PLUGIN = "session-manager-plugin"


def ssm() -> Any:
    return boto3.Session(profile_name="default").client("ssm", region_name="us-east-1")


def start_plugin(
    sandbox: Sandbox, name: str, document: str, params: dict[str, list[str]]
) -> tuple[subprocess.Popen[bytes], str]:
    node = sandbox.fleet.by_name(name)
    resp = ssm().start_session(Target=node.instance_id, DocumentName=document, Parameters=params)
    response = {k: resp[k] for k in ("SessionId", "TokenValue", "StreamUrl")}
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    argv = [
        PLUGIN,
        "AWS_SSM_START_SESSION_RESPONSE",
        "us-east-1",
        "StartSession",
        "",
        json.dumps({"Target": node.instance_id, "DocumentName": document, "Parameters": params}),
        sandbox.gateway,
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return proc, resp["SessionId"]


def read_exactly(proc: subprocess.Popen[bytes], wanted: bytes, timeout: float = 15) -> bytes:
    """Bytes from the plugin's stdout until `wanted` has been seen (raw, newlines and all)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} not in {seen!r}")
        import select

        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"EOF before {wanted!r}: {seen!r}")
            seen += chunk
    return seen


def recv_all(c: socket.socket) -> bytes:
    data = b""
    while chunk := c.recv(65536):
        data += chunk
    return data


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_mux_output_local_port_zero_and_many_connections(
    aws_env: AwsEnv, sandbox: Sandbox, http_server: int
) -> None:
    proc, sid = start_plugin(
        sandbox,
        "web-1.prod",
        "AWS-StartPortForwardingSession",
        {"portNumber": [str(http_server)], "localPortNumber": ["0"]},
    )
    try:
        out = read_exactly(proc, b"Waiting for connections...\n")
        prefix = f"\nStarting session with SessionId: {sid}\nPort ".encode()
        assert out.startswith(prefix)
        port = int(out[len(prefix) :].split(b" ", 1)[0])
        assert port > 0  # localPortNumber 0: a real port, printed
        # No newline after the Port line in multiplexing mode: the next printf brings it.
        assert out.endswith(f"opened for sessionId {sid}.\nWaiting for connections...\n".encode())
        conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
        for i, c in enumerate(conns):  # served at once, not one after another
            c.sendall(f"GET /{i} HTTP/1.0\r\n\r\n".encode())
        for i, c in enumerate(conns):
            assert f"path=/{i}".encode() in recv_all(c)
            c.close()
        more = read_exactly(proc, f"\nConnection accepted for session [{sid}]\n".encode())
        time.sleep(0.3)
        assert proc.stdout is not None
        proc.send_signal(signal.SIGINT)
        rest = more + proc.stdout.read()
        assert rest.count(b"Connection accepted") == 1  # sync.Once
        assert rest.endswith(
            f"Terminate signal received, exiting.\n\n\nExiting session with sessionId: {sid}.\n\n".encode()
        )
        assert proc.wait(10) == 0
    finally:
        stop(proc)


def test_old_agent_serves_one_connection_at_a_time(
    aws_env: AwsEnv, sandbox: Sandbox, http_server: int
) -> None:
    proc, sid = start_plugin(
        sandbox,
        "old-agent-ssh",  # SSM Agent 2.3.612.0: not newer than 3.0.196.0, so no multiplexing
        "AWS-StartPortForwardingSession",
        {"portNumber": [str(http_server)], "localPortNumber": ["0"]},
    )
    try:
        out = read_exactly(proc, b".\n")
        assert (
            out == f"\nStarting session with SessionId: {sid}\n".encode() + out.split(b"\n", 2)[2]
        )
        line = out.split(b"\n")[2]
        assert line.startswith(b"Port ") and line.endswith(f"opened for sessionId {sid}.".encode())
        port = int(line.split()[1])
        first = socket.create_connection(("127.0.0.1", port), timeout=10)
        second = socket.create_connection(("127.0.0.1", port), timeout=10)
        second.sendall(b"GET /second HTTP/1.0\r\n\r\n")
        second.settimeout(1.0)
        with pytest.raises(TimeoutError):
            second.recv(4096)  # waits for the first connection to end
        first.sendall(b"GET /first HTTP/1.0\r\n\r\n")
        assert b"path=/first" in recv_all(first)
        first.close()
        second.settimeout(10)
        assert b"path=/second" in recv_all(second)
        second.close()
        assert read_exactly(proc, f"Connection accepted for session {sid}.\n".encode())
    finally:
        stop(proc)


def test_busy_local_port_hangs_silently(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    holder = socket.create_server(("127.0.0.1", 0))
    busy = holder.getsockname()[1]
    proc, sid = start_plugin(
        sandbox,
        "web-1.prod",
        "AWS-StartPortForwardingSession",
        {"portNumber": ["80"], "localPortNumber": [str(busy)]},
    )
    try:
        assert read_exactly(proc, b"\n", timeout=15).startswith(b"\nStarting session")
        time.sleep(2.0)
        assert proc.poll() is None  # no Port line, no error, no exit: it just waits
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        assert (proc.stdout.read() or b"") in (
            b"",
            f"Starting session with SessionId: {sid}\n".encode(),
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        holder.close()
        stop(proc)


def test_idle_timeout_closes_the_session(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    sandbox.control.set_idle_timeout(1.0)
    proc, sid = start_plugin(
        sandbox,
        "web-1.prod",
        "AWS-StartPortForwardingSession",
        {"portNumber": ["80"], "localPortNumber": ["0"]},
    )
    try:
        out = read_exactly(proc, b"inactivity and has been terminated.\n\n", timeout=20)
        assert out.endswith(
            f"\n\nSessionId: {sid} : Your session timed out due to inactivity and has been "
            "terminated.\n\n".encode()
        )
        assert proc.wait(10) == 0  # exit code 0, as on every ending
    finally:
        stop(proc)


def test_destination_failure_is_reported_and_the_session_lives_on(
    aws_env: AwsEnv, sandbox: Sandbox, http_server: int
) -> None:
    closed = free_port()  # nothing listens there
    sandbox.control.map_port(5432, closed, target="nowhere.internal")
    proc, _sid = start_plugin(
        sandbox,
        "bastion",
        "AWS-StartPortForwardingSessionToRemoteHost",
        {"host": ["nowhere.internal"], "portNumber": ["5432"], "localPortNumber": ["0"]},
    )
    try:
        out = read_exactly(proc, b"Waiting for connections...\n")
        port = int(out.split(b"Port ")[1].split()[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            assert c.recv(100) == b""
        read_exactly(proc, b"\nConnection to destination port failed, check SSM Agent logs.\n")
        assert proc.poll() is None
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("document", "params", "ok"),
    [
        ("AWS-StartPortForwardingSession", {"portNumber": ["80"], "localPortNumber": ["0"]}, True),
        ("AWS-StartPortForwardingSession", {"portNumber": ["80"]}, True),
        ("AWS-StartPortForwardingSession", {"host": ["x"], "portNumber": ["80"]}, False),
        ("AWS-StartPortForwardingSession", {"portNumber": ["0"]}, False),
        (
            "AWS-StartPortForwardingSession",
            {"portNumber": ["80"], "localPortNumber": ["70000"]},
            False,
        ),
        (
            "AWS-StartPortForwardingSessionToRemoteHost",
            {"host": ["db"], "portNumber": ["5432"], "localPortNumber": ["0"]},
            True,
        ),
        ("AWS-StartPortForwardingSessionToRemoteHost", {"portNumber": ["5432"]}, False),
    ],
)
def test_start_session_checks_the_documents_parameters(
    aws_env: AwsEnv, sandbox: Sandbox, document: str, params: dict[str, list[str]], ok: bool
) -> None:
    target = sandbox.fleet.by_name("web-1.prod").instance_id
    if ok:
        assert ssm().start_session(Target=target, DocumentName=document, Parameters=params)[
            "SessionId"
        ]
        return
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ssm().start_session(Target=target, DocumentName=document, Parameters=params)
    assert err.value.response["Error"]["Code"] == "InvalidParameters"
