"""The boto3-free `proxy` route with a custom CA (AWS_CA_BUNDLE, the profile's ca_bundle) and
for SSO profiles with a cached token, over the sandbox's HTTPS listener (a throwaway CA).

"boto3-free" is observed, not assumed: the proxy runs under `python -X importtime` and its
import log must not name boto3 or botocore.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app.core.aws.credentials import sso
from app.core.aws.profiles.reader import load_profiles

pytestmark = [pytest.mark.e2e, pytest.mark.linux_only]
ROOT = Path(__file__).resolve().parents[2]
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")
REGION = "us-east-1"


def proxy(profile: str, node_id: str, log: Path) -> tuple[bool, str]:
    """Run `gangway proxy`; (reached sshd, its stderr without the import log)."""
    with log.open("w") as err, subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "app", "proxy", "--profile", profile,
             "--region", REGION, node_id, "22"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            env=dict(os.environ)) as proc:
        assert proc.stdout is not None
        line = b""
        for _ in range(5):
            line = proc.stdout.readline()
            if line.startswith(b"SSH-2.0-") or not line:
                break
        proc.kill()
        proc.wait(timeout=30)
    text = log.read_text()
    return line.startswith(b"SSH-2.0-"), text


def imported(text: str) -> set[str]:
    return {line.split("|")[-1].strip() for line in text.splitlines()
            if line.startswith("import time:")}


def messages(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("import time:"))


@pytest.fixture
def https(aws_env, monkeypatch, tmp_path: Path) -> Path:
    bundle = tmp_path / "corporate-bundle.pem"
    for key, value in aws_env.sandbox.https_env(
            bundle, SYSTEM_CAS if SYSTEM_CAS.exists() else None).items():
        monkeypatch.setenv(key, value)
    return bundle


def test_aws_ca_bundle_keeps_the_fast_route(aws_env, sshd, https, tmp_path: Path) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ok, log = proxy("default", node.instance_id, tmp_path / "err")
    assert ok, messages(log)
    assert not {"boto3", "botocore"} & imported(log)


def test_the_profiles_ca_bundle_is_honoured_too(aws_env, sshd, https, monkeypatch,
                                                tmp_path: Path) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE")
    config = aws_env.config_file
    config.write_text(config.read_text().replace(
        "[default]\n", f"[default]\nca_bundle = {https}\n", 1))
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ok, log = proxy("default", node.instance_id, tmp_path / "err")
    assert ok, messages(log)
    assert not {"boto3", "botocore"} & imported(log)


def test_a_bundle_without_the_servers_ca_is_refused(aws_env, https, monkeypatch,
                                                    tmp_path: Path) -> None:
    if not SYSTEM_CAS.exists():
        pytest.skip(f"{SYSTEM_CAS} is not installed")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(SYSTEM_CAS))  # the public roots only
    before = len(aws_env.sandbox.control.sessions())
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ok, log = proxy("default", node.instance_id, tmp_path / "err")
    assert not ok
    assert "CERTIFICATE_VERIFY_FAILED" in messages(log) or "certificate verify failed" in \
        messages(log), messages(log)
    assert len(aws_env.sandbox.control.sessions()) == before


def _log_in_to_sso() -> None:
    def approve(device: sso.DeviceAuthorization) -> None:
        with urllib.request.urlopen(device.verification_uri_complete) as resp:  # the "browser"
            assert resp.status == 200

    sso.login(sso.config_for(load_profiles(), "sso"), on_code=approve, open_browser=False)


@pytest.mark.parametrize("tls", [False, True])
def test_sso_with_a_cached_token_takes_the_fast_route(aws_env, sshd, request, tmp_path: Path,
                                                      tls: bool) -> None:
    if tls:
        request.getfixturevalue("https")
    _log_in_to_sso()
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ok, log = proxy("sso", node.instance_id, tmp_path / "err")
    assert ok, messages(log)
    assert not {"boto3", "botocore"} & imported(log)
    started = [s for s in aws_env.sandbox.control.sessions() if s["Target"] == node.instance_id]
    assert started and "AWSReservedSSO_AdministratorAccess" in started[-1]["Owner"]


def test_sso_without_a_login_still_says_log_in(aws_env, tmp_path: Path) -> None:
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ok, log = proxy("sso", node.instance_id, tmp_path / "err")
    assert not ok
    assert "gangway profiles login sso" in messages(log) or "SSO" in messages(log), \
        messages(log)
