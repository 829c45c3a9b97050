"""The sandbox speaks AWS faithfully enough that plain boto3 sees real AWS shapes."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import AwsEnv
from tests.sandbox.sandbox import Sandbox

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(service: str, profile: str = "default", region: str = "us-east-1", **kw: object):  # type: ignore[no-untyped-def]
    return boto3.Session(profile_name=profile).client(
        service, region_name=region, config=NO_RETRY, **kw
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    e = exc.value.response
    return (
        e["Error"]["Code"],
        e["Error"].get("Message", ""),
        e["ResponseMetadata"]["HTTPStatusCode"],
    )


# --- inventory -------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_describe_instance_information_paginates_over_the_managed_nodes(
    aws_env: AwsEnv, sandbox: Sandbox, region: str
) -> None:
    ssm = client("ssm", region=region)
    pages = list(ssm.get_paginator("describe_instance_information").paginate())
    assert len(pages) > 1 and all(
        len(p["InstanceInformationList"]) <= 10 for p in pages
    )  # default page 10
    seen = [i["InstanceId"] for p in pages for i in p["InstanceInformationList"]]
    assert sorted(seen) == sorted(n.instance_id for n in sandbox.fleet.managed(region))
    assert len(seen) == len(set(seen))
    big = ssm.describe_instance_information(MaxResults=50)
    assert len(big["InstanceInformationList"]) == min(50, len(seen))


def test_instance_information_fields_filters_and_limits(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ssm = client("ssm")
    web = sandbox.fleet.by_name("web-1.prod")
    hybrid = sandbox.fleet.by_id("mi-0123456789abcdef0")
    resp = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [web.instance_id, hybrid.instance_id]}]
    )
    info = {i["InstanceId"]: i for i in resp["InstanceInformationList"]}
    assert info[web.instance_id]["PingStatus"] == "Online"
    assert info[web.instance_id]["ResourceType"] == "EC2Instance"
    assert info[web.instance_id]["PlatformType"] == "Linux"
    assert info[web.instance_id]["IsLatestVersion"] is True
    assert info[hybrid.instance_id]["ResourceType"] == "ManagedInstance"
    assert info[hybrid.instance_id]["Name"] == "onprem-db"
    assert "Name" not in info[web.instance_id]
    lost = ssm.describe_instance_information(
        Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]
    )
    assert {i["PingStatus"] for i in lost["InstanceInformationList"]} == {"ConnectionLost"}
    with pytest.raises(ClientError) as exc:
        ssm.describe_instance_information(MaxResults=51)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        ssm.describe_instance_information(NextToken="garbage")
    assert error_of(exc)[0] == "InvalidNextToken"


def test_ec2_inventory_matches_fleet_and_regions(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ec2 = client("ec2", region="eu-west-1")
    got = {
        i["InstanceId"]: i
        for page in ec2.get_paginator("describe_instances").paginate()
        for r in page["Reservations"]
        for i in r["Instances"]
    }
    expected = sandbox.fleet.ec2("eu-west-1")
    assert set(got) >= {n.instance_id for n in expected}  # other tests may launch their own
    for node in expected:
        inst = got[node.instance_id]
        assert {t["Key"]: t["Value"] for t in inst["Tags"]} == node.tags
        assert inst["State"]["Name"] == node.state
        assert (inst.get("Platform") == "windows") == (node.platform == "Windows")
    assert not any(i.startswith("mi-") for i in got)  # hybrid nodes live in SSM only
    regions = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    assert set(sandbox.fleet.regions) <= regions


def test_hostile_tag_values_survive_the_round_trip(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    names = {n.name for n in sandbox.fleet.nodes}
    for hostile in (
        "$(touch /tmp/pwned)",
        "line1\nline2",
        "n" * 255,
        "日本語サーバー",
        'say "hello"',
    ):
        assert hostile in names
    node = sandbox.fleet.by_name("line1\nline2")
    ec2 = client("ec2", region=node.region)
    inst = ec2.describe_instances(InstanceIds=[node.instance_id])["Reservations"][0]["Instances"][0]
    assert {t["Key"]: t["Value"] for t in inst["Tags"]}["Name"] == "line1\nline2"


def test_parameter_store_is_forwarded_to_moto(aws_env: AwsEnv) -> None:
    ssm = client("ssm")
    ssm.put_parameter(Name="/gangway/test", Value="v1", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="/gangway/test")["Parameter"]["Value"] == "v1"


# --- credentials -----------------------------------------------------------------------------


def test_unknown_key_is_refused_in_each_protocols_shape(aws_env: AwsEnv) -> None:
    cases = [
        ("ec2", lambda c: c.describe_instances(), "AuthFailure", 401),
        ("ssm", lambda c: c.describe_instance_information(), "UnrecognizedClientException", 400),
        ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId", 403),
        ("iam", lambda c: c.list_users(), "InvalidClientTokenId", 403),
    ]
    for service, call, code, status in cases:
        with pytest.raises(ClientError) as exc:
            call(client(service, profile="unknown"))
        got_code, message, got_status = error_of(exc)
        assert (got_code, got_status) == (code, status), service
        if service != "ec2":
            assert message == "The security token included in the request is invalid."


def test_expired_temporary_key_is_refused_as_expired(aws_env: AwsEnv) -> None:
    cases = [
        ("ec2", lambda c: c.describe_instances(), "RequestExpired"),
        ("ssm", lambda c: c.describe_instance_information(), "ExpiredTokenException"),
        ("sts", lambda c: c.get_caller_identity(), "ExpiredToken"),
    ]
    for service, call, code in cases:
        with pytest.raises(ClientError) as exc:
            call(client(service, profile="expired"))
        assert error_of(exc)[0] == code, service


def test_caller_identity_and_role_assumption(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    assert client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/alice"
    # The "role" profile: botocore assumes the role through the gateway's STS by itself.
    arn = client("sts", profile="role").get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/gangway-operator/")
    assert client("ec2", profile="role").describe_instances()["Reservations"]


def test_control_api_expires_issued_credentials(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    sts = client("sts")
    creds = sts.assume_role(RoleArn=sandbox.operator_role_arn, RoleSessionName="short")[
        "Credentials"
    ]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ssm = session.client("ssm", region_name="us-east-1", config=NO_RETRY)
    ssm.describe_instance_information()
    assert sandbox.control.expire_credentials(access_key_id=creds["AccessKeyId"]) == 1
    with pytest.raises(ClientError) as exc:
        ssm.describe_instance_information()
    assert error_of(exc)[:2] == (
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )
    # A temporary key with someone else's session token is not valid.
    forged = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key="x",
        aws_session_token="forged",
    ).client("sts", region_name="us-east-1", config=NO_RETRY)
    with pytest.raises(ClientError) as exc:
        forged.get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"


def test_duration_seconds_and_cap_are_reflected_in_expiration(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    sts = client("sts")
    creds = sts.assume_role(
        RoleArn=sandbox.operator_role_arn, RoleSessionName="dur", DurationSeconds=900
    )["Credentials"]
    import datetime as dt

    left = (creds["Expiration"] - dt.datetime.now(dt.UTC)).total_seconds()
    assert 800 < left <= 900
    sandbox.control.expire_credentials(cap_seconds=60)
    creds = sts.assume_role(RoleArn=sandbox.operator_role_arn, RoleSessionName="dur")["Credentials"]
    assert (creds["Expiration"] - dt.datetime.now(dt.UTC)).total_seconds() <= 60


# --- MFA -------------------------------------------------------------------------------------


def test_mfa_user_needs_a_valid_code(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    # Long-term keys of the MFA user are walled off from everything but STS.
    with pytest.raises(ClientError) as exc:
        client("ec2", profile="mfa").describe_instances()
    assert error_of(exc)[0] == "UnauthorizedOperation"
    sts = client("sts", profile="mfa")
    code = sandbox.totp(sandbox.mfa_serial)
    wrong = f"{(int(code) + 500000) % 1000000:06d}"
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=sandbox.mfa_serial, TokenCode=wrong)
    assert error_of(exc) == (
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        403,
    )
    creds = sts.get_session_token(SerialNumber=sandbox.mfa_serial, TokenCode=code)["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert (
        session.client("sts", region_name="us-east-1")
        .get_caller_identity()["Arn"]
        .endswith(":user/bob")
    )
    assert session.client("ec2", region_name="us-east-1").describe_instances()["Reservations"]


def test_role_whose_trust_requires_mfa(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    sts = client("sts", profile="mfa")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=sandbox.admin_role_arn, RoleSessionName="xx")
    assert error_of(exc)[0] == "AccessDenied"
    assert "is not authorized to perform: sts:AssumeRole" in error_of(exc)[1]
    creds = sts.assume_role(
        RoleArn=sandbox.admin_role_arn,
        RoleSessionName="bob-admin",
        SerialNumber=sandbox.mfa_serial,
        TokenCode=sandbox.totp(sandbox.mfa_serial),
    )
    assert creds["AssumedRoleUser"]["Arn"].endswith(":assumed-role/gangway-admin/bob-admin")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/nope", RoleSessionName="xx")
    assert error_of(exc)[0] == "AccessDenied"


# --- policy simulation -----------------------------------------------------------------------


def _simulate(iam, principal: str, resource: str, tags: dict[str, str] | None):  # type: ignore[no-untyped-def]
    entries = [
        {
            "ContextKeyName": f"ssm:resourceTag/{k}",
            "ContextKeyValues": [v],
            "ContextKeyType": "string",
        }
        for k, v in (tags or {}).items()
    ]
    resp = iam.simulate_principal_policy(
        PolicySourceArn=principal,
        ActionNames=["ssm:StartSession"],
        ResourceArns=[resource],
        ContextEntries=entries,
    )
    return resp["EvaluationResults"][0]


def test_simulate_rule_decides_by_resource_tag(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    iam = client("iam", profile="jumpbox-only")
    carol = sandbox.identities["jumpbox-only"].arn
    bastion = sandbox.fleet.by_name("bastion")
    web = sandbox.fleet.by_name("web-1.prod")
    arn = "arn:aws:ec2:us-east-1:123456789012:instance/{}"
    ok = _simulate(iam, carol, arn.format(bastion.instance_id), bastion.tags)
    assert (ok["EvalDecision"], ok["EvalActionName"]) == ("allowed", "ssm:StartSession")
    no = _simulate(iam, carol, arn.format(web.instance_id), web.tags)
    assert no["EvalDecision"] == "implicitDeny"
    missing = _simulate(iam, carol, arn.format(web.instance_id), None)
    # With ResourceArns, missing keys are per resource (ResourceSpecificResults), as IAM says.
    assert missing["MissingContextValues"] == []
    assert missing["ResourceSpecificResults"][0]["MissingContextValues"] == \
        ["ssm:resourceTag/Purpose"]
    alice = sandbox.identities["default"].arn
    assert _simulate(iam, alice, arn.format(web.instance_id), web.tags)["EvalDecision"] == "allowed"
    # The same rule is enforced by StartSession itself.
    ssm = client("ssm", profile="jumpbox-only")
    with pytest.raises(ClientError) as exc:
        ssm.start_session(Target=web.instance_id)
    assert error_of(exc)[0] == "AccessDeniedException"
    sid = ssm.start_session(Target=bastion.instance_id)["SessionId"]
    assert sid.startswith("carol-")
    # Per-test overrides, and the switch that denies the simulation call itself.
    sandbox.control.set_simulate_rule(alice, {"explicit_deny": True})
    assert (
        _simulate(iam, alice, arn.format(web.instance_id), web.tags)["EvalDecision"]
        == "explicitDeny"
    )
    sandbox.control.set_simulate_rule(carol, {**sandbox_rule(), "deny_simulate": True})
    with pytest.raises(ClientError) as exc:
        _simulate(iam, alice, "*", None)
    assert error_of(exc)[:1] == ("AccessDenied",) and error_of(exc)[2] == 403
    with pytest.raises(ClientError) as exc:
        _simulate(client("iam"), "arn:aws:iam::123456789012:user/nobody", "*", None)
    assert error_of(exc)[0] == "NoSuchEntity"


def sandbox_rule() -> dict[str, object]:
    return {"allow_tags": {"Purpose": ["jumpbox"]}}


# --- faults ----------------------------------------------------------------------------------


def test_region_fault_only_hits_that_region(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    sandbox.control.fault_region("eu-west-1", "UnauthorizedOperation")
    with pytest.raises(ClientError) as exc:
        client("ec2", region="eu-west-1").describe_instances()
    assert error_of(exc)[:1] == ("UnauthorizedOperation",)
    with pytest.raises(ClientError) as exc:
        client("ssm", region="eu-west-1").describe_instance_information()
    assert error_of(exc)[0] == "AccessDeniedException"
    client("ec2", region="us-east-1").describe_instances()
    sandbox.control.fault_region("ap-southeast-2", "OptInRequired", service="ec2")
    with pytest.raises(ClientError) as exc:
        client("ec2", region="ap-southeast-2").describe_instances()
    assert error_of(exc)[0] == "OptInRequired"
    client("ssm", region="ap-southeast-2").describe_instance_information()


def test_throttling_for_the_next_n_calls(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    sandbox.control.throttle("us-east-1", 2, service="ec2")
    ec2 = client("ec2")
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            ec2.describe_instances()
        assert error_of(exc)[:1] == ("RequestLimitExceeded",)
    ec2.describe_instances()
    sandbox.control.throttle("us-east-1", 1, service="ssm")
    with pytest.raises(ClientError) as exc:
        client("ssm").describe_instance_information()
    assert error_of(exc)[:2] == ("ThrottlingException", "Rate exceeded")
    # botocore's own retry absorbs a short burst, as it does against AWS.
    sandbox.control.throttle("us-east-1", 1, service="ssm")
    retrying = boto3.Session(profile_name="default").client(
        "ssm",
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
    )
    retrying.describe_instance_information()


# --- sessions --------------------------------------------------------------------------------


def test_session_lifecycle_and_errors(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ssm = client("ssm")
    web = sandbox.fleet.by_name("web-1.prod")
    resp = ssm.start_session(
        Target=web.instance_id,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": ["22"], "localPortNumber": ["0"]},
        Reason="sandbox test",
    )
    sid = resp["SessionId"]
    assert sid.startswith("alice-")
    assert (
        resp["StreamUrl"]
        == f"ws://127.0.0.1:{sandbox.gateway.rsplit(':', 1)[1]}/v1/data-channel/{sid}?role=publish_subscribe"
    )
    active = ssm.describe_sessions(State="Active")["Sessions"]
    assert [s["SessionId"] for s in active] == [sid]
    assert active[0]["Owner"] == "arn:aws:iam::123456789012:user/alice"
    assert active[0]["Reason"] == "sandbox test"
    assert ssm.resume_session(SessionId=sid)["SessionId"] == sid
    assert ssm.terminate_session(SessionId=sid)["SessionId"] == sid
    assert ssm.describe_sessions(State="Active")["Sessions"] == []
    history = ssm.describe_sessions(
        State="History", Filters=[{"key": "Target", "value": web.instance_id}]
    )
    assert history["Sessions"][0]["Status"] == "Terminated" and "EndDate" in history["Sessions"][0]
    with pytest.raises(ClientError) as exc:
        ssm.resume_session(SessionId=sid)
    assert error_of(exc)[0] == "DoesNotExistException"
    for name in ("offline-1", "stopped-1", "unmanaged-1"):
        node = sandbox.fleet.by_name(name)
        with pytest.raises(ClientError) as exc:
            ssm.start_session(Target=node.instance_id)
        assert error_of(exc)[:2] == ("TargetNotConnected", f"{node.instance_id} is not connected.")
    with pytest.raises(ClientError) as exc:
        ssm.start_session(Target="i-0123456789abcdef0", DocumentName="No-Such-Doc")
    assert error_of(exc)[0] == "InvalidDocument"


def test_describe_sessions_paginates(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ssm = client("ssm")
    web = sandbox.fleet.by_name("web-1.prod")
    ids = {ssm.start_session(Target=web.instance_id)["SessionId"] for _ in range(7)}
    pages = list(
        ssm.get_paginator("describe_sessions").paginate(
            State="Active", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["Sessions"]) for p in pages] == [3, 3, 1]
    assert {s["SessionId"] for p in pages for s in p["Sessions"]} == ids


def test_hybrid_node_tags_come_from_ssm(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ssm = client("ssm")
    node = sandbox.fleet.by_id("mi-0123456789abcdef0")
    tags = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=node.instance_id)[
        "TagList"
    ]
    assert {t["Key"]: t["Value"] for t in tags} == node.tags
    with pytest.raises(ClientError) as exc:
        ssm.list_tags_for_resource(
            ResourceType="ManagedInstance", ResourceId="mi-00000000000000bad"
        )
    assert error_of(exc)[0] == "InvalidResourceId"


def test_signature_must_match_the_secret(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    ident = sandbox.identities["default"]
    session = boto3.Session(
        aws_access_key_id=ident.access_key_id, aws_secret_access_key="wrong-secret"
    )
    cases = [
        ("ec2", lambda c: c.describe_instances(), "AuthFailure"),
        ("ssm", lambda c: c.describe_instance_information(), "InvalidSignatureException"),
        ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
        ("iam", lambda c: c.list_users(), "SignatureDoesNotMatch"),
    ]
    for service, call, code in cases:
        with pytest.raises(ClientError) as exc:
            call(session.client(service, region_name="us-east-1", config=NO_RETRY))
        assert error_of(exc)[0] == code, service


def test_ping_changes_are_visible_and_reset_between_tests(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    web = sandbox.fleet.by_name("web-1.prod")
    sandbox.control.set_ping(web.instance_id, "ConnectionLost")
    ssm = client("ssm")
    info = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [web.instance_id]}]
    )
    assert info["InstanceInformationList"][0]["PingStatus"] == "ConnectionLost"
    with pytest.raises(ClientError) as exc:
        ssm.start_session(Target=web.instance_id)
    assert error_of(exc)[0] == "TargetNotConnected"
    sandbox.reset()
    info = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [web.instance_id]}]
    )
    assert info["InstanceInformationList"][0]["PingStatus"] == "Online"


def test_ec2_answers_follow_changes(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    """Memoised Describe* answers never hide a change made through EC2."""
    ec2 = client("ec2", region="ap-southeast-2")
    node = sandbox.fleet.ec2("ap-southeast-2")[0]

    def tags() -> dict[str, str]:
        inst = ec2.describe_instances(InstanceIds=[node.instance_id])["Reservations"][0][
            "Instances"
        ][0]
        return {t["Key"]: t["Value"] for t in inst["Tags"]}

    first = ec2.describe_instances(InstanceIds=[node.instance_id])
    second = ec2.describe_instances(InstanceIds=[node.instance_id])
    assert first["ResponseMetadata"]["RequestId"] != second["ResponseMetadata"]["RequestId"]
    ec2.create_tags(Resources=[node.instance_id], Tags=[{"Key": "Touched", "Value": "yes"}])
    assert tags()["Touched"] == "yes"
    ec2.delete_tags(Resources=[node.instance_id], Tags=[{"Key": "Touched"}])
    assert "Touched" not in tags()


def test_iam_reads_know_the_sandbox_users(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    iam = client("iam", profile="mfa")
    assert iam.get_user()["User"]["UserName"] == "bob"
    devices = iam.list_mfa_devices()["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [sandbox.mfa_serial]
    assert {"alice", "bob", "carol"} <= {u["UserName"] for u in iam.list_users()["Users"]}


def test_latency_option_delays_aws_requests_until_reset(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    import time

    sts = boto3.Session(profile_name="default").client("sts", region_name="us-east-1")
    sts.get_caller_identity()  # connection and models warm
    sandbox.control.set_latency(0.3)
    start = time.perf_counter()
    sts.get_caller_identity()
    slow = time.perf_counter() - start
    assert slow >= 0.3  # a lower bound: the added delay itself, not a speed claim
    with pytest.raises(Exception, match="latency"):
        sandbox.control.set_latency(60)
    sandbox.reset()
    start = time.perf_counter()
    sts.get_caller_identity()
    assert time.perf_counter() - start < slow  # the delay is gone after a reset


def test_https_listener_is_the_same_gateway_behind_a_throwaway_ca(aws_env: AwsEnv,
                                                                  sandbox: Sandbox) -> None:
    import ssl
    import urllib.error
    import urllib.request

    session = boto3.Session(profile_name="default")
    sts = session.client("sts", region_name="us-east-1", endpoint_url=sandbox.gateway_tls,
                         verify=str(sandbox.tls_ca))
    assert sts.get_caller_identity()["Arn"].endswith(":user/alice")
    with pytest.raises(urllib.error.URLError) as refused:  # no system store trusts its CA
        urllib.request.urlopen(sandbox.gateway_tls, context=ssl.create_default_context())
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


# --- the model's limits, enforced server-side as AWS does ----------------------------------

UNVALIDATED = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                     parameter_validation=False)  # what Gangway's own SigV4 client sends


def test_max_results_below_the_models_minimum_is_refused(aws_env: AwsEnv) -> None:
    ssm = boto3.Session(profile_name="default").client(
        "ssm", region_name="us-east-1", config=UNVALIDATED)
    for value in (0, 4):  # the model says 5..50
        with pytest.raises(ClientError) as exc:
            ssm.describe_instance_information(MaxResults=value)
        assert error_of(exc)[:2] == (
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 5")
    assert len(ssm.describe_instance_information(MaxResults=5)["InstanceInformationList"]) == 5
    with pytest.raises(ClientError) as exc:
        ssm.describe_sessions(State="Active", MaxResults=0)  # the model says 1..200
    assert error_of(exc)[0] == "ValidationException"
    assert "greater than or equal to 1" in error_of(exc)[1]
    with pytest.raises(ClientError) as exc:
        ssm.describe_sessions(State="Active", MaxResults=201)
    assert "less than or equal to 200" in error_of(exc)[1]


def test_tag_filters_do_not_mix_and_unknown_ids_are_refused(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    ssm = client("ssm")
    bastion = sandbox.fleet.by_name("bastion")
    with pytest.raises(ClientError) as exc:
        ssm.describe_instance_information(Filters=[
            {"Key": "tag:Purpose", "Values": ["jumpbox"]},
            {"Key": "PingStatus", "Values": ["Online"]}])
    assert error_of(exc)[:2] == (
        "ValidationException", "Cannot mix tag or inventory filter with any other filter.")
    both_tags = ssm.describe_instance_information(Filters=[
        {"Key": "tag:Purpose", "Values": ["jumpbox"]}, {"Key": "tag-key", "Values": ["Name"]}])
    assert bastion.instance_id in {
        i["InstanceId"] for i in both_tags["InstanceInformationList"]}
    with pytest.raises(ClientError) as exc:
        ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [bastion.instance_id, "i-0000000000000dead"]}])
    assert error_of(exc)[0] == "InvalidInstanceId"
    assert "i-0000000000000dead" in error_of(exc)[1]


@pytest.mark.parametrize(("field", "value", "constraint"), [
    ("Reason", "line one\nline two", "pattern: ^.{1,256}$"),
    ("Reason", "x" * 257, "length less than or equal to 256"),
    ("Reason", "", "length greater than or equal to 1"),
    ("DocumentName", "AWS StartSSHSession", "pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$"),
    ("DocumentName", "AW", "pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$"),
])
def test_start_session_validates_reason_and_document_name(
    aws_env: AwsEnv, sandbox: Sandbox, field: str, value: str, constraint: str
) -> None:
    ssm = boto3.Session(profile_name="default").client(
        "ssm", region_name="us-east-1", config=UNVALIDATED)
    web = sandbox.fleet.by_name("web-1.prod")
    with pytest.raises(ClientError) as exc:
        ssm.start_session(Target=web.instance_id, **{field: value})
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert f"at '{field[0].lower() + field[1:]}'" in message and constraint in message
    assert sandbox.control.sessions() == []
    assert ssm.start_session(Target=web.instance_id, Reason="x" * 256)["SessionId"]


def test_simulation_answers_one_result_per_action_with_per_resource_decisions(
    aws_env: AwsEnv, sandbox: Sandbox
) -> None:
    iam = client("iam")
    alice = sandbox.identities["default"].arn
    ok, implicit, explicit = (sandbox.fleet.by_name(n).instance_id
                              for n in ("bastion", "web-1.prod", "old-agent-ssh"))
    sandbox.control.set_simulate_rule(
        alice, {"implicit_deny_ids": [implicit], "explicit_deny_ids": [explicit]})
    arn = "arn:aws:ec2:us-east-1:123456789012:instance/{}"
    arns = [arn.format(i) for i in (ok, implicit, explicit)]
    resp = iam.simulate_principal_policy(
        PolicySourceArn=alice, ActionNames=["ssm:StartSession"], ResourceArns=arns)
    [result] = resp["EvaluationResults"]
    assert resp["IsTruncated"] is False
    assert (result["EvalActionName"], result["EvalDecision"]) == ("ssm:StartSession",
                                                                  "explicitDeny")
    assert [(r["EvalResourceName"], r["EvalResourceDecision"])
            for r in result["ResourceSpecificResults"]] == [
        (arns[0], "allowed"), (arns[1], "implicitDeny"), (arns[2], "explicitDeny")]
    two = iam.simulate_principal_policy(
        PolicySourceArn=alice, ActionNames=["ssm:StartSession"], ResourceArns=arns[:2])
    assert two["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    # Paged with MaxItems/Marker/IsTruncated: three actions, one result each.
    actions = ["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"]
    first = iam.simulate_principal_policy(
        PolicySourceArn=alice, ActionNames=actions, ResourceArns=arns[:1], MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["EvalActionName"] for r in first["EvaluationResults"]] == actions[:2]
    rest = iam.simulate_principal_policy(
        PolicySourceArn=alice, ActionNames=actions, ResourceArns=arns[:1], MaxItems=2,
        Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == actions[2:]
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=alice, ActionNames=actions, PaginationConfig={"PageSize": 1})
    assert [len(p["EvaluationResults"]) for p in pages] == [1, 1, 1]
    bare = boto3.Session(profile_name="default").client(
        "iam", region_name="us-east-1", config=UNVALIDATED)
    with pytest.raises(ClientError) as exc:
        bare.simulate_principal_policy(PolicySourceArn=alice, ActionNames=actions, MaxItems=0)
    assert error_of(exc)[0] == "ValidationError"
