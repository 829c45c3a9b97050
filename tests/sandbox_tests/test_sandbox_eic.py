"""The sandbox's EC2 Instance Connect, through plain boto3 (the wire protocol AWS speaks):
the model's validation, the errors AWS documents, the 60 s lifetime on the sandbox clock, and
what the sshd's AuthorizedKeysCommand is served."""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsEnv
from tests.sandbox.sandbox import Sandbox

pytestmark = pytest.mark.needs_program("ssh-keygen")
REGION = "us-east-1"


@pytest.fixture
def public_key(tmp_path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sandbox-test", "-f",
                    str(tmp_path / "k")], check=True)
    return (tmp_path / "k.pub").read_text().strip()


def _eic(profile: str = "default"):  # type: ignore[no-untyped-def]
    return boto3.Session(profile_name=profile).client("ec2-instance-connect", region_name=REGION)


def _served(sandbox: Sandbox, user: str) -> list[str]:
    with urllib.request.urlopen(f"{sandbox.gateway}/_sandbox/eic/keys?user={user}") as resp:
        return resp.read().decode().splitlines()


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_push_is_served_for_60_seconds_of_the_sandbox_clock(  # type: ignore[no-untyped-def]
        aws_env: AwsEnv, sandbox: Sandbox, public_key: str) -> None:
    node = sandbox.fleet.by_name("web-1.prod")
    zone = boto3.Session(profile_name="default").client("ec2", region_name=REGION) \
        .describe_instances(InstanceIds=[node.instance_id])["Reservations"][0]["Instances"][0][
            "Placement"]["AvailabilityZone"]
    out = _eic().send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ec2-user",
                                     SSHPublicKey=public_key, AvailabilityZone=zone)
    assert out["Success"] is True and out["RequestId"]
    key = " ".join(public_key.split()[:2])
    assert _served(sandbox, "ec2-user") == [key]
    assert _served(sandbox, "ubuntu") == []  # one OS user only
    sandbox.control.advance_clock(59)
    assert _served(sandbox, "ec2-user") == [key]
    sandbox.control.advance_clock(2)
    assert _served(sandbox, "ec2-user") == []


def test_errors_as_aws_documents_them(aws_env: AwsEnv, sandbox: Sandbox,  # type: ignore[no-untyped-def]
                                      public_key: str) -> None:
    node = sandbox.fleet.by_name("web-1.prod")
    stopped = sandbox.fleet.by_name("stopped-1")
    eic = _eic()
    with pytest.raises(ClientError) as err:
        eic.send_ssh_public_key(InstanceId="i-0000000000000dead", InstanceOSUser="ec2-user",
                                SSHPublicKey=public_key)
    assert _code(err) == "EC2InstanceNotFoundException"
    with pytest.raises(ClientError) as err:
        eic.send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ec2-user",
                                SSHPublicKey=public_key, AvailabilityZone="us-east-1f")
    assert _code(err) == "EC2InstanceNotFoundException" and "zone us-east-1f" in str(err.value)
    with pytest.raises(ClientError) as err:
        eic.send_ssh_public_key(InstanceId=stopped.instance_id, InstanceOSUser="ec2-user",
                                SSHPublicKey=public_key)
    assert _code(err) == "EC2InstanceStateInvalidException"
    with pytest.raises(ClientError) as err:  # the model's pattern (botocore does not check it)
        eic.send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="bad user",
                                SSHPublicKey=public_key)
    assert _code(err) == "InvalidArgsException" and "instanceOSUser" in str(err.value)
    with pytest.raises(ClientError) as err:
        eic.send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ec2-user",
                                SSHPublicKey="ssh-dss " + public_key.split()[1] + " comment")
    assert _code(err) == "InvalidArgsException"
    alice = sandbox.identities["default"].arn
    sandbox.control.set_simulate_rule(alice, {
        "actions": ["ec2-instance-connect:SendSSHPublicKey"], "allow_os_users": ["ubuntu"]})
    with pytest.raises(ClientError) as err:  # ec2:osuser
        eic.send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ec2-user",
                                SSHPublicKey=public_key)
    assert _code(err) == "AccessDeniedException"
    eic.send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ubuntu",
                            SSHPublicKey=public_key)
    assert [p["os_user"] for p in sandbox.control.eic_pushes()] == ["ubuntu"]


def test_reset_forgets_pushes_and_the_clock(aws_env: AwsEnv, sandbox: Sandbox,  # type: ignore[no-untyped-def]
                                            public_key: str) -> None:
    node = sandbox.fleet.by_name("web-1.prod")
    _eic().send_ssh_public_key(InstanceId=node.instance_id, InstanceOSUser="ec2-user",
                               SSHPublicKey=public_key)
    assert sandbox.control.advance_clock(10) == 10
    sandbox.reset()
    assert sandbox.control.eic_pushes() == []
    assert sandbox.control.advance_clock(0) == 0
