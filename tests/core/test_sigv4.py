"""The boto3-free SSM call: its SigV4 signature equals botocore's, its endpoint choice is botocore's."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.core.aws import sigv4
from app.core.aws.credentials.types import Credentials as Keys
from app.core.errors import AwsError, NetworkError


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////token+/="])
@pytest.mark.parametrize("endpoint", ["https://ssm.eu-west-1.amazonaws.com",
                                      "http://127.0.0.1:4566", "http://localhost:8080/"])
def test_signature_matches_botocore(token: str | None, endpoint: str) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    plan = sigv4.Plan("eu-west-1", endpoint,
                      Keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", token))
    body = json.dumps({"Target": "i-0123456789abcdef0", "Reason": "é \"x\""}).encode()
    now = dt.datetime(2026, 11, 23, 12, 34, 56, tzinfo=dt.UTC)
    ours = sigv4._sign(plan, "StartSession", body, now)

    req = AWSRequest("POST", endpoint, data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonSSM.StartSession", "X-Amz-Date": ours["x-amz-date"]})
    auth = SigV4Auth(Credentials(plan.credentials.access_key_id, plan.credentials.secret_access_key, token), "ssm", "eu-west-1")
    # botocore's own steps of add_auth, at our timestamp instead of "now".
    req.context["timestamp"] = ours["x-amz-date"]
    auth._modify_request_before_signing(req)
    canonical = auth.canonical_request(req)
    signature = auth.signature(auth.string_to_sign(req, canonical), req)
    assert ours["authorization"].endswith(
        f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(req))}, Signature={signature}")


def test_endpoint_choice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL", *sigv4._NOT_PLAIN):
        monkeypatch.delenv(var, raising=False)
    assert sigv4.endpoint_for("eu-west-1") == "https://ssm.eu-west-1.amazonaws.com"
    assert sigv4.endpoint_for("cn-north-1") == "https://ssm.cn-north-1.amazonaws.com.cn"
    assert sigv4.endpoint_for("us-gov-west-1") is None
    assert sigv4.endpoint_for("bad/region") is None
    assert sigv4.endpoint_for("eu-west-1", {"endpoint_url": "https://x"}) is None
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://all")
    assert sigv4.endpoint_for("eu-west-1") == "http://all"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", "http://ssm-only")
    assert sigv4.endpoint_for("eu-west-1") == "http://ssm-only"
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert sigv4.endpoint_for("eu-west-1") is None


def test_bad_scheme_and_unreachable_endpoint_are_clear() -> None:
    plan = sigv4.Plan("eu-west-1", "file:///etc/passwd", Keys("AKID", "secret"))
    with pytest.raises(NetworkError, match="not an http"):
        sigv4.call(plan, "StartSession", {}, "Starting")
    closed = sigv4.Plan("eu-west-1", "http://127.0.0.1:9", Keys("AKID", "secret"))
    with pytest.raises(NetworkError, match="could not be reached"):
        sigv4.call(closed, "StartSession", {}, "Starting", attempts=1, timeout=2)
    assert "secret" not in repr(closed)


def test_aws_errors_are_translated(aws_env) -> None:  # type: ignore[no-untyped-def]
    import os

    plan = sigv4.Plan("us-east-1", os.environ["AWS_ENDPOINT_URL_SSM"],
                      Keys(aws_env.sandbox.identities["default"].access_key_id, "wrong-secret"))
    with pytest.raises(AwsError, match="InvalidSignatureException"):
        sigv4.SsmClient(plan).call("StartSession", {"Target": "i-0123456789abcdef0"}, "Starting")
    ident = aws_env.sandbox.identities["default"]
    good = sigv4.Plan("us-east-1", os.environ["AWS_ENDPOINT_URL_SSM"],
                      Keys(ident.access_key_id, ident.secret_access_key))
    stopped = aws_env.sandbox.fleet.by_name("stopped-1")
    with pytest.raises(AwsError, match="TargetNotConnected") as err:
        sigv4.SsmClient(good).call("StartSession", {"Target": stopped.instance_id}, "Starting")
    assert err.value.code == "TargetNotConnected"


def _plan(aws_env, region: str = "us-east-1") -> sigv4.Plan:  # type: ignore[no-untyped-def]
    import os

    ident = aws_env.sandbox.identities["default"]
    return sigv4.Plan(region, os.environ["AWS_ENDPOINT_URL_SSM"],
                      Keys(ident.access_key_id, ident.secret_access_key),
                      os.environ["AWS_ENDPOINT_URL_EC2"])


def test_ec2_xml_error_documents_are_read(aws_env) -> None:  # type: ignore[no-untyped-def]
    aws_env.sandbox.control.fault_region("us-east-1", "UnauthorizedOperation", service="ec2",
                                         message="You are not authorized <to> & more.")
    with pytest.raises(AwsError) as err:
        sigv4.Lookup(_plan(aws_env)).instances("Name", "web-1.prod", ("running",))
    assert err.value.code == "UnauthorizedOperation"
    assert err.value.message == (
        "Looking up the instance named 'web-1.prod': access denied (UnauthorizedOperation): "
        "You are not authorized <to> & more.")


@pytest.mark.parametrize(("service", "code"), [("ec2", "InternalError"),
                                               ("ssm", "InternalServerError")])
def test_5xx_is_retried_then_reported(aws_env, service, code) -> None:  # type: ignore[no-untyped-def]
    sb = aws_env.sandbox
    web = sb.fleet.by_name("web-1.prod")

    def lookup() -> list[str]:
        if service == "ec2":
            return [m.instance_id for m in sigv4.Lookup(_plan(aws_env)).instances(
                "Name", "web-1.prod", ("running",))]
        page = sigv4.call(_plan(aws_env), "DescribeInstanceInformation", {
            "Filters": [{"Key": "InstanceIds", "Values": [web.instance_id]}]}, "Listing")
        return [i["InstanceId"] for i in page["InstanceInformationList"]]

    sb.control.fault_region("us-east-1", code, service=service, count=2)
    assert lookup() == [web.instance_id]  # two 5xx, then the answer (3 attempts)
    sb.control.fault_region("us-east-1", code, service=service, count=3)
    with pytest.raises(AwsError) as err:
        lookup()
    assert err.value.code == code
    sb.control.clear_faults()
    assert lookup() == [web.instance_id]


def test_network_errors_are_retried_then_reported(aws_env) -> None:  # type: ignore[no-untyped-def]
    from tests.sandbox.state import DROP

    sb = aws_env.sandbox
    stopped = sb.fleet.by_name("stopped-1").instance_id
    sb.control.fault_region("us-east-1", DROP, service="ssm", count=2)
    # The connection closed twice without an answer; the third attempt reaches SSM.
    with pytest.raises(AwsError, match="TargetNotConnected"):
        sigv4.SsmClient(_plan(aws_env)).call("StartSession", {"Target": stopped}, "Starting")
    sb.control.fault_region("us-east-1", DROP, service="ssm", count=3)
    with pytest.raises(NetworkError) as err:
        sigv4.SsmClient(_plan(aws_env)).call("StartSession", {"Target": stopped}, "Starting")
    assert err.value.message.startswith("Starting: AWS could not be reached (")
    assert err.value.hint == "Check your network connection or VPN, then retry."
