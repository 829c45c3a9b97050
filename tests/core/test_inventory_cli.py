"""`gangway instances` as a user runs it: a real subprocess against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def gangway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "instances", *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_json_lists_the_connectable_instances(aws_env):
    fleet = aws_env.sandbox.fleet
    proc = gangway("--profile", "default", "--region", "eu-west-1", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["regions"] == [{"region": "eu-west-1", "ok": True, "error": None,
                               "count": len(fleet.in_region("eu-west-1"))}]
    got = {i["instance_id"] for i in doc["instances"]}
    want = {n.instance_id for n in fleet.in_region("eu-west-1")
            if n.ping == "Online" and n.state in ("running", "hybrid")}
    assert got == want
    one = next(i for i in doc["instances"] if i["name"] == "web-2.prod")
    assert one["permission"]["access"] == "allowed"
    assert one["capabilities"]["ssh"] == {"ok": True, "reason": ""}
    assert one["tags"]["Environment"] == "prod"


def test_table_escapes_hostile_names_and_all_shows_reasons(aws_env):
    fleet = aws_env.sandbox.fleet
    hostile = next(n for n in fleet.nodes if n.name == "line1\nline2")
    proc = gangway("--profile", "default", "--region", hostile.region, "--all")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    row = next(line for line in lines if hostile.instance_id in line)
    assert "line1\\nline2" in row  # escaped, on one line
    assert not any(line.startswith("line2") for line in lines)
    if hostile.region == "us-east-1":
        stopped = next(line for line in lines if "stopped-1" in line)
        assert "the instance is stopped" in stopped
    assert f"{len(fleet.in_region(hostile.region))} instance(s)" in lines[-1]


def test_table_says_in_plain_words_why_and_what_to_do(aws_env):
    proc = gangway("--profile", "default", "--region", "us-east-1", "--all")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:6] == ["Name", "Instance", "Region", "State", "SSM", "agent"]
    offline = next(line for line in lines if line.startswith("offline-1 "))
    assert "connection lost" in offline
    assert "its SSM agent lost its connection (last seen " in offline
    assert offline.endswith("; restart the agent or check the instance's network")
    unmanaged = next(line for line in lines if line.startswith("unmanaged-1 "))
    assert "no agent" in unmanaged
    assert unmanaged.endswith("the SSM agent is not running or not registered; install or "
                              "start it, and give the instance a role that allows Systems "
                              "Manager")
    old = next(line for line in lines if line.startswith("web-1.prod "))
    assert "online" in old
    for jargon in ("ConnectionLost", "not managed", "Inactive"):
        assert jargon not in proc.stdout
    doc = json.loads(gangway("--profile", "default", "--region", "us-east-1", "--all",
                             "--json").stdout)
    bare = next(i for i in doc["instances"] if i["name"] == "unmanaged-1")
    assert bare["permission"] == {"access": "unknown", "reason": "no SSM agent is registered, "
                                  "so there is nothing to check"}


def test_region_errors_go_to_stderr_and_exit_code_reflects_any_success(aws_env):
    sb = aws_env.sandbox
    sb.control.fault_region("eu-west-1", "OptInRequired")
    proc = gangway("--profile", "default", "--region", "us-east-1", "--region", "eu-west-1",
                   "--json")
    assert proc.returncode == 0
    assert "eu-west-1" in proc.stderr and "enabled" in proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["ok"] for r in doc["regions"]] == [True, False]
    assert all(i["region"] == "us-east-1" for i in doc["instances"])
    failed = gangway("--profile", "default", "--region", "eu-west-1")
    assert failed.returncode == 1
    assert "eu-west-1" in failed.stderr


def test_bad_arguments_are_refused_clearly(aws_env):
    proc = gangway("--profile", "default", "--region", "us-east-1", "--all-regions")
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr
    missing = gangway("--profile", "no-such-profile")
    assert missing.returncode == 1
    assert "no-such-profile" in missing.stderr
