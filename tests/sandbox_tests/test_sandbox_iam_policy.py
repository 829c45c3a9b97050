"""The sandbox's IAM policy evaluator refuses what it cannot judge instead of guessing."""

from __future__ import annotations

import pytest

from tests.sandbox.iam_policy import evaluate

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_unsupported_condition_operator_is_refused() -> None:
    doc = {"Statement": [{**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    with pytest.raises(ValueError, match="IpAddress"):
        evaluate([doc], "ssm:StartSession", "*", {})


def test_explicit_deny_wins_and_not_action_excludes() -> None:
    docs = [{"Statement": [ALLOW_ALL]},
            {"Statement": {"Effect": "Deny", "NotAction": "ssm:Describe*", "Resource": "*"}}]
    assert evaluate(docs, "ssm:StartSession", "*", {})[0] == "explicitDeny"
    assert evaluate(docs, "ssm:DescribeSessions", "*", {})[0] == "allowed"
    assert evaluate([], "ssm:DescribeSessions", "*", {})[0] == "implicitDeny"
