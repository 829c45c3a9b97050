"""`gangway session` (the Shell action), hostile names, and whole launches through a terminal.

The plugin stand-in runs the "remote" shell locally and logs each invocation (argv, the names
of the AWS_* variables it saw, never their values), which is how the contract is checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core import terminals
from app.core.launch import Action, SessionRequest, Target, launch
from app.core.quoting import posix_quote
from app.core.ssh import config_block
from app.core.ssh.argv import HostKeyPolicy, SshOptions

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


def _gangway(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _records(aws_env) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5]


def test_shell_session_reaches_plugin_with_the_contract(aws_env) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    done = _gangway("session", "--profile", "default", "--region", REGION, "--target",
                    node.instance_id, "--reason", "ticket 42; $(touch /nonexistent)",
                    stdin="echo shell-ok-$((40+2))\nexit\n")
    assert done.returncode == 0, done.stderr
    assert "shell-ok-42" in done.stdout
    rec = _records(aws_env)[-1]
    argv = rec["argv"]
    assert argv[1:5] == ["AWS_SSM_START_SESSION_RESPONSE", REGION, "StartSession", ""]
    assert json.loads(argv[5]) == {"Target": node.instance_id,
                                   "Reason": "ticket 42; $(touch /nonexistent)"}
    assert argv[6].startswith(aws_env.env["AWS_ENDPOINT_URL_SSM"].rstrip("/"))
    assert rec["response_via_env"] and rec["response_env_set"]
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(rec["aws_env_names"])
    assert "AWS_PROFILE" not in rec["aws_env_names"]
    ident = aws_env.sandbox.identities["default"]
    joined = "\0".join(argv)
    assert ident.secret_access_key not in joined and "TokenValue" not in joined
    sessions = [s for s in aws_env.sandbox.control.sessions() if s["Target"] == node.instance_id]
    assert sessions[-1]["Reason"] == "ticket 42; $(touch /nonexistent)"
    assert sessions[-1]["Status"] == "Terminated"


def test_interactive_command_document(aws_env) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    done = _gangway("session", "--profile", "default", "--region", REGION, "--target",
                    node.instance_id, "--document", "AWS-StartInteractiveCommand",
                    "--parameters", json.dumps({"command": ["echo interactive-$((2+3))"]}))
    assert done.returncode == 0, done.stderr
    assert "interactive-5" in done.stdout
    req = json.loads(_records(aws_env)[-1]["argv"][5])
    assert req["DocumentName"] == "AWS-StartInteractiveCommand"
    assert req["Parameters"] == {"command": ["echo interactive-$((2+3))"]}


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]"])
def test_bad_parameters_are_refused_before_any_call(aws_env, bad: str) -> None:  # type: ignore[no-untyped-def]
    done = _gangway("session", "--profile", "default", "--target", "i-0123456789abcdef0",
                    "--parameters", bad)
    assert done.returncode == 1
    assert "--parameters" in done.stderr and done.stderr.count("\n") == 1
    assert _records(aws_env) == []


def test_errors_are_one_line_on_stderr_and_nothing_on_stdout(aws_env) -> None:  # type: ignore[no-untyped-def]
    # A stopped instance: StartSession fails with TargetNotConnected.
    node = aws_env.sandbox.fleet.by_name("stopped-1")
    done = _gangway("proxy", "--profile", "default", "--region", REGION, node.instance_id, "22")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "the instance is stopped" in done.stderr and done.stderr.count("\n") == 1
    hist = json.loads((Path(aws_env.env["GANGWAY_HOME"]) / "data" / "sessions.json").read_text())
    assert hist["sessions"][-1]["ended"].startswith("error:")
    # An unknown profile, and an unknown name.
    done = _gangway("proxy", "--profile", "nope", "web-1.prod", "22")
    assert done.returncode == 1 and "nope" in done.stderr and done.stdout == ""
    done = _gangway("proxy", "--profile", "default", "--region", REGION, "no-such-name", "22")
    assert done.returncode == 1 and "No instance named 'no-such-name'" in done.stderr


@pytest.mark.parametrize("name", ["$(touch /tmp/pwned)", "`touch /tmp/pwned`"])
def test_hostile_name_resolves_as_data_never_as_shell(aws_env, tmp_path: Path, name: str,
                                                      lookup_path: str) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name(name)
    marker = Path("/tmp/pwned")
    if marker.exists():
        marker.unlink()
    done = _gangway("proxy", "--profile", "default", "--region", node.region, name, "22",
                    timeout=30)
    if node.ping == "Online":
        assert done.returncode == 0, done.stderr
        assert json.loads(_records(aws_env)[-1]["argv"][5])["Target"] == node.instance_id
    else:
        assert "SSM agent" in done.stderr or "the instance is" in done.stderr
        assert "ConnectionLost" not in done.stderr
    # The same name as a favourite alias and as a window title.
    rendered = config_block.render("true %h %p", [config_block.Alias(name, node.instance_id)])
    assert "Host gw-touch-tmp-pwned\n" in rendered.text
    cfg = tmp_path / "config"
    config_block.install(cfg, rendered)
    g = subprocess.run(["ssh", "-G", "-F", str(cfg), "gw-touch-tmp-pwned"], capture_output=True,
                       text=True, check=True)
    assert f"hostname {node.instance_id}" in g.stdout
    assert not marker.exists()


def _wait_for(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written")


def _ssh_request(aws_env, sshd, tmp_path: Path, out: Path, name: str) -> SessionRequest:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    known = tmp_path / "known_hosts"
    known.write_text(f"* {sshd.host_key_pub}\n")
    opts = SshOptions(user=sshd.user, identity_file=str(sshd.client_key),
                      known_hosts=HostKeyPolicy.STRICT, known_hosts_file=str(known),
                      config_file="/dev/null", identities_only=True,
                      extra_options=("BatchMode=yes",))
    # The sandbox's "instance" is this machine's sshd, so a remote file is a local one.
    return SessionRequest(Action.SSH, Target(node.instance_id, REGION, "default", name=name),
                          ssh=opts, remote_command=("sh", "-c", f"echo launched-ok > {posix_quote(str(out))}"))


@pytest.mark.needs_program("ssh")
def test_custom_template_terminal_runs_the_whole_chain(aws_env, sshd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "it worked.txt"
    req = _ssh_request(aws_env, sshd, tmp_path, out, name="$(touch /tmp/pwned) 'x\"")
    # `{command}` inside a word: the command arrives POSIX-quoted inside `sh -c`.
    spec = launch(req, template='/bin/sh -c "exec {command} </dev/null"', gangway=GANGWAY)
    proc = terminals.start(spec)
    assert proc.wait(timeout=60) == 0
    assert _wait_for(out) == "launched-ok\n"
    assert not Path("/tmp/pwned").exists()


@pytest.mark.needs_program("xterm", "Xvfb")
def test_xterm_under_xvfb_runs_ssh(aws_env, sshd, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    read_fd, write_fd = os.pipe()  # Xvfb picks a free display and writes its number here
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            display = ":" + f.readline().strip()
        monkeypatch.setenv("DISPLAY", display)
        out = tmp_path / "xterm.txt"
        req = _ssh_request(aws_env, sshd, tmp_path, out, name="web-1 `id`")
        spec = launch(req, choice="xterm", gangway=GANGWAY,
                      system="Linux")
        assert spec.argv[0] == shutil.which("xterm")
        assert spec.argv[1:3] == ("-T", f"web-1 `id` ({req.target.instance_id}) - ssh")
        proc = terminals.start(spec)
        assert _wait_for(out) == "launched-ok\n"
        proc.wait(timeout=30)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


@pytest.fixture(params=["stdlib", "boto3"])
def lookup_path(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Both ways the proxy can call AWS: its boto3-free path, and boto3 (which it uses as soon
    as a setting it does not handle itself is present, here a CA bundle)."""
    if request.param == "boto3":
        import certifi

        monkeypatch.setenv("AWS_CA_BUNDLE", certifi.where())
    return request.param


def test_hybrid_node_name_and_ambiguous_names(aws_env, lookup_path) -> None:  # type: ignore[no-untyped-def]
    done = _gangway("proxy", "--profile", "default", "--region", REGION, "onprem-db", "22",
                    timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(_records(aws_env)[-1]["argv"][5])["Target"] == "mi-0123456789abcdef0"

    from app.core.aws.client import client, new_session

    ec2 = client(new_session("default"), "ec2", REGION)
    ids = [ec2.run_instances(ImageId="ami-760aaa0f", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"twin-{lookup_path}"}]}],
        )["Instances"][0]["InstanceId"] for _ in range(2)]
    done = _gangway("proxy", "--profile", "default", "--region", REGION, f"twin-{lookup_path}",
                    "22")
    assert done.returncode == 1 and done.stdout == ""
    assert "Several instances are named" in done.stderr
    assert all(i in done.stderr for i in ids) and done.stderr.count("\n") == 1
