"""The IAM policies the policy helper generates, each statement checked with the sandbox's
SimulatePrincipalPolicy (PolicyInputList), for a principal whose own policies allow nothing.

The sandbox evaluates the documents itself (tests/sandbox/iam_policy.py: actions, resources
with ${aws:username}, the String*/Bool condition operators with IfExists), so an allow here
means the statement's own words allow it.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from app.core.aws import policies

ACCOUNT = "123456789012"
INSTANCE = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123456789abcdef0"
OTHER_ACCOUNT = "arn:aws:ec2:eu-west-1:999999999999:instance/i-0123456789abcdef0"
SSH_DOC = "arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession"
SHELL_DOC = "arn:aws:ssm:eu-west-1::document/SSM-SessionManagerRunShell"
PORT_DOC = "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession"


class Simulator:
    def __init__(self, aws_env: Any) -> None:
        self.iam = boto3.Session(profile_name="default").client("iam", region_name="us-east-1")
        self.arn = aws_env.sandbox.identities["default"].arn
        # alice's own policies allow nothing: only the documents under test decide.
        aws_env.sandbox.control.set_simulate_rule(self.arn, {"actions": ["*"], "deny_all": True})

    def __call__(self, docs: list[dict[str, Any]], action: str, resource: str = "*",
                 **context: str) -> tuple[str, list[str]]:
        kwargs: dict[str, Any] = {
            "PolicySourceArn": self.arn, "ActionNames": [action], "ResourceArns": [resource],
            "PolicyInputList": [json.dumps(d) for d in docs]}
        if context:
            kwargs["ContextEntries"] = [
                {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
                for k, v in context.items()]
        [result] = self.iam.simulate_principal_policy(**kwargs)["EvaluationResults"]
        # One resource: its decision and missing keys are in ResourceSpecificResults, as IAM
        # answers today (the top level is the aggregate; MissingContextValues there is for "*").
        [specific] = result.get("ResourceSpecificResults") or [
            {"EvalResourceDecision": result["EvalDecision"],
             "MissingContextValues": result.get("MissingContextValues", [])}]
        assert specific["EvalResourceDecision"] == result["EvalDecision"]
        return result["EvalDecision"], specific.get("MissingContextValues", [])


@pytest.fixture
def simulate(aws_env: Any) -> Simulator:
    return Simulator(aws_env)


def test_generated_documents_are_valid_json_with_unique_sids() -> None:
    for doc in (policies.user_policy(ACCOUNT), policies.instance_profile_policy(),
                policies.deny_all_but(["alice"]), policies.tag_restricted("Team", "web"),
                policies.document_scoped()):
        parsed = json.loads(policies.to_json(doc))
        assert parsed["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in parsed["Statement"]]
        assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)


def test_user_policy_starts_sessions_in_its_account_only(simulate: Simulator) -> None:
    doc = [policies.user_policy(ACCOUNT)]
    assert simulate(doc, "ssm:StartSession", INSTANCE)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", SSH_DOC)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", SHELL_DOC)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", OTHER_ACCOUNT)[0] == "implicitDeny"
    for action in policies.DESCRIBE_ACTIONS:
        assert simulate(doc, action)[0] == "allowed", action
    assert simulate(doc, "ssm:SendCommand")[0] == "implicitDeny"


def test_user_policy_ends_only_sessions_named_after_the_user(simulate: Simulator) -> None:
    doc = [policies.user_policy(ACCOUNT)]
    own = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:session/alice-0a1b2c3d4e5f"
    theirs = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:session/bob-0a1b2c3d4e5f"
    for action in ("ssm:TerminateSession", "ssm:ResumeSession"):
        assert simulate(doc, action, own, **{"aws:username": "alice"})[0] == "allowed"
        assert simulate(doc, action, theirs, **{"aws:username": "alice"})[0] == "implicitDeny"
    # Without the user name the variable cannot match: nothing is allowed, and IAM says why.
    decision, missing = simulate(doc, "ssm:TerminateSession", own)
    assert decision == "implicitDeny" and missing == ["aws:username"]


def test_instance_profile_policy_is_what_the_agent_calls(simulate: Simulator) -> None:
    doc = [policies.instance_profile_policy()]
    for action in policies.AGENT_ACTIONS:
        assert simulate(doc, action)[0] == "allowed", action
    assert simulate(doc, "ssm:StartSession", INSTANCE)[0] == "implicitDeny"


def test_deny_all_but_listed_users_wins_over_the_allow(simulate: Simulator) -> None:
    docs = [policies.user_policy(ACCOUNT), policies.deny_all_but(["alice", "carol"])]
    assert simulate(docs, "ssm:StartSession", INSTANCE, **{"aws:username": "alice"})[0] == \
        "allowed"
    assert simulate(docs, "ssm:StartSession", INSTANCE, **{"aws:username": "mallory"})[0] == \
        "explicitDeny"
    # Documents are not instances: the guard does not stand in the way of naming one.
    assert simulate(docs, "ssm:StartSession", SSH_DOC, **{"aws:username": "mallory"})[0] == \
        "allowed"


def test_tag_restricted_allows_only_tagged_instances(simulate: Simulator) -> None:
    doc = [policies.tag_restricted("Team", "web", ACCOUNT)]
    assert simulate(doc, "ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Team": "web"})[0] \
        == "allowed"
    assert simulate(doc, "ssm:StartSession", INSTANCE, **{"ssm:resourceTag/Team": "db"})[0] \
        == "implicitDeny"
    decision, missing = simulate(doc, "ssm:StartSession", INSTANCE)
    assert decision == "implicitDeny" and missing == ["ssm:resourceTag/Team"]
    assert simulate(doc, "ssm:StartSession", SSH_DOC)[0] == "allowed"


def test_document_scoped_allows_port_forwarding_and_no_shell(simulate: Simulator) -> None:
    doc = [policies.document_scoped(account=ACCOUNT)]
    check = {"ssm:SessionDocumentAccessCheck": "true"}
    assert simulate(doc, "ssm:StartSession", INSTANCE, **check)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", PORT_DOC, **check)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", SHELL_DOC, **check)[0] == "implicitDeny"
    assert simulate(doc, "ssm:StartSession", SSH_DOC, **check)[0] == "implicitDeny"


def test_the_doctors_statement_allows_exactly_that_instance(simulate: Simulator) -> None:
    statement = policies.start_session_statement([INSTANCE], ["AWS-StartSSHSession"])
    doc = [policies.policy([statement])]
    assert simulate(doc, "ssm:StartSession", INSTANCE)[0] == "allowed"
    assert simulate(doc, "ssm:StartSession", SSH_DOC)[0] == "allowed"
    other = INSTANCE.replace("i-0123456789abcdef0", "i-0fedcba9876543210")
    assert simulate(doc, "ssm:StartSession", other)[0] == "implicitDeny"
