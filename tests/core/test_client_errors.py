"""botocore's errors, raised for real against the sandbox and the user's files, become one
plain GangwayError each (app/core/aws/client.py: new_session, translate)."""

from __future__ import annotations

import boto3
import botocore.config
import pytest

from app.core.aws.client import client, new_session, translate
from app.core.errors import AwsError, CredentialError, NetworkError, ProfileNotFoundError

ONE_TRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _raised(call) -> BaseException:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as info:
        call()
    return info.value


def _add_profile(aws_env, text: str) -> None:  # type: ignore[no-untyped-def]
    with aws_env.config_file.open("a") as fh:
        fh.write("\n" + text + "\n")


def test_profile_not_found(aws_env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileNotFoundError) as info:
        new_session("no-such-profile")
    assert info.value.message == "Profile 'no-such-profile' was not found."
    assert info.value.hint == "Check the name with `gangway profiles`, or in ~/.aws/config."


def test_throttling(aws_env) -> None:  # type: ignore[no-untyped-def]
    aws_env.sandbox.control.throttle("us-east-1", count=1, service="ec2")
    ec2 = boto3.Session(profile_name="default").client("ec2", region_name="us-east-1",
                                                       config=ONE_TRY)
    err = translate(_raised(ec2.describe_instances), "Listing instances")
    assert isinstance(err, AwsError) and err.code == "RequestLimitExceeded"
    assert (err.message, err.hint) == (
        "Listing instances: AWS is throttling requests (RequestLimitExceeded).",
        "Wait a moment and try again.")


def test_no_credentials(aws_env) -> None:  # type: ignore[no-untyped-def]
    _add_profile(aws_env, "[profile bare]\nregion = eu-west-1")
    sts = client(new_session("bare"), "sts")
    err = translate(_raised(sts.get_caller_identity), "Checking profile 'bare'")
    assert isinstance(err, CredentialError)
    assert (err.message, err.hint) == (
        "Checking profile 'bare': no credentials were found for this profile.",
        "Add keys or a role to the profile, or log in with SSO.")


def test_sso_token_missing(aws_env) -> None:  # type: ignore[no-untyped-def]
    sts = client(new_session("sso"), "sts")  # no `aws sso login` token cached in this HOME
    err = translate(_raised(sts.get_caller_identity))
    assert isinstance(err, CredentialError)
    assert (err.message, err.hint) == (
        "the SSO login has expired or is missing.",
        "Log in again: `gangway profiles login PROFILE` (or SSO login in the Profiles pane).")


def test_credential_process_failure(aws_env) -> None:  # type: ignore[no-untyped-def]
    _add_profile(aws_env, "[profile broken-process]\nregion = us-east-1\n"
                 "credential_process = sh -c 'echo vault is sealed >&2; exit 3'")
    # boto3 runs the process when the client is made: client() says it in Gangway's words.
    with pytest.raises(CredentialError) as info:
        client(new_session("broken-process"), "sts")
    # botocore keeps the process's trailing newline; one_line() (what the CLI prints) drops it.
    assert info.value.message.rstrip("\n") == ("Error when retrieving credentials from custom-process: "
                                  "vault is sealed")
    assert info.value.hint == "The profile's credential_process failed; see its message."


def test_expired_and_rejected_keys(aws_env) -> None:  # type: ignore[no-untyped-def]
    expired = boto3.Session(profile_name="expired").client("sts", config=ONE_TRY)
    err = translate(_raised(expired.get_caller_identity))
    assert isinstance(err, CredentialError)
    assert err.message == "the credentials have expired (ExpiredToken)."
    unknown = boto3.Session(profile_name="unknown").client("sts", config=ONE_TRY)
    err = translate(_raised(unknown.get_caller_identity))
    assert err.message.startswith("AWS rejected the credentials (InvalidClientTokenId: ")


def test_unreachable_endpoint(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    sts = boto3.Session(profile_name="default").client("sts", config=ONE_TRY)
    err = translate(_raised(sts.get_caller_identity), "Asking AWS who the caller is")
    assert isinstance(err, NetworkError)
    assert err.message.startswith("Asking AWS who the caller is: AWS could not be reached (")
    assert err.hint == "Check your network connection or VPN, then retry."
