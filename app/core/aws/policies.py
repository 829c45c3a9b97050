"""IAM policy statements Gangway's features need, in one place (the doctor, README, dialogs).

Each statement is plain data (what a user pastes into a policy), with the action names that
other modules check against. Extend it here, never copy it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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


def policy_text(statements: list[dict[str, Any]]) -> str:
    """A complete policy document, as the IAM console takes it."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
