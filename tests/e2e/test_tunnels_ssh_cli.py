"""`gangway tunnel add --ssh [--ssh-user USER]` as a user runs it: saved, listed, refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AwsEnv

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]

GANGWAY = [sys.executable, "-m", "app"]


def gangway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GANGWAY, "tunnel", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_add_ssh_tunnels_and_list_them(aws_env: AwsEnv) -> None:
    done = gangway("add", "db", "--profile", "default", "--target", "tag:Role=db", "--ssh",
                   "--ssh-user", "ec2-user", "--remote-host", "10.0.0.5", "--remote-port",
                   "5432", "--local-port", "15432")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Saved db: 127.0.0.1:15432 -> tag:Role=db 10.0.0.5:5432 "
                                   "(ssh -L).")
    done = gangway("add", "web", "--profile", "default", "--target", "web-1.prod", "--ssh",
                   "--remote-port", "8080")
    assert done.returncode == 0, done.stderr
    listed = {t["name"]: t for t in json.loads(gangway("list", "--json").stdout)}
    assert listed["db"]["mode"] == "ssh" and listed["db"]["ssh_user"] == "ec2-user"
    assert listed["db"]["document"] == "AWS-StartSSHSession"
    assert listed["web"]["mode"] == "ssh" and listed["web"]["remote_host"] == ""
    assert "ssh_user" not in listed["web"]  # ssh's config decides
    saved = json.loads((Path(aws_env.env["GANGWAY_HOME"]) / "config" / "tunnels.json")
                       .read_text())
    assert any(t.get("ssh_user") == "ec2-user" for t in saved["tunnels"])


@pytest.mark.parametrize("extra,words", [
    (["--ssh", "--ssh-user", "-oProxyCommand=touch /tmp/gw-cli-pwned"], "not a valid login"),
    (["--ssh", "--ssh-user", "a;touch /tmp/gw-cli-pwned"], "not a valid login"),
    (["--ssh", "--remote-host", "-oProxyCommand=touch /tmp/gw-cli-pwned"], "ssh can forward"),
    (["--ssh-user", "ec2-user"], "only applies to ssh -L"),
])
def test_hostile_or_misplaced_ssh_values_are_refused(
        aws_env: AwsEnv, extra: list[str], words: str) -> None:
    done = gangway("add", "x", "--profile", "default", "--target", "web-1.prod",
                   "--remote-port", "80", *extra)
    assert done.returncode != 0
    assert words in done.stderr, done.stderr
    assert json.loads(gangway("list", "--json").stdout) == []
    assert not Path("/tmp/gw-cli-pwned").exists()
