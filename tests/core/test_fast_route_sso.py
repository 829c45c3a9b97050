"""The boto3-free route for SSO profiles and EC2's state lookup, against the sandbox: a cached
SSO token gets role credentials with one portal GET; a revoked token, or a portal only
botocore can place, leaves the route to botocore."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.core.aws import sigv4
from app.core.aws.credentials import sso
from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import Credentials
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.sessions import connect
from app.core.errors import AwsError
from app.core.secrets import MemoryStore

REGION = "us-east-1"


def _login(aws_env) -> sso.SsoToken:  # type: ignore[no-untyped-def]
    def approve(device: sso.DeviceAuthorization) -> None:
        assert aws_env.sandbox.control.approve_device_code(user_code=device.user_code)

    return sso.login(sso.config_for(load_profiles(), "sso"), on_code=approve, open_browser=False)


def test_an_sso_profile_with_a_cached_token_takes_the_fast_route(aws_env) -> None:  # type: ignore[no-untyped-def]
    _login(aws_env)
    way = connect.route(CredentialService(MemoryStore(), prompt=None), "sso", None)
    assert isinstance(way.ssm, sigv4.SsmClient) and isinstance(way.lookup, sigv4.Lookup)
    assert way.region == REGION
    creds = way.credentials
    assert creds.access_key_id.startswith("ASIA") and creds.session_token
    assert creds.expiration is not None  # the portal's epoch milliseconds, read
    web = aws_env.sandbox.fleet.by_name("web-1.prod")
    target = way.resolve("web-1.prod")
    assert target.instance_id == web.instance_id
    assert (target.zone or "").startswith(REGION)  # from the DescribeInstances answer
    opened = way.start(target.instance_id)
    assert opened.terminate()
    ended = {s["SessionId"]: s["Status"] for s in aws_env.sandbox.control.sessions()}
    assert ended[opened.started.session_id] == "Terminated"


@pytest.mark.parametrize("verb", [["session", "--profile", "sso", "--target", "web-1.prod"],
                                  ["proxy", "--profile", "sso", "web-1.prod", "22"]])
def test_a_revoked_sso_token_is_one_plain_line(aws_env, verb: list[str]) -> None:  # type: ignore[no-untyped-def]
    # The cache still says valid, the portal says no: the fast route steps aside, botocore's
    # SSO provider fails when the credentials are first needed. Was a traceback.
    _login(aws_env)
    aws_env.sandbox.control.expire_sso_tokens()
    done = subprocess.run([sys.executable, "-m", "app", *verb], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 1
    assert done.stderr == (
        f"gangway {verb[0]}: Getting the credentials of profile 'sso': the SSO login has "
        "expired or is missing. Log in again: `gangway profiles login PROFILE` (or SSO login "
        "in the Profiles pane).\n")
    assert done.stdout == ""


def test_the_portal_is_left_to_botocore_where_only_it_knows_the_endpoint(
        aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    token = _login(aws_env)
    account = "123456789012"  # never sent: no request is made
    monkeypatch.delenv("AWS_ENDPOINT_URL_SSO")
    assert sigv4.sso_role_credentials("us-gov-west-1", token.access_token, account,
                                      "AdministratorAccess") is None
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "ftp://portal.example")
    assert sigv4.sso_role_credentials(REGION, token.access_token, account,
                                      "AdministratorAccess") is None


def _plan(aws_env) -> sigv4.Plan:  # type: ignore[no-untyped-def]
    ident = aws_env.sandbox.identities["default"]
    return sigv4.Plan(REGION, os.environ["AWS_ENDPOINT_URL_SSM"],
                      Credentials(ident.access_key_id, ident.secret_access_key),
                      os.environ["AWS_ENDPOINT_URL_EC2"])


def test_ec2_state_of_an_instance_unknown_and_denied(aws_env) -> None:  # type: ignore[no-untyped-def]
    lookup = sigv4.Lookup(_plan(aws_env))
    assert lookup.state(aws_env.sandbox.fleet.by_name("stopped-1").instance_id) == "stopped"
    assert lookup.state("i-0000000000000dead") is None  # InvalidInstanceID.NotFound
    aws_env.sandbox.control.fault_region(REGION, "UnauthorizedOperation", service="ec2")
    with pytest.raises(AwsError) as err:
        lookup.state(aws_env.sandbox.fleet.by_name("web-1.prod").instance_id)
    assert err.value.code == "UnauthorizedOperation"
    assert err.value.message.startswith("Checking the instance: access denied "
                                        "(UnauthorizedOperation)")


def test_not_connected_says_why_on_the_fast_route(aws_env) -> None:  # type: ignore[no-untyped-def]
    way = connect.route(CredentialService(MemoryStore(), prompt=None), "default", REGION,
                        needs_ec2=False)
    assert isinstance(way.ssm, sigv4.SsmClient)
    stopped = aws_env.sandbox.fleet.by_name("stopped-1").instance_id
    with pytest.raises(AwsError) as err:
        way.start(stopped)
    assert err.value.code == "TargetNotConnected"
    assert err.value.message.startswith(f"Cannot start a session on {stopped}: ")
    # When EC2 cannot be asked either, AWS's own words stand.
    aws_env.sandbox.control.fault_region(REGION, "UnauthorizedOperation", service="ec2")
    with pytest.raises(AwsError) as err:
        way.start(stopped)
    assert err.value.code == "TargetNotConnected"
    assert not err.value.message.startswith("Cannot start a session on")
