"""The session-manager-plugin stand-in honours the real plugin's contract."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from typing import Any

import boto3

from tests.conftest import AwsEnv
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.sshd import SshServer

PLUGIN = "session-manager-plugin"


def run_plugin(
    *args: str, env: dict[str, str] | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PLUGIN, *args], capture_output=True, timeout=30, env=env, input=input, check=False
    )


def start(
    sandbox: Sandbox,
    document: str | None,
    parameters: dict[str, list[str]] | None = None,
    name: str = "web-1.prod",
) -> tuple[dict[str, Any], str]:
    ssm = boto3.Session(profile_name="default").client("ssm", region_name="us-east-1")
    node = sandbox.fleet.by_name(name)
    kwargs: dict[str, Any] = {"Target": node.instance_id}
    if document:
        kwargs["DocumentName"] = document
    if parameters:
        kwargs["Parameters"] = parameters
    resp = ssm.start_session(**kwargs)
    return {k: resp[k] for k in ("SessionId", "TokenValue", "StreamUrl")}, node.instance_id


def plugin_argv(
    sandbox: Sandbox, target: str, response_arg: str = "AWS_SSM_START_SESSION_RESPONSE"
) -> list[str]:
    return [
        PLUGIN,
        response_arg,
        "us-east-1",
        "StartSession",
        "default",
        json.dumps({"Target": target}),
        sandbox.gateway,
    ]


def test_plugin_is_first_on_path(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    assert shutil.which(PLUGIN) == str(sandbox.plugin_dir / PLUGIN)


def test_version_and_usage_messages(aws_env: AwsEnv) -> None:
    assert run_plugin("--version").stdout == b"1.2.694.0\n"
    bare = run_plugin()
    assert bare.returncode == 0
    assert (
        b"The Session Manager plugin was installed successfully. Use the AWS CLI to start a session."
        in bare.stdout
    )
    unknown = run_plugin("frobnicate")
    assert b"Unknown operation frobnicate." in unknown.stdout


def test_request_parameters_without_target_panics_like_the_real_plugin(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    result = run_plugin("{}", "us-east-1", "StartSession", "default", "{}", sandbox.gateway)
    assert result.returncode == 2
    assert result.stderr.startswith(b"panic: interface conversion: interface {} is nil, not string")


def test_invocations_are_recorded_without_secret_values(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    response, target = start(sandbox, "AWS-StartInteractiveCommand", {"command": ["echo recorded"]})
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    result = subprocess.run(
        plugin_argv(sandbox, target), capture_output=True, timeout=30, env=env, check=False
    )
    assert b"recorded" in result.stdout
    [record] = sandbox.plugin_records()
    assert record["argv"][1:] == plugin_argv(sandbox, target)[1:]
    assert record["response_via_env"] and record["response_env_set"]
    assert "AWS_SSM_START_SESSION_RESPONSE" in record["aws_env_names"]
    assert response["TokenValue"] not in json.dumps(record)


def test_interactive_command_runs_and_reports_the_session(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    response, target = start(
        sandbox, "AWS-StartInteractiveCommand", {"command": ["echo from-shell-$((6*7))"]}
    )
    # The legacy form: the response JSON itself as argv[1].
    result = subprocess.run(
        plugin_argv(sandbox, target, json.dumps(response)),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert f"Starting session with SessionId: {response['SessionId']}".encode() in result.stdout
    assert b"from-shell-42" in result.stdout
    [s] = [s for s in sandbox.control.sessions() if s["SessionId"] == response["SessionId"]]
    assert s["Status"] == "Terminated"


def test_shell_session_runs_sh_on_stdin(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    response, target = start(sandbox, None)
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    result = subprocess.run(
        plugin_argv(sandbox, target),
        input=b"echo shell-$((1+1))\nexit\n",
        capture_output=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert b"shell-2" in result.stdout


def test_wrong_token_cannot_start(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    response, target = start(sandbox, None)
    response["TokenValue"] = "forged"
    result = subprocess.run(
        plugin_argv(sandbox, target, json.dumps(response)),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert b"Cannot perform start session" in result.stdout


class _Echo:
    """A tiny TCP echo server standing in for a remote host behind the instance."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)


def _read_port(proc: subprocess.Popen[bytes], session_id: str) -> int:
    assert proc.stdout is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if line.startswith("Port "):
            assert line.strip().endswith(f"opened for sessionId {session_id}.")
            assert proc.stdout.readline() == b"Waiting for connections...\n"
            return int(line.split()[1])
    raise AssertionError("plugin never printed its port")


def test_remote_host_forwarding_and_termination(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    echo = _Echo()
    sandbox.control.map_port(5432, echo.port, target="db.internal", host="127.0.0.1")
    response, target = start(
        sandbox,
        "AWS-StartPortForwardingSessionToRemoteHost",
        {"host": ["db.internal"], "portNumber": ["5432"], "localPortNumber": ["0"]},
    )
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    proc = subprocess.Popen(plugin_argv(sandbox, target), stdout=subprocess.PIPE, env=env)
    try:
        port = _read_port(proc, response["SessionId"])
        for payload in (b"first", b"second"):  # one listener, many connections
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(payload)
                assert c.recv(100) == payload
        boto3.Session(profile_name="default").client(
            "ssm", region_name="us-east-1"
        ).terminate_session(SessionId=response["SessionId"])
        assert proc.wait(timeout=5) == 0  # the plugin notices the session ended
        assert proc.stdout is not None
        assert (
            f"Connection accepted for session [{response['SessionId']}]".encode()
            in proc.stdout.read()
        )
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def test_sigterm_kills_a_forwarding_plugin_without_ending_the_session(
    aws_env: AwsEnv, sandbox: Sandbox, sshd: SshServer
) -> None:
    """The real plugin handles SIGINT (and SIGTSTP, SIGQUIT), not SIGTERM: SIGTERM kills it,
    with no "Exiting session" line and no TerminateSession flag to the agent."""
    response, target = start(
        sandbox, "AWS-StartPortForwardingSession", {"portNumber": ["22"], "localPortNumber": ["0"]}
    )
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    proc = subprocess.Popen(plugin_argv(sandbox, target), stdout=subprocess.PIPE, env=env)
    try:
        port = _read_port(proc, response["SessionId"])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            assert c.recv(4).startswith(b"SSH-")  # sshd's banner through the tunnel
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == -signal.SIGTERM
        assert proc.stdout is not None
        assert b"Exiting session" not in proc.stdout.read()
        [s] = [s for s in sandbox.control.sessions() if s["SessionId"] == response["SessionId"]]
        assert s["Status"] == "Connected"  # still open at AWS: the caller must terminate it
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
