"""`gangway proxy` and `gangway session` when something is missing or dead: each gives one
stderr line, exit 1 and a history entry. Driven as ssh and the terminal run them (a child
process), against the sandbox, with PATH and AWS_ENDPOINT_URL_<SERVICE> set the way a broken
machine has them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sandbox.state import DROP

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # stdin a pipe nobody writes to, as ssh gives its ProxyCommand.
    return subprocess.run([*GANGWAY, *args], capture_output=True, text=True, timeout=90,
                          stdin=subprocess.PIPE, env=env or dict(os.environ), check=False)


def _history(aws_env) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    path = Path(aws_env.env["GANGWAY_HOME"]) / "data" / "sessions.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["sessions"]  # type: ignore[no-any-return]


def _dead_endpoint() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _one_line(result: subprocess.CompletedProcess[str], verb: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""  # ssh's channel stays clean
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gangway {verb}: ")
    return lines[0]


def _proxy(host: str, port: str = "22") -> list[str]:
    return ["proxy", "--profile", "default", "--region", REGION, host, port]


def _session(host: str) -> list[str]:
    return ["session", "--profile", "default", "--region", REGION, "--target", host]


@pytest.mark.parametrize("verb", ["proxy", "session"])
def test_plugin_missing_from_path(aws_env, verb) -> None:  # type: ignore[no-untyped-def]
    for d in ("/usr/local/sessionmanagerplugin/bin", "/usr/local/bin", "/usr/bin"):
        if (Path(d) / "session-manager-plugin").exists():
            pytest.skip(f"a session-manager-plugin is installed in {d}")
    plugin_dir = str(aws_env.sandbox.plugin_dir)
    env = dict(os.environ, PATH=os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if p != plugin_dir))
    web = aws_env.sandbox.fleet.by_name("web-1.prod").instance_id
    result = _run(_proxy(web) if verb == "proxy" else _session(web), env)
    line = _one_line(result, verb)
    assert "session-manager-plugin was not found on PATH" in line
    assert aws_env.sandbox.control.sessions() == []  # no session was started for nothing
    [row] = _history(aws_env)
    assert row["target"] == web and row["profile"] == "default"
    assert row["ended"].startswith("error: The AWS session-manager-plugin was not found")


@pytest.mark.parametrize("port", ["0", "70000"])
def test_port_out_of_range_is_refused_before_any_aws_call(aws_env, port) -> None:  # type: ignore[no-untyped-def]
    # Every AWS endpoint dead: an AWS call would fail differently, so the port is checked first
    # (by the argument parser: a usage error, exit 2, before anything is started or recorded).
    dead = _dead_endpoint()
    env = dict(os.environ, **{f"AWS_ENDPOINT_URL_{s}": dead for s in ("SSM", "EC2", "STS")})
    result = _run(_proxy("web-1.prod", port), env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"gangway proxy: error: argument port: port {port} is outside 1-65535")
    assert _history(aws_env) == []


@pytest.mark.parametrize("service", ["SSM", "EC2"])
def test_unreachable_endpoint_on_the_fast_path(aws_env, service) -> None:  # type: ignore[no-untyped-def]
    # By Name tag, so EC2 (the name lookup) is asked as well as SSM.
    env = dict(os.environ, **{f"AWS_ENDPOINT_URL_{service}": _dead_endpoint()})
    result = _run(_proxy("web-1.prod"), env)
    line = _one_line(result, "proxy")
    assert "AWS could not be reached" in line
    assert "Check your network connection or VPN" in line
    [row] = _history(aws_env)
    assert row["ended"].startswith("error: ") and "could not be reached" in row["ended"]
    assert aws_env.sandbox.control.sessions() == []


def test_connection_dropped_by_the_network_on_start_session(aws_env) -> None:  # type: ignore[no-untyped-def]
    aws_env.sandbox.control.fault_region(REGION, DROP, service="ssm")
    web = aws_env.sandbox.fleet.by_name("web-1.prod").instance_id
    result = _run(_session(web))
    line = _one_line(result, "session")
    assert "AWS could not be reached" in line
    [row] = _history(aws_env)
    assert row["target"] == web and "could not be reached" in row["ended"]
