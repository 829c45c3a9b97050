"""`gangway profiles protect|unprotect|login|check|add|remove`: the pane's actions on the CLI.

Real subprocesses against the sandbox; protect/unprotect with a real gnome-keyring on a
private D-Bus; the SSO login approved the way a browser does (opening the printed URL).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles

ROOT = Path(__file__).resolve().parents[2]


def gangway(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, input=stdin, timeout=90, env=dict(os.environ), check=False)


@pytest.mark.needs_program("gnome-keyring-daemon")
@pytest.mark.needs_program("dbus-daemon")
@pytest.mark.linux_only
def test_protect_then_unprotect_from_the_cli(aws_env, gnome_keyring) -> None:
    secret = aws_env.sandbox.identities["default"].secret_access_key
    done = gangway("profiles", "protect", "default")
    assert done.returncode == 0, done.stderr
    assert secret not in aws_env.credentials_file.read_text()
    assert load_profiles().require("default").kind is ProfileKind.PROTECTED
    creds = gangway("credentials", "--profile", "default")
    assert json.loads(creds.stdout)["SecretAccessKey"] == secret
    again = gangway("profiles", "protect", "default")
    assert again.returncode == 1 and "already protected" in again.stderr
    done = gangway("profiles", "unprotect", "default")
    assert done.returncode == 0, done.stderr
    assert secret in aws_env.credentials_file.read_text()
    assert load_profiles().require("default").kind is ProfileKind.STATIC
    alice = aws_env.sandbox.identities["default"]
    done = gangway("profiles", "add", "kept", "--kind", "static", "--protect",
                   "--access-key-id", alice.access_key_id, stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert "keys in the OS keyring" in done.stdout
    kept = load_profiles().require("kept")
    assert kept.kind is ProfileKind.PROTECTED and not kept.in_credentials
    assert gangway("profiles", "check", "kept").returncode == 0


def test_check_prints_the_identity_or_the_reason(aws_env) -> None:
    done = gangway("profiles", "check", "default")
    assert done.returncode == 0, done.stderr
    assert re.search(r"default: account \d{12}, arn:aws:iam::\d{12}:user/alice", done.stdout)
    bad = gangway("profiles", "check", "unknown")
    assert bad.returncode == 1
    assert "unknown: " in bad.stdout and "rejected the credentials" in bad.stdout
    missing = gangway("profiles", "check", "nosuch")
    assert missing.returncode == 1 and "Profile 'nosuch' was not found." in missing.stderr


def test_sso_login_prints_url_and_code_then_the_profile_works(aws_env) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "app", "profiles", "login", "sso",
                             "--no-browser"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    try:
        url = proc.stdout.readline().strip().removeprefix("To log in, open ")
        code_line = proc.stdout.readline()
        code = re.search(r"the code (\S+)\.", code_line)
        assert url.startswith("http") and code and url.endswith(code[1]), (url, code_line)
        with urllib.request.urlopen(url) as resp:
            assert resp.status == 200  # what the user's browser does
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Logged in to" in out
    listed = json.loads(gangway("profiles", "--json").stdout)
    state = {p["name"]: p["state"] for p in listed["profiles"]}["sso"]
    assert state == "VALID_UNTIL"
    assert gangway("profiles", "check", "sso").returncode == 0


def test_login_refuses_a_profile_that_is_not_sso(aws_env) -> None:
    done = gangway("profiles", "login", "default", "--no-browser")
    assert done.returncode == 1 and "is not an SSO profile" in done.stderr


def test_add_each_kind_then_remove(aws_env) -> None:
    alice = aws_env.sandbox.identities["default"]
    done = gangway("profiles", "add", "cli-keys", "--kind", "static", "--region", "eu-west-1",
                   "--access-key-id", alice.access_key_id, stdin=alice.secret_access_key + "\n")
    assert done.returncode == 0, done.stderr
    assert gangway("profiles", "check", "cli-keys").returncode == 0
    done = gangway("profiles", "add", "cli-role", "--kind", "role", "--role-arn",
                   aws_env.sandbox.operator_role_arn, "--source-profile", "cli-keys")
    assert done.returncode == 0, done.stderr
    role = gangway("profiles", "check", "cli-role")
    assert role.returncode == 0 and ":assumed-role/" in role.stdout, role.stdout
    done = gangway("profiles", "add", "cli-sso", "--kind", "sso", "--sso-session", "sandbox",
                   "--sso-account-id", "123456789012", "--sso-role-name", "ReadOnly")
    assert done.returncode == 0, done.stderr
    done = gangway("profiles", "add", "cli-proc", "--kind", "process",
                   "--credential-process", "/bin/false")
    assert done.returncode == 0, done.stderr
    profiles = load_profiles()
    assert [profiles.require(n).kind for n in ("cli-keys", "cli-role", "cli-sso", "cli-proc")] \
        == [ProfileKind.STATIC, ProfileKind.ASSUME_ROLE, ProfileKind.SSO, ProfileKind.PROCESS]
    assert alice.secret_access_key not in aws_env.config_file.read_text()
    refused = gangway("profiles", "remove", "cli-proc")  # no terminal to confirm on
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = gangway("profiles", "remove", "cli-proc", "--yes")
    assert done.returncode == 0, done.stderr
    assert "cli-proc" not in load_profiles()


@pytest.mark.parametrize(("args", "says"), [
    (["--kind", "role", "--role-arn", "not-an-arn", "--source-profile", "default"],
     "--role-arn: a role ARN"),
    (["--kind", "role", "--role-arn", "arn:aws:iam::123456789012:role/x"], "exactly one of"),
    (["--kind", "sso", "--sso-session", "sandbox", "--sso-account-id", "12"], "12 digits"),
    (["--kind", "static", "--access-key-id", "AKIAEXAMPLE000000001"], "secret access key"),
    (["--kind", "static", "--access-key-id", "AKIAEXAMPLE000000001", "--region", "mars"],
     "--region: not a region"),
    (["--kind", "role", "--source-profile", "default"],
     "--role-arn is required for a role profile."),
    (["--kind", "role", "--role-arn", "arn:aws:iam::123456789012:role/x", "--source-profile",
      "default", "--duration-seconds", "600"],
     "--duration-seconds: at least 900 seconds (15 minutes)."),
    (["--kind", "sso", "--sso-start-url", "http://corp.awsapps.com/start", "--sso-region",
      "eu-west-1", "--sso-account-id", "123456789012", "--sso-role-name", "Admin"],
     "--sso-start-url (begins with https://) or --sso-session is required"),
])
def test_add_refuses_bad_values_and_writes_nothing(aws_env, args: list[str], says: str) -> None:
    before = aws_env.config_file.read_bytes(), aws_env.credentials_file.read_bytes()
    done = gangway("profiles", "add", "bad", *args)
    assert done.returncode == 1 and says in done.stderr, done.stderr
    assert (aws_env.config_file.read_bytes(), aws_env.credentials_file.read_bytes()) == before


def test_add_a_role_with_a_duration_and_a_legacy_sso_profile(aws_env) -> None:
    done = gangway("profiles", "add", "long-role", "--kind", "role", "--role-arn",
                   aws_env.sandbox.operator_role_arn, "--source-profile", "default",
                   "--duration-seconds", "3600")
    assert done.returncode == 0, done.stderr
    done = gangway("profiles", "add", "old-sso", "--kind", "sso", "--sso-start-url",
                   "https://corp.awsapps.com/start", "--sso-region", "eu-west-1",
                   "--sso-account-id", "123456789012", "--sso-role-name", "Admin")
    assert done.returncode == 0, done.stderr
    profiles = load_profiles()
    role, legacy = profiles.require("long-role"), profiles.require("old-sso")
    assert (role.kind, role.get("duration_seconds"), role.error) == (
        ProfileKind.ASSUME_ROLE, "3600", None)
    assert (legacy.kind, legacy.error) == (ProfileKind.SSO, None)
    assert {k: legacy.get(k) for k in ("sso_start_url", "sso_region", "sso_session")} == {
        "sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1",
        "sso_session": None}
    assert gangway("profiles", "check", "long-role").returncode == 0
