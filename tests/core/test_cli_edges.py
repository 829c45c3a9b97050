"""CLI edges (issue 9, item 17): each one as a user meets it, a real subprocess on the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def gangway(*args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=timeout,
                          env=env or dict(os.environ), check=False)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("port", ["70000", "0", "-1", "ssh"])
def test_proxy_checks_the_port_before_any_session_starts(aws_env, port: str) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    before = len(aws_env.sandbox.control.sessions())
    done = gangway("proxy", "--profile", "default", "--region", REGION, node.instance_id, port)
    assert done.returncode == 2, done.stderr
    assert ("port" in done.stderr and "1-65535" in done.stderr) or "not a port" in done.stderr
    assert len(aws_env.sandbox.control.sessions()) == before


@pytest.mark.parametrize(("name", "words"), [
    ("stopped-1", "the instance is stopped (start it first)"),
    ("unmanaged-1", "the SSM agent is not running or not registered; install or start it"),
    ("offline-1", "its SSM agent lost its connection (last seen "),
])
@pytest.mark.parametrize("verb", ["proxy", "session"])
def test_unreachable_targets_say_why_as_the_window_does(aws_env, verb: str, name: str,
                                                        words: str) -> None:
    node = aws_env.sandbox.fleet.by_name(name)
    args = (["proxy", "--profile", "default", "--region", REGION, node.instance_id, "22"]
            if verb == "proxy" else
            ["session", "--profile", "default", "--region", REGION, "--target", node.instance_id])
    done = gangway(*args)
    assert done.returncode == 1
    assert words in done.stderr, done.stderr
    assert "TargetNotConnected" not in done.stderr and "ConnectionLost" not in done.stderr


def test_terminate_an_unknown_session_says_so(aws_env) -> None:
    done = gangway("sessions", "--profile", "default", "--region", REGION,
                   "--terminate", "alice-0123456789abcdef0")
    assert done.returncode == 1
    assert "Terminated" not in done.stdout
    assert "No session alice-0123456789abcdef0 in us-east-1" in done.stderr, done.stderr


def test_ssh_config_refuses_a_profile_that_does_not_exist(aws_env) -> None:
    done = gangway("ssh-config", "--profile", "nosuch")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Profile 'nosuch' was not found." in done.stderr


def test_doctor_json_exits_like_doctor(aws_env) -> None:
    env = {**os.environ, "PATH": str(aws_env.home / "empty-bin")}  # no plugin, no ssh
    plain, as_json = gangway("doctor", env=env), gangway("doctor", "--json", env=env)
    assert json.loads(as_json.stdout)["ok"] is False
    assert plain.returncode == as_json.returncode == 1


@pytest.mark.parametrize("verb", [["profiles", "--json"], ["profiles"],
                                  ["instances", "--profile", "default", "--json"]])
def test_a_closed_pipe_ends_quietly(aws_env, verb: list[str]) -> None:
    # Enough profiles that the output outgrows the pipe buffer (as with `| head`).
    extra = "".join(f"\n[profile p{i:05d}]\nregion = {REGION}\n" for i in range(4000))
    aws_env.config_file.write_text(aws_env.config_file.read_text() + extra)
    with subprocess.Popen([sys.executable, "-m", "app", *verb], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after its line
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert first
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_an_unknown_region_is_refused_before_any_call(aws_env) -> None:
    done = gangway("instances", "--profile", "default", "--region", "xx-nowhere-1")
    assert done.returncode == 1
    assert "'xx-nowhere-1' is not an AWS region." in done.stderr, done.stderr
    assert "ResponseParserError" not in done.stderr


def test_instances_names_the_line_of_a_malformed_config(aws_env) -> None:
    aws_env.config_file.write_text("stray text\n" + aws_env.config_file.read_text())
    done = gangway("instances", "--profile", "default", "--region", REGION)
    assert done.returncode == 1
    assert f"{aws_env.config_file}:1" in done.stderr, done.stderr


def test_a_wrong_key_blames_the_key_not_the_region(aws_env) -> None:
    done = gangway("instances", "--profile", "unknown", "--region", REGION)
    assert done.returncode == 1
    assert "region may not be enabled" not in done.stderr, done.stderr
    assert "AWS rejected the profile's keys" in done.stderr


def test_retries_against_an_unreachable_endpoint_are_announced(aws_env,
                                                               monkeypatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    for service in ("EC2", "SSM", "STS", "IAM"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", dead)
    done = gangway("instances", "--profile", "default", "--region", REGION)
    assert done.returncode == 1
    assert "retrying (" in done.stderr, done.stderr


def test_no_runtime_dir_warning_on_ssh_stderr(aws_env, monkeypatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("GANGWAY_HOME", raising=False)  # the platformdirs locations, as users
    node = aws_env.sandbox.fleet.by_name("stopped-1")
    done = gangway("proxy", "--profile", "default", "--region", REGION, node.instance_id, "22")
    assert done.returncode == 1 and done.stderr.startswith("gangway proxy:"), done.stderr
    assert "RuntimeDirWarning" not in done.stderr and "XDG_RUNTIME_DIR" not in done.stderr
