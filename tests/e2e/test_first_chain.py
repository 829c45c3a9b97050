"""The first end-to-end proof: boto3 StartSession -> plugin stand-in -> real OpenSSH server.

Every hop is the real thing except AWS itself: boto3 speaks the SSM wire protocol to the
sandbox gateway, ssh runs the plugin as its ProxyCommand with the StartSession response in
AWS_SSM_START_SESSION_RESPONSE (never on argv), and sshd runs the remote command.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import AwsEnv
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.sshd import SshServer

PROXY_HELPER = Path(__file__).resolve().parents[1] / "sandbox" / "proxy_helper.py"

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only, pytest.mark.needs_program("ssh")]


def _start(
    sandbox: Sandbox, name: str, document: str, parameters: dict[str, list[str]]
) -> tuple[dict[str, Any], str]:
    ssm = boto3.Session(profile_name="default").client("ssm", region_name="us-east-1")
    target = sandbox.fleet.by_name(name).instance_id
    resp = ssm.start_session(Target=target, DocumentName=document, Parameters=parameters)
    return {k: resp[k] for k in ("SessionId", "TokenValue", "StreamUrl")}, target


def test_ssh_over_ssm_session_to_real_sshd(
    aws_env: AwsEnv, sandbox: Sandbox, sshd: SshServer, tmp_path: Path
) -> None:
    response, target = _start(sandbox, "web-1.prod", "AWS-StartSSHSession", {"portNumber": ["22"]})
    request = {
        "Target": target,
        "DocumentName": "AWS-StartSSHSession",
        "Parameters": {"portNumber": ["22"]},
    }
    plugin_args = tmp_path / "plugin-args.json"
    plugin_args.write_text(
        json.dumps(
            {
                "argv": [
                    "session-manager-plugin",
                    "AWS_SSM_START_SESSION_RESPONSE",
                    "us-east-1",
                    "StartSession",
                    "default",
                    json.dumps(request),
                    aws_env.env["AWS_ENDPOINT_URL_SSM"],
                ]
            }
        )
    )
    proxy_command = shlex.join([sys.executable, str(PROXY_HELPER), str(plugin_args)])
    nonce = secrets.token_hex(6)
    argv = [
        *sshd.ssh_base_argv(),
        "-o",
        f"ProxyCommand={proxy_command}",
        "-p",
        str(sshd.port),
        "127.0.0.1",  # the host key is pinned for [127.0.0.1]:port in the sandbox known_hosts
        f"echo proof-{nonce}-$((40+2))",
    ]
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    result = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"proof-{nonce}-42"

    [record] = sandbox.plugin_records()
    assert record["response_via_env"] is True
    assert response["TokenValue"] not in " ".join(record["argv"])  # the secret never went on argv
    assert record["argv"][3] == "StartSession" and json.loads(record["argv"][5])["Target"] == target
    [session] = [s for s in sandbox.control.sessions() if s["SessionId"] == response["SessionId"]]
    assert session["Target"] == target and session["DocumentName"] == "AWS-StartSSHSession"


def test_port_forwarding_session_to_sshd(
    aws_env: AwsEnv, sandbox: Sandbox, sshd: SshServer
) -> None:
    response, target = _start(
        sandbox,
        "bastion",
        "AWS-StartPortForwardingSession",
        {"portNumber": ["22"], "localPortNumber": ["0"]},
    )
    env = dict(os.environ, AWS_SSM_START_SESSION_RESPONSE=json.dumps(response))
    plugin = subprocess.Popen(
        [
            "session-manager-plugin",
            "AWS_SSM_START_SESSION_RESPONSE",
            "us-east-1",
            "StartSession",
            "default",
            json.dumps({"Target": target, "DocumentName": "AWS-StartPortForwardingSession"}),
            aws_env.env["AWS_ENDPOINT_URL_SSM"],
        ],
        env=env,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert plugin.stdout is not None
        port = None
        deadline = time.monotonic() + 15
        while port is None and time.monotonic() < deadline:
            line = plugin.stdout.readline().decode()
            if line.startswith("Port ") and line.rstrip().endswith(
                f"opened for sessionId {response['SessionId']}."
            ):
                port = int(line.split()[1])
        assert port, "the plugin never announced its local port"
        assert plugin.stdout.readline() == b"Waiting for connections...\n"
        known_hosts = sshd.known_hosts.parent / "known_hosts_forwarded"
        known_hosts.write_text(sshd.known_hosts_line_for(port) + "\n")
        argv = [
            *sshd.ssh_base_argv(known_hosts=known_hosts),
            "-p",
            str(port),
            "127.0.0.1",
            "echo forwarded-$((20+1))",
        ]
        for _ in range(2):  # the listener keeps serving new connections
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip() == "forwarded-21"
    finally:
        plugin.terminate()
        plugin.communicate(timeout=10)  # reaps, and closes its stdout pipe
