"""The boto3 route (a profile with its own endpoint_url: only botocore reads that), against
the sandbox: names
of EC2 instances and hybrid nodes, why a target is not connected, a profile that cannot be
used; and the choice among several matches, with literal candidates."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.aws import sigv4
from app.core.aws.credentials.service import CredentialService
from app.core.aws.sessions import api, connect, keypush, targets
from app.core.aws.sessions.targets import Match
from app.core.errors import AwsError, CredentialError, ProfileError
from app.core.secrets import MemoryStore

REGION = "us-east-1"


def _route(aws_env, profile: str = "edge") -> connect.Route:  # type: ignore[no-untyped-def]
    """`edge`: the default user's keys, and the sandbox as the profile's endpoint_url."""
    ident = aws_env.sandbox.identities["default"]
    with open(aws_env.config_file, "a") as f:
        f.write(f"\n[profile edge]\nregion = {REGION}\nendpoint_url = {aws_env.sandbox.gateway}\n")
    with open(aws_env.credentials_file, "a") as f:
        f.write(f"\n[edge]\naws_access_key_id = {ident.access_key_id}\n"
                f"aws_secret_access_key = {ident.secret_access_key}\n")
    return connect.route(CredentialService(MemoryStore(), prompt=None), profile, None)


def test_a_role_profile_resolves_names_through_boto3(aws_env) -> None:  # type: ignore[no-untyped-def]
    way = _route(aws_env)
    assert isinstance(way.lookup, targets.BotoLookup) and isinstance(way.ssm, api.BotoSsm)
    ident = aws_env.sandbox.identities["default"]
    assert way.region == REGION and way.credentials.access_key_id == ident.access_key_id
    web = aws_env.sandbox.fleet.by_name("web-1.prod")
    found = way.resolve("web-1.prod")
    assert found.instance_id == web.instance_id and found.note == ""
    assert (found.zone or "").startswith(REGION)
    # No EC2 instance has this name: the managed (hybrid) nodes are asked next.
    node = way.resolve("onprem-db")
    assert node.instance_id == "mi-0123456789abcdef0"
    assert [m.state for m in node.matches] == ["Online"]
    with pytest.raises(AwsError) as err:
        way.resolve("no-such-host")
    assert err.value.message == "No instance named 'no-such-host' in us-east-1."


def test_not_connected_is_explained_on_the_boto3_route(aws_env) -> None:  # type: ignore[no-untyped-def]
    way = _route(aws_env)
    stopped = aws_env.sandbox.fleet.by_name("stopped-1").instance_id
    with pytest.raises(AwsError) as err:
        way.start(stopped)
    assert err.value.code == "TargetNotConnected"
    assert err.value.message.startswith(f"Cannot start a session on {stopped}: ")
    assert "stopped" in err.value.message
    # An id neither SSM nor EC2 knows (SSM: InvalidInstanceId, EC2: InvalidInstanceID.NotFound).
    with pytest.raises(AwsError) as err:
        way.start("i-0000000000000dead")
    assert err.value.message == ("Cannot start a session on i-0000000000000dead: no instance "
                                 "i-0000000000000dead in us-east-1.")


@pytest.mark.parametrize(("service", "code"), [("ssm", "AccessDeniedException"),
                                               ("ec2", "UnauthorizedOperation")])
def test_when_the_lookups_fail_too_aws_words_stand(aws_env, service: str, code: str) -> None:  # type: ignore[no-untyped-def]
    way = _route(aws_env)
    stopped = aws_env.sandbox.fleet.by_name("stopped-1").instance_id
    operation = "DescribeInstanceInformation" if service == "ssm" else None
    aws_env.sandbox.control.fault_region(REGION, code, service=service, operation=operation)
    with pytest.raises(AwsError) as err:
        way.start(stopped)
    assert err.value.code == "TargetNotConnected"
    assert err.value.message == f"Starting a session on {stopped}: TargetNotConnected: " \
        f"{stopped} is not connected."


def test_a_profile_with_an_error_is_refused_before_any_call(aws_env) -> None:  # type: ignore[no-untyped-def]
    config = Path(aws_env.config_file)
    config.write_text(config.read_text() + "\n[profile loop]\nrole_arn = arn:aws:iam::"
                      "123456789012:role/x\nsource_profile = loop\n")
    with pytest.raises(ProfileError) as err:
        _route(aws_env, "loop")
    assert err.value.message.startswith("Profile 'loop': ")
    assert err.value.hint == "Fix it in the profile editor or in ~/.aws/config."


T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _m(iid: str, state: str, day: int | None = None) -> Match:
    return Match(iid, state, T0.replace(day=day) if day else None)


def test_one_running_of_several_is_taken_for_ssh_and_tunnels() -> None:
    found = [_m("i-0000000000000000a", "stopped", 1), _m("i-0000000000000000b", "running", 2)]
    for newest in (False, True):
        chosen = targets.pick(found, "web", REGION, newest=newest)
        assert chosen.instance_id == "i-0000000000000000b"
        assert chosen.note == "newest running of 2 matches"


def test_several_running_the_newest_for_tunnels_an_error_for_ssh() -> None:
    found = [_m("i-0000000000000000c", "running", 3), _m("i-0000000000000000a", "running", 9),
             _m("i-0000000000000000b", "running"), _m("mi-0000000000000000d", "Online", 5)]
    chosen = targets.pick(found, "web", REGION, newest=True)
    assert chosen.instance_id == "i-0000000000000000a"
    assert [m.instance_id for m in chosen.matches] == [
        "i-0000000000000000c", "i-0000000000000000a", "i-0000000000000000b",
        "mi-0000000000000000d"]
    with pytest.raises(AwsError) as err:
        targets.pick(found, "web", REGION)
    assert err.value.message == (
        "Several instances are named 'web' in us-east-1: i-0000000000000000a (running), "
        "i-0000000000000000b (running), i-0000000000000000c (running), "
        "mi-0000000000000000d (Online).")
    none_running = [_m("i-0000000000000000a", "stopped"), _m("i-0000000000000000b", "stopping")]
    with pytest.raises(AwsError, match="Several instances are named 'web'"):
        targets.pick(none_running, "web", REGION, newest=True)


def _add_profile(aws_env, text: str) -> None:  # type: ignore[no-untyped-def]
    with open(aws_env.config_file, "a") as f:
        f.write("\n" + text)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX credential_process")
def test_a_credential_process_profile_goes_through_botocore(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ident = aws_env.sandbox.identities["default"]
    helper = tmp_path / "creds.json"
    helper.write_text(json.dumps({"Version": 1, "AccessKeyId": ident.access_key_id,
                                  "SecretAccessKey": ident.secret_access_key}))
    _add_profile(aws_env, f"[profile helper]\nregion = {REGION}\n"
                 f"credential_process = cat {helper}\n")
    way = connect.route(CredentialService(MemoryStore(), prompt=None), "helper", None)
    assert isinstance(way.ssm, api.BotoSsm) and way.credentials.access_key_id == \
        ident.access_key_id
    assert way.resolve("bastion").instance_id == aws_env.sandbox.fleet.by_name(
        "bastion").instance_id


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX credential_process")
def test_a_failing_credential_process_is_one_plain_error(aws_env) -> None:  # type: ignore[no-untyped-def]
    _add_profile(aws_env, f"[profile broken]\nregion = {REGION}\n"
                 "credential_process = sh -c 'echo token service down >&2; exit 3'\n")
    with pytest.raises(CredentialError) as err:
        connect.route(CredentialService(MemoryStore(), prompt=None), "broken", None)
    assert err.value.message == ("Error when retrieving credentials from custom-process: "
                                 "token service down\n")


def test_an_sso_profile_without_account_and_role_is_refused_plainly(aws_env) -> None:  # type: ignore[no-untyped-def]
    # The reader's check, before any route: the fast route relies on it (no portal call
    # without an account and a role).
    _add_profile(aws_env, f"[profile portal]\nregion = {REGION}\nsso_session = sandbox\n")
    with pytest.raises(ProfileError) as err:
        connect.route(CredentialService(MemoryStore(), prompt=None), "portal", None)
    assert err.value.message == ("Profile 'portal': SSO profile is missing sso_account_id, "
                                 "sso_role_name.")


def test_a_profile_without_any_credentials_says_so(aws_env) -> None:  # type: ignore[no-untyped-def]
    _add_profile(aws_env, f"[profile bare]\nregion = {REGION}\n"
                 f"endpoint_url = {aws_env.sandbox.gateway}\n")
    with pytest.raises(CredentialError) as err:
        connect.route(CredentialService(MemoryStore(), prompt=None), "bare", None)
    assert err.value.message == "No credentials were found for this profile."
    assert err.value.hint == "Add keys or a role to the profile, or log in with SSO."


def test_no_known_instance_connect_endpoint_takes_the_boto3_route(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """GovCloud with the SSM and EC2 endpoints set but not EC2 Instance Connect's: the
    boto-free route could not push a key (a traceback under --push-key), so botocore, which
    knows every partition's endpoints, carries the session."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    source = CredentialService(MemoryStore(), prompt=None)
    assert isinstance(connect.route(source, "default", REGION).eic, sigv4.InstanceConnect)
    gov = connect.route(source, "default", "us-gov-west-1")
    assert isinstance(gov.eic, keypush.BotoInstanceConnect)
    assert gov.region == "us-gov-west-1"
