"""The CLI verbs around the proxy: signals, `gangway sessions`, `gangway ssh-config` with favourites."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]
REGION = "us-east-1"


def _gangway(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def _start_proxy(node_id: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*GANGWAY, "proxy", "--profile", "default", "--region", REGION,
                             node_id, "22"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    # sshd's greeting, through the plugin: the bridge is up. (SSH allows text lines before
    # the version line; the plugin stand-in prints one, as ssh tolerates.)
    for _ in range(5):
        line = proc.stdout.readline()
        if line.startswith(b"SSH-2.0-") or not line:
            break
    if not line.startswith(b"SSH-2.0-"):
        proc.kill()
        raise AssertionError(proc.communicate(timeout=10)[1].decode())
    return proc


def _history(aws_env) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    path = Path(aws_env.env["GANGWAY_HOME"]) / "data" / "sessions.json"
    return json.loads(path.read_text())["sessions"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signals_reach_the_plugin_and_the_session_is_terminated(aws_env, sshd, sig) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    proc = _start_proxy(node.instance_id)
    plugin_pid = [r for r in aws_env.sandbox.plugin_records() if len(r["argv"]) > 5][-1]["pid"]
    proc.send_signal(sig)
    proc.communicate(timeout=30)  # waits, and closes the pipes
    # The plugin is gone (it got the signal), and so is the session at AWS.
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(plugin_pid, 0)
            time.sleep(0.1)
        raise AssertionError("plugin still running")
    session = [s for s in aws_env.sandbox.control.sessions() if s["Target"] == node.instance_id][-1]
    assert session["Status"] == "Terminated"
    last = _history(aws_env)[-1]
    assert last["session_id"] == session["SessionId"]
    assert last["ended"] == f"closed ({sig.name})"


def test_sessions_lists_active_terminates_and_shows_history(aws_env, sshd) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    proc = _start_proxy(node.instance_id)
    try:
        done = _gangway("sessions", "--profile", "default", "--region", REGION, "--json")
        assert done.returncode == 0, done.stderr
        active = json.loads(done.stdout)
        ours = [r for r in active if r["target"] == node.instance_id and r["local"]]
        assert len(ours) == 1 and ours[0]["active"] and ours[0]["profile"] == "default"
        sid = ours[0]["session_id"]
        table = _gangway("sessions", "--profile", "default", "--region", REGION)
        line = next(row for row in table.stdout.splitlines() if sid in row)
        assert line.endswith("  Active"), table.stdout
        assert table.stdout.splitlines()[0].split() == [
            "Started", "Session", "Target", "Document", "Reason", "Status"]
        done = _gangway("sessions", "--profile", "default", "--region", REGION,
                        "--terminate", sid)
        assert done.returncode == 0 and sid in done.stdout
        # The plugin notices (like the agent's TerminateSession) and the proxy ends.
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # reaps, and closes the pipes
    hist = _gangway("sessions", "--profile", "default", "--region", REGION, "--history",
                    "--json")
    rows = {r["session_id"]: r for r in json.loads(hist.stdout)}
    assert rows[sid]["status"] == "Terminated" and rows[sid]["ended"]
    table = _gangway("sessions", "--profile", "default", "--region", REGION, "--history")
    line = next(row for row in table.stdout.splitlines() if sid in row)
    assert line.endswith(("  Terminated", "  Ended: the terminal was closed", "  Ended")), line
    assert "Local" not in line and "closed (" not in line
    assert rows[sid]["profile"] == "default" and not rows[sid]["active"]


def test_sessions_with_an_unknown_profile_is_one_clear_line(aws_env) -> None:  # type: ignore[no-untyped-def]
    done = _gangway("sessions", "--profile", "no-such-profile")
    assert done.returncode == 1 and done.stdout == ""
    assert "no-such-profile" in done.stderr and done.stderr.count("\n") == 1


def test_ssh_config_print_with_favourites(aws_env) -> None:  # type: ignore[no-untyped-def]
    fleet = aws_env.sandbox.fleet
    web = fleet.by_name("web-1.prod")
    hostile = fleet.by_name("$(touch /tmp/pwned)")
    unnamable = fleet.by_name("日本語サーバー")
    data = Path(aws_env.env["GANGWAY_HOME"]) / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "favourites.json").write_text(json.dumps({"schema_version": 1, "instances": [
        [web.region, web.instance_id], [hostile.region, hostile.instance_id],
        [unnamable.region, unnamable.instance_id], ["us-east-1", "mi-0123456789abcdef0"]]}))
    done = _gangway("ssh-config", "--profile", "default", "--region", REGION, "--print")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("# >>> gangway managed block >>>\n")
    assert f"Host gw-web-1-prod\n  HostName {web.instance_id}\n" in out
    assert f"Host gw-touch-tmp-pwned\n  HostName {hostile.instance_id}\n" in out
    assert "Host gw-onprem-db\n  HostName mi-0123456789abcdef0\n" in out
    hostile_block = out.split("Host gw-touch-tmp-pwned")[1].split("Host ")[0]
    assert f"--region {hostile.region}" in hostile_block
    assert "skipped favourite" in done.stderr and "日本語サーバー" in done.stderr
    assert not Path("/tmp/pwned").exists()
    # The CLI-mode variant is the documented text.
    cli = _gangway("ssh-config", "--mode", "cli", "--print", "--no-aliases")
    assert ("ProxyCommand sh -c \"aws ssm start-session --target %h --document-name "
            "AWS-StartSSHSession --parameters 'portNumber=%p'\"") in cli.stdout


def test_ssh_config_refuses_damaged_markers(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config"
    cfg.write_text("# >>> gangway managed block >>>\nHost x\n")
    done = _gangway("ssh-config", "--install", "--no-aliases", "--config", str(cfg))
    assert done.returncode == 1 and "damaged Gangway markers" in done.stderr
    assert cfg.read_text() == "# >>> gangway managed block >>>\nHost x\n"
