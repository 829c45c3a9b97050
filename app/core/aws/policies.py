"""IAM policies an administrator needs for Gangway, generated as plain JSON-able dicts.

    user_policy(account="123456789012")          start/describe sessions, end only your own
    instance_profile_policy()                    what the SSM agent on the instance calls
    deny_all_but(["alice", "bob"])               a guard for a group: nobody else may connect
    tag_restricted("Team", "web")                only instances carrying that tag
    document_scoped(["AWS-StartPortForwardingSession"])   port forwarding and nothing else
    start_session_statement(instance_arns, documents)      what the doctor suggests adding

Session ids are "<caller name>-<random>", so `session/${aws:username}-*` lets IAM users end
or resume only their own sessions. Every statement is checked against the sandbox's policy
simulation in tests/core/test_policies.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

VERSION = "2012-10-17"
SHELL_DOCUMENT = "SSM-SessionManagerRunShell"
SESSION_DOCUMENTS = ("AWS-StartSSHSession", "AWS-StartPortForwardingSession",
                     "AWS-StartPortForwardingSessionToRemoteHost", "AWS-StartInteractiveCommand")
PORT_DOCUMENTS = ("AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost")
# What discovery, the Sessions pane and the permission check call.
DESCRIBE_ACTIONS = ("ec2:DescribeInstances", "ec2:DescribeRegions",
                    "ssm:DescribeInstanceInformation", "ssm:DescribeSessions",
                    "ssm:GetConnectionStatus", "iam:SimulatePrincipalPolicy",
                    "sts:GetCallerIdentity")
OWN_SESSION_ACTIONS = ("ssm:TerminateSession", "ssm:ResumeSession")
# The agent's calls (the session part of AmazonSSMManagedInstanceCore).
AGENT_ACTIONS = ("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                 "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
                 "ssmmessages:OpenDataChannel", "ec2messages:AcknowledgeMessage",
                 "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                 "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply")


def policy(statements: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def instances_arn(partition: str = "aws", account: str = "*", region: str = "*") -> str:
    return f"arn:{partition}:ec2:{region}:{account or '*'}:instance/*"


def document_arns(documents: Sequence[str], partition: str = "aws") -> list[str]:
    # AWS-owned documents have no account in their ARN ("arn:aws:ssm:us-east-1::document/...").
    return [f"arn:{partition}:ssm:*::document/{name}" for name in documents]


def start_session_statement(instance_arns: Sequence[str], documents: Sequence[str] = (),
                            partition: str = "aws", sid: str = "StartSessions") -> dict[str, Any]:
    """ssm:StartSession on these instances, with these documents (plus the default shell)."""
    return {"Sid": sid, "Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": [*instance_arns,
                         *document_arns((SHELL_DOCUMENT, *documents), partition)]}


def user_policy(account: str = "*", partition: str = "aws",
                documents: Sequence[str] = SESSION_DOCUMENTS) -> dict[str, Any]:
    return policy([
        start_session_statement([instances_arn(partition, account)], documents, partition),
        {"Sid": "DescribeForDiscovery", "Effect": "Allow", "Action": list(DESCRIBE_ACTIONS),
         "Resource": "*"},
        {"Sid": "EndOwnSessions", "Effect": "Allow", "Action": list(OWN_SESSION_ACTIONS),
         "Resource": f"arn:{partition}:ssm:*:*:session/${{aws:username}}-*"},
    ])


def instance_profile_policy() -> dict[str, Any]:
    return policy([{"Sid": "SsmAgent", "Effect": "Allow", "Action": list(AGENT_ACTIONS),
                    "Resource": "*"}])


def deny_all_but(users: Sequence[str], account: str = "*",
                 partition: str = "aws") -> dict[str, Any]:
    """For a group or permission boundary: sessions for the listed IAM users only."""
    return policy([{"Sid": "OnlyListedUsers", "Effect": "Deny", "Action": "ssm:StartSession",
                    "Resource": instances_arn(partition, account),
                    "Condition": {"StringNotEquals": {"aws:username": list(users)}}}])


def tag_restricted(key: str, value: str, account: str = "*", partition: str = "aws",
                   documents: Sequence[str] = SESSION_DOCUMENTS) -> dict[str, Any]:
    """Sessions only on instances tagged KEY=VALUE (documents carry no tags)."""
    return policy([
        {"Sid": "TaggedInstances", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": instances_arn(partition, account),
         "Condition": {"StringEquals": {f"ssm:resourceTag/{key}": value}}},
        {"Sid": "SessionDocuments", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": document_arns((SHELL_DOCUMENT, *documents), partition)},
    ])


def document_scoped(documents: Sequence[str] = PORT_DOCUMENTS, account: str = "*",
                    partition: str = "aws") -> dict[str, Any]:
    """Port forwarding only: `SessionDocumentAccessCheck` makes IAM check the document, so
    a plain shell (which names no document) is refused."""
    return policy([{"Sid": "PortForwardingOnly", "Effect": "Allow", "Action": "ssm:StartSession",
                    "Resource": [instances_arn(partition, account),
                                 *document_arns(documents, partition)],
                    "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}}])


# --- keyless SSH (EC2 Instance Connect) ---------------------------------------------------

SEND_SSH_PUBLIC_KEY = "ec2-instance-connect:SendSSHPublicKey"
DESCRIBE_INSTANCES = "ec2:DescribeInstances"
OS_USER_CONDITION = "ec2:osuser"
DEFAULT_OS_USERS = ("ec2-user", "ubuntu")



def keyless_statements(os_users: Sequence[str] = DEFAULT_OS_USERS) -> list[dict[str, Any]]:
    """What keyless SSH needs: push a key, for these OS users only, and find the instance's
    Availability Zone."""
    return [
        {
            "Sid": "GangwayKeylessSsh",
            "Effect": "Allow",
            "Action": SEND_SSH_PUBLIC_KEY,
            "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringEquals": {OS_USER_CONDITION: list(os_users)}},
        },
        {
            "Sid": "GangwayFindInstanceZone",
            "Effect": "Allow",
            "Action": DESCRIBE_INSTANCES,
            "Resource": "*",
        },
    ]


def keyless_policy(os_users: Sequence[str] = DEFAULT_OS_USERS) -> dict[str, Any]:
    return policy(keyless_statements(os_users))


def policy_text(statements: list[dict[str, Any]]) -> str:
    """A complete policy document, as the IAM console takes it."""
    return to_json(policy(statements))
