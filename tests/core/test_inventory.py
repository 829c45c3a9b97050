"""Discovery against the sandbox fleet: joins, hybrid nodes, pagination, errors, throttling."""

from __future__ import annotations

import threading

import boto3
import botocore.config
import botocore.exceptions
import pytest

from app.core.aws.client import client, new_session
from app.core.aws.discovery.capabilities import Action
from app.core.aws.discovery.inventory import discover, enabled_regions, resolve_regions
from app.core.errors import CredentialError
from tests.sandbox.state import DELAY


def test_every_node_of_the_fleet_is_listed_with_its_details(aws_env):
    fleet = aws_env.sandbox.fleet
    seen = []
    inv = discover(new_session("default"), list(fleet.regions), progress=seen.append)
    assert sorted(r.region for r in seen) == sorted(fleet.regions)  # one report per region
    assert [r.region for r in inv.results] == list(fleet.regions)  # in the order asked
    assert not inv.errors and inv.any_ok
    got = {(r.region, r.instance_id): r for r in inv.rows}
    assert len(got) == len(inv.rows) == len(fleet.nodes)
    for node in fleet.nodes:
        row = got[(node.region, node.instance_id)]
        assert row.name == node.name
        assert row.managed == node.managed
        assert row.ping_status == (node.ping or "")
        assert row.agent_version == node.agent_version
        assert row.private_ip == node.private_ip
        assert dict(row.tags) == node.tags  # hybrid nodes' tags via ssm:ListTagsForResource
        if not node.hybrid:
            assert row.state == node.state
            assert row.az.startswith(node.region)
            assert row.platform == node.platform


def test_hybrid_nodes_without_an_ec2_record_are_included(aws_env):
    fleet = aws_env.sandbox.fleet
    inv = discover(new_session("default"), list(fleet.regions))
    hybrid = {r.instance_id: r for r in inv.rows if r.hybrid}
    assert set(hybrid) == {n.instance_id for n in fleet.nodes if n.hybrid}
    jump = hybrid["mi-0abcdef0123456789"]
    assert jump.name == "onprem-jump" and jump.region == "ap-southeast-2"
    assert jump.resource_type == "ManagedInstance" and jump.state == ""
    assert jump.connectable and jump.capabilities.can(Action.SSH)
    lost = hybrid["mi-0fedcba9876543210"]
    assert not lost.connectable
    assert "its SSM agent lost its connection (last seen " in lost.capabilities.why_not("shell")


def test_pagination_beyond_one_page_in_every_region(aws_env):
    fleet = aws_env.sandbox.fleet
    region = "eu-west-1"
    # Smallest pages the APIs accept: ~20 EC2 pages and ~10 SSM pages for this region.
    inv = discover(new_session("default"), [region], page_sizes=(5, 10), check_permissions=False)
    ids = [r.instance_id for r in inv.rows]
    assert len(ids) == len(set(ids)) == len(fleet.in_region(region))
    assert len(fleet.ec2(region)) > 5 * 3 and len(fleet.managed(region)) > 10 * 3
    assert {r.instance_id for r in inv.rows if r.managed} == \
        {n.instance_id for n in fleet.managed(region)}


def test_capabilities_follow_the_agent_version(aws_env):
    fleet = aws_env.sandbox.fleet
    inv = discover(new_session("default"), ["us-east-1"])
    rows = {r.name: r for r in inv.rows}
    old_ssh = rows["old-agent-ssh"]
    assert old_ssh.capabilities.can(Action.SHELL)
    assert not old_ssh.capabilities.can(Action.SSH)
    assert "its SSM agent 2.3.612.0 is too old for this (needs 2.3.672.0); update the agent" \
        in old_ssh.capabilities.why_not(Action.SSH)
    old_remote = rows["old-agent-remote"]
    assert old_remote.capabilities.can(Action.SSH)
    assert not old_remote.capabilities.can(Action.REMOTE_PORT_FORWARD)
    win = rows["win-1.prod"]
    assert win.platform == "Windows"
    assert win.capabilities.can(Action.RDP) and not win.capabilities.can(Action.SSH)
    assert "stopped" in rows["stopped-1"].capabilities.why_not(Action.SHELL)
    assert "lost its connection" in rows["offline-1"].capabilities.why_not(Action.SHELL)
    assert "not running or not registered" in rows["unmanaged-1"].capabilities.why_not(
        Action.SHELL)
    assert fleet.by_name("web-1.prod").instance_id == rows["web-1.prod"].instance_id
    assert set(rows["web-1.prod"].capabilities.allowed) >= {Action.SHELL, Action.SSH}


@pytest.mark.parametrize(("code", "service", "hint"), [
    ("OptInRequired", "*", "enabled"),
    ("AuthFailure", "ec2", "may not be enabled"),
    ("UnauthorizedOperation", "ssm", "Ask your AWS administrator"),
])
def test_a_failing_region_never_hides_the_others(aws_env, code, service, hint):
    sb = aws_env.sandbox
    sb.control.fault_region("eu-west-1", code, service=service)
    inv = discover(new_session("default"), ["us-east-1", "eu-west-1"], check_permissions=False)
    assert [r.region for r in inv.errors] == ["eu-west-1"]
    failed = inv.errors[0]
    assert failed.rows == () and failed.error is not None
    assert "eu-west-1" in failed.error.message
    assert hint in failed.error.hint
    if code == "UnauthorizedOperation":
        assert "ssm:DescribeInstanceInformation" in failed.error.message
    assert inv.any_ok
    assert {r.region for r in inv.rows} == {"us-east-1"}
    assert len(inv.rows) == len(sb.fleet.in_region("us-east-1"))


def test_a_bad_region_name_is_an_error_for_that_region_only(aws_env):
    inv = discover(new_session("default"), ["us-east-1", "not a region; rm -rf /"],
                   check_permissions=False)
    assert [r.region for r in inv.errors] == ["not a region; rm -rf /"]
    assert inv.any_ok and inv.rows


def test_throttling_is_retried_with_backoff(aws_env):
    sb = aws_env.sandbox
    # The fault is real: a client that does not retry gets it.
    sb.control.throttle("ap-southeast-2", count=1, service="ec2")
    bare = boto3.Session(profile_name="default").client(
        "ec2", region_name="ap-southeast-2",
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    with pytest.raises(botocore.exceptions.ClientError) as info:
        bare.describe_instances()
    assert info.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert client(new_session("default"), "ec2").meta.config.retries["mode"] == "adaptive"
    # Gangway's clients retry: two throttled calls later, the region is complete.
    sb.control.throttle("ap-southeast-2", count=2)
    inv = discover(new_session("default"), ["ap-southeast-2"], check_permissions=False)
    assert not inv.errors
    assert len(inv.rows) == len(sb.fleet.in_region("ap-southeast-2"))


def test_cancel_stops_discovery(aws_env):
    cancel = threading.Event()
    cancel.set()
    seen = []
    inv = discover(new_session("default"), ["us-east-1", "eu-west-1"], cancel=cancel,
                   progress=seen.append)
    assert inv.cancelled
    # Cancelled before it began: no region was reported, nothing was listed.
    assert seen == inv.results == []
    assert inv.rows == []


def test_cancel_mid_way_stops_the_regions_not_yet_done(aws_env):
    """A cancel after the first region reports: the slow region is dropped, not awaited."""
    sb = aws_env.sandbox
    sb.control.fault_region("eu-west-1", DELAY, service="ssm", delay=3.0)
    cancel = threading.Event()
    seen = []

    def progress(result):
        seen.append(result.region)
        cancel.set()

    inv = discover(new_session("default"), ["us-east-1", "eu-west-1"], cancel=cancel,
                   progress=progress, check_permissions=False)
    assert inv.cancelled
    assert seen == ["us-east-1"]
    assert [r.region for r in inv.results] == ["us-east-1"]
    assert {r.region for r in inv.rows} == {"us-east-1"}


def test_expired_credentials_fail_every_region_with_a_credential_error(aws_env):
    inv = discover(lambda: new_session("expired"), ["us-east-1", "eu-west-1"])
    assert not inv.any_ok
    assert len(inv.errors) == 2
    assert all(isinstance(r.error, CredentialError) for r in inv.errors)
    assert "expired" in inv.errors[0].error.message


def test_region_choice(aws_env):
    session = new_session("default")
    regions = enabled_regions(session)
    assert set(aws_env.sandbox.fleet.regions) <= set(regions)
    assert resolve_regions(session, all_regions=True) == regions
    assert resolve_regions(session, ["eu-west-1", "eu-west-1", "us-east-1"]) == \
        ["eu-west-1", "us-east-1"]
    assert resolve_regions(session) == ["us-east-1"]  # the profile's region


def test_dropped_connections_in_one_region_are_retried(aws_env):
    """The network drops EC2's connection twice in one region: retried, the region completes."""
    from tests.sandbox.state import DROP

    sb = aws_env.sandbox
    sb.control.fault_region("eu-west-1", DROP, service="ec2", count=2)
    inv = discover(new_session("default"), ["us-east-1", "eu-west-1"], check_permissions=False)
    assert not inv.errors
    assert len(inv.rows) == len(sb.fleet.in_region("us-east-1")) + \
        len(sb.fleet.in_region("eu-west-1"))


def test_a_failed_hybrid_tag_lookup_still_lists_the_node(aws_env):
    sb = aws_env.sandbox
    sb.control.fault_region("us-east-1", "InternalServerError", service="ssm",
                            operation="ListTagsForResource")
    inv = discover(new_session("default"), ["us-east-1"], check_permissions=False)
    assert not inv.errors
    db = {r.instance_id: r for r in inv.rows}["mi-0123456789abcdef0"]
    assert db.name == "onprem-db" and db.hybrid  # the name comes from SSM itself
    assert db.tags == ()  # the tags could not be read: none, rather than no node
    assert len(inv.rows) == len(sb.fleet.in_region("us-east-1"))
