"""SSO device authorization, and the real AWS CLI against the sandbox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsEnv, require_program
from tests.sandbox.sandbox import Sandbox

AWS_CLI = "/usr/bin/aws"  # the v2 CLI; a different v1 `aws` may come first on PATH
# An AWS CLI that reads AWS_ENDPOINT_URL_<SERVICE> (v1 1.29+, v2 2.13+): GANGWAY_TEST_AWS_CLI,
# else the v1 CLI `make` and .ci/run install into .venv-awscli (requirements/awscli-v1.lock).
ENDPOINT_AWARE_CLI = Path(__file__).resolve().parents[2] / ".venv-awscli" / "bin" / "aws"


def test_sso_device_flow_then_portal_credentials(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    session = boto3.Session()
    oidc = session.client("sso-oidc", region_name="us-east-1")
    reg = oidc.register_client(clientName="gangway", clientType="public")
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=sandbox.sso_start_url
    )
    assert auth["interval"] == 1 and auth["expiresIn"] > 0
    assert auth["verificationUriComplete"].endswith(auth["userCode"])
    token_args = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": "urn:ietf:params:oauth:grant-type:device_code",
        "deviceCode": auth["deviceCode"],
    }
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        oidc.create_token(**token_args)
    # What the user's browser does: open the verification URL.
    with urllib.request.urlopen(auth["verificationUriComplete"]) as resp:
        assert resp.status == 200
    token = oidc.create_token(**token_args)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] > 0 and token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(**token_args)  # a device code is single-use

    sso = session.client("sso", region_name="us-east-1")
    accounts = sso.list_accounts(accessToken=token["accessToken"])["accountList"]
    assert {a["accountId"] for a in accounts} == {"123456789012", "210987654321"}
    roles = sso.list_account_roles(accessToken=token["accessToken"], accountId="123456789012")[
        "roleList"
    ]
    assert {r["roleName"] for r in roles} == {"AdministratorAccess", "ReadOnly"}
    creds = sso.get_role_credentials(
        accessToken=token["accessToken"], accountId="123456789012", roleName="AdministratorAccess"
    )["roleCredentials"]
    temp = boto3.Session(
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    )
    arn = temp.client("sts", region_name="us-east-1").get_caller_identity()["Arn"]
    assert ":assumed-role/AWSReservedSSO_AdministratorAccess_" in arn
    assert temp.client("ssm", region_name="us-east-1").describe_instance_information()[
        "InstanceInformationList"
    ]
    with pytest.raises(ClientError) as exc:
        sso.list_accounts(accessToken="not-a-token")
    assert exc.value.response["Error"]["Code"] == "UnauthorizedException"

    refreshed = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="refresh_token",
        refreshToken=token["refreshToken"],
    )
    assert refreshed["accessToken"] != token["accessToken"]


def test_sso_control_api_approval(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    oidc = boto3.Session().client("sso-oidc", region_name="us-east-1")
    reg = oidc.register_client(clientName="gangway", clientType="public")
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=sandbox.sso_start_url
    )
    assert sandbox.control.approve_device_code(user_code=auth["userCode"])
    token = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="urn:ietf:params:oauth:grant-type:device_code",
        deviceCode=auth["deviceCode"],
    )
    assert token["accessToken"]


def _cli_version(cli: str = AWS_CLI) -> tuple[int, ...]:
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True).stdout
    m = re.match(r"aws-cli/(\d+)\.(\d+)\.(\d+)", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def _endpoint_aware_cli() -> str:
    """The CLI for the environment-only test (a failure under CI=true when there is none)."""
    explicit = os.environ.get("GANGWAY_TEST_AWS_CLI")
    if explicit:
        return require_program(explicit)
    if os.access(AWS_CLI, os.X_OK) and _cli_version() >= (2, 13, 0):
        return AWS_CLI
    return require_program(str(ENDPOINT_AWARE_CLI))


def _aws(*args: str, cli: str = AWS_CLI) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [cli, *args, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_aws_cli_through_the_environment_alone(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    cli = _endpoint_aware_cli()
    version = _cli_version(cli)
    assert version >= ((2, 13, 0) if version[0] == 2 else (1, 29, 0)), version
    ec2 = _aws("ec2", "describe-instances", "--profile", "default", cli=cli)
    assert ec2.returncode == 0, ec2.stderr
    ids = {i["InstanceId"] for r in json.loads(ec2.stdout)["Reservations"] for i in r["Instances"]}
    # Superset: other tests in the same session may launch instances of their own.
    assert ids >= {n.instance_id for n in sandbox.fleet.ec2("us-east-1")}
    ssm = _aws("ssm", "describe-instance-information", "--profile", "default", cli=cli)
    assert ssm.returncode == 0, ssm.stderr
    assert len(json.loads(ssm.stdout)["InstanceInformationList"]) == len(
        sandbox.fleet.managed("us-east-1")
    )
    # The endpoint came from the environment alone (no --endpoint-url on these command lines).
    assert os.environ["AWS_ENDPOINT_URL_SSM"] == sandbox.gateway


def test_aws_cli_with_endpoint_url(aws_env: AwsEnv, sandbox: Sandbox) -> None:
    """Same calls with the endpoint on the command line: works with any aws-cli v2."""
    require_program(AWS_CLI)
    gw = sandbox.gateway
    ec2 = _aws("ec2", "describe-instances", "--profile", "default", "--endpoint-url", gw)
    assert ec2.returncode == 0, ec2.stderr
    ids = {i["InstanceId"] for r in json.loads(ec2.stdout)["Reservations"] for i in r["Instances"]}
    # Superset: other tests in the same session may launch instances of their own.
    assert ids >= {n.instance_id for n in sandbox.fleet.ec2("us-east-1")}
    ssm = _aws("ssm", "describe-instance-information", "--profile", "default", "--endpoint-url", gw)
    assert ssm.returncode == 0, ssm.stderr
    assert len(json.loads(ssm.stdout)["InstanceInformationList"]) == len(
        sandbox.fleet.managed("us-east-1")
    )
    bad = _aws("ssm", "describe-instance-information", "--profile", "unknown", "--endpoint-url", gw)
    assert bad.returncode != 0
    assert "UnrecognizedClientException" in bad.stderr
