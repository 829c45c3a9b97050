"""Permission verdicts from iam:SimulatePrincipalPolicy, grouped by tag set and cached."""

from __future__ import annotations

from collections import Counter

import pytest

from app.core.aws.client import new_session
from app.core.aws.discovery.inventory import discover
from app.core.aws.discovery.permissions import (
    Access,
    Permission,
    PermissionCache,
    simulatable_arn,
)

ACCT = "123456789012"


@pytest.mark.parametrize(("caller", "expected"), [
    (f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/alice"),
    (f"arn:aws:iam::{ACCT}:role/ops", f"arn:aws:iam::{ACCT}:role/ops"),
    (f"arn:aws:sts::{ACCT}:assumed-role/gangway-operator/botocore-session-1",
     f"arn:aws:iam::{ACCT}:role/gangway-operator"),
    (f"arn:aws-cn:sts::{ACCT}:assumed-role/ops/me", f"arn:aws-cn:iam::{ACCT}:role/ops"),
])
def test_caller_arn_becomes_a_simulatable_principal(caller, expected):
    assert simulatable_arn(caller) == (expected, "")


@pytest.mark.parametrize(("caller", "why"), [
    (f"arn:aws:iam::{ACCT}:root", "root"),
    (f"arn:aws:sts::{ACCT}:federated-user/bob", "federated"),
    ("not an arn", "unexpected caller ARN"),
    (f"arn:aws:sts::{ACCT}:assumed-role/", "cannot simulate"),
])
def test_principals_that_cannot_be_simulated_say_why(caller, why):
    arn, reason = simulatable_arn(caller)
    assert arn is None
    assert why in reason


def _by_id(inventory):
    return {r.instance_id: r for r in inventory.rows}


def test_jumpbox_rule_allows_only_jumpbox_tagged_instances(aws_env):
    fleet = aws_env.sandbox.fleet
    inv = discover(new_session("jumpbox-only"), list(fleet.regions))
    rows = _by_id(inv)
    for node in fleet.nodes:
        row = rows[node.instance_id]
        if not node.managed:
            assert row.permission.access is Access.UNKNOWN
            continue
        if node.tags.get("Purpose") == "jumpbox":
            assert row.permission.access is Access.ALLOWED, node.name
        else:
            assert row.permission.access is Access.DENIED, node.name
            assert "ssm:StartSession" in row.permission.reason
    connectable = {r.instance_id for r in inv.rows if r.connectable}
    expected = {n.instance_id for n in fleet.nodes if n.tags.get("Purpose") == "jumpbox"
                and n.ping == "Online" and n.state in ("running", "hybrid")}
    assert connectable == expected
    assert rows[fleet.by_name("bastion").instance_id].connectable
    web = rows[fleet.by_name("web-1.prod").instance_id]
    assert not web.connectable
    assert "your IAM permissions do not allow a session here" in web.capabilities.why_not(
        "shell")


def test_hybrid_node_tags_feed_the_simulation(aws_env):
    inv = discover(new_session("jumpbox-only"), ["ap-southeast-2"])
    jump = _by_id(inv)["mi-0abcdef0123456789"]
    assert jump.tag("Purpose") == "jumpbox"
    assert jump.permission.access is Access.ALLOWED
    assert jump.connectable


def test_instances_are_grouped_by_the_tag_keys_policies_use(aws_env):
    """One probe, then one call per (region, Purpose value) group (chunks of 100 ARNs):
    for EC2's instances as soon as EC2 answers (SSM may still be paging), then for the
    hybrid nodes once they are joined."""
    fleet = aws_env.sandbox.fleet
    region = "us-east-1"
    inv = discover(new_session("jumpbox-only"), [region])
    nodes = fleet.in_region(region)
    # The seeded fleet in us-east-1: EC2 instances 9 tagged Purpose=jumpbox and 94 untagged;
    # two managed hybrid nodes, untagged.
    assert Counter(n.tags.get("Purpose") for n in nodes if not n.hybrid) == \
        {"jumpbox": 9, None: 94}
    assert Counter(n.tags.get("Purpose") for n in nodes if n.hybrid and n.managed) == {None: 2}
    # probe + jumpbox (9) + untagged EC2 (94) + untagged hybrid (2): each under 100 ARNs
    assert inv.simulate_calls == 4


def test_a_group_mixing_allowed_implicit_and_explicit_denials(aws_env):
    """IAM answers one result per action for the whole group; verdicts come per resource."""
    sb = aws_env.sandbox
    fleet = sb.fleet
    explicit, implicit = (fleet.by_name(n).instance_id for n in ("old-agent-ssh", "web-1.prod"))
    sb.control.set_simulate_rule(sb.identities["default"].arn,
                                 {"explicit_deny_ids": [explicit], "implicit_deny_ids": [implicit]})
    inv = discover(new_session("default"), ["us-east-1"])
    # the probe, the EC2 instances (103: two calls of at most 100), the hybrid nodes (one)
    assert inv.simulate_calls == 4
    rows = _by_id(inv)
    assert rows[explicit].permission == Permission(Access.DENIED, "explicitly denied by a policy")
    assert rows[implicit].permission == Permission(
        Access.DENIED, "no policy allows ssm:StartSession on this instance")
    others = {r.permission for r in inv.rows if r.managed and r.instance_id not in
              (explicit, implicit)}
    assert others == {Permission(Access.ALLOWED)}
    assert rows[fleet.by_name("bastion").instance_id].connectable
    assert not rows[implicit].connectable and not rows[explicit].connectable


def test_cache_answers_a_second_refresh_without_calls(aws_env):
    fleet = aws_env.sandbox.fleet
    cache = PermissionCache()
    region = fleet.regions[0]
    first = discover(new_session("jumpbox-only"), [region], permissions=cache)
    second = discover(new_session("jumpbox-only"), [region], permissions=cache)
    assert first.simulate_calls > 0
    assert second.simulate_calls == 0
    assert {(r.instance_id, r.permission) for r in first.rows} == \
        {(r.instance_id, r.permission) for r in second.rows}


def test_simulation_not_allowed_means_unknown_with_reason(aws_env):
    sb = aws_env.sandbox
    sb.control.set_simulate_rule(sb.identities["default"].arn, {"deny_simulate": True})
    inv = discover(new_session("default"), ["us-east-1"])
    managed = [r for r in inv.rows if r.managed]
    assert managed
    assert all(r.permission.access is Access.UNKNOWN for r in managed)
    assert "iam:SimulatePrincipalPolicy" in inv.permission_note
    assert all("SimulatePrincipalPolicy" in r.permission.reason for r in managed)
    # Unknown is not a refusal: Online instances stay connectable.
    online = [r for r in managed if r.ping_status == "Online" and r.state == "running"]
    assert online and all(r.connectable for r in online)


def test_explicit_deny_is_reported_as_such(aws_env):
    sb = aws_env.sandbox
    sb.control.set_simulate_rule(sb.identities["default"].arn, {"explicit_deny": True})
    inv = discover(new_session("default"), ["eu-west-1"])
    managed = [r for r in inv.rows if r.managed]
    assert managed and all(r.permission.access is Access.DENIED for r in managed)
    assert all("explicitly denied" in r.permission.reason for r in managed)
    assert not any(r.connectable for r in inv.rows)


def test_assumed_role_is_simulated_as_its_role(aws_env):
    sb = aws_env.sandbox
    sb.control.set_simulate_rule(sb.operator_role_arn, {"allow_tags": {"Environment": ["prod"]}})
    inv = discover(new_session("role"), ["us-east-1"])
    assert inv.principal is not None
    assert ":assumed-role/gangway-operator/" in inv.principal.caller_arn
    assert inv.principal.arn == sb.operator_role_arn
    for row in inv.rows:
        if row.managed:
            want = Access.ALLOWED if row.tag("Environment") == "prod" else Access.DENIED
            assert row.permission.access is want, row.name


def test_one_failing_simulation_group_leaves_the_others_checked(aws_env):
    """IAM refuses the call for the Purpose=jumpbox group only: those say why, others are
    decided as usual."""
    sb = aws_env.sandbox
    carol = sb.identities["jumpbox-only"].arn
    sb.control.set_simulate_rule(carol, {"allow_tags": {"Purpose": ["jumpbox"]},
                                         "fail_context": {"ssm:resourceTag/Purpose": "jumpbox"}})
    inv = discover(new_session("jumpbox-only"), ["us-east-1"])
    assert not inv.errors
    rows = _by_id(inv)
    bastion = rows[sb.fleet.by_name("bastion").instance_id]
    assert bastion.permission.access is Access.UNKNOWN
    assert bastion.permission.reason.startswith("permission unknown: iam:SimulatePrincipalPolicy"
                                                ": InvalidInput: ")
    assert bastion.connectable  # unknown is not a refusal
    web = rows[sb.fleet.by_name("web-1.prod").instance_id]  # no Purpose tag: its own group
    assert web.permission == Permission(
        Access.DENIED, "no policy allows ssm:StartSession on this instance "
        "(policy needs ssm:resourceTag/Purpose)")


@pytest.mark.parametrize(("caller", "why"), [
    ("arn:aws:iam::123456789012:root", "the root user cannot be simulated"),
    ("arn:aws:sts::123456789012:federated-user/bob", "federated users cannot be simulated"),
])
def test_root_or_federated_caller_is_listed_with_unknown_permission(aws_env, caller, why):
    sb = aws_env.sandbox
    key = "AKIA" + ("ROOT" if caller.endswith(":root") else "FEDX") + "0000000SBX1"
    sb.control.register_user("gw-" + key[4:8].lower(), key, "s3cr3t-" + key, caller_arn=caller)
    with aws_env.credentials_file.open("a") as fh:
        fh.write(f"\n[odd-caller]\naws_access_key_id = {key}\n"
                 f"aws_secret_access_key = s3cr3t-{key}\n")
    with aws_env.config_file.open("a") as fh:
        fh.write("\n[profile odd-caller]\nregion = us-east-1\n")
    inv = discover(new_session("odd-caller"), ["us-east-1"])
    assert inv.principal is not None and inv.principal.caller_arn == caller
    assert inv.principal.arn is None and inv.simulate_calls == 0
    assert inv.permission_note == why
    managed = [r for r in inv.rows if r.managed]
    assert managed and {r.permission for r in managed} == {Permission(Access.UNKNOWN, why)}
