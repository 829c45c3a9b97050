"""Capabilities from platform, state, ping, agent version and permission; each 'no' says why."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.aws.discovery.capabilities import (
    REMOTE_HOST_MIN_AGENT,
    SSH_MIN_AGENT,
    Action,
    capabilities_for,
)
from app.core.aws.discovery.permissions import Access, Permission

ALLOWED = Permission(Access.ALLOWED)


def caps(**kw):
    base = dict(platform="Linux", state="running", managed=True, ping_status="Online",
                agent_version="3.3.1142.0", permission=ALLOWED)
    base.update(kw)
    return capabilities_for(**base)


def test_current_linux_agent_can_do_everything_linux_offers():
    c = caps()
    assert set(c.allowed) == {Action.SHELL, Action.SSH, Action.SFTP, Action.SCP,
                              Action.PORT_FORWARD, Action.REMOTE_PORT_FORWARD}
    assert not c.can(Action.RDP)
    assert c.why_not(Action.RDP) == "not offered for this platform"
    assert c.connectable


@pytest.mark.parametrize("agent", ["2.3.612.0", "2.2.800.0", ""])
def test_agent_too_old_for_ssh_still_gets_a_shell(agent):
    c = caps(agent_version=agent)
    assert c.can(Action.SHELL)
    for action in (Action.SSH, Action.SFTP, Action.SCP):
        assert not c.can(action)
        assert "too old" in c.why_not(action) and SSH_MIN_AGENT in c.why_not(action)


def test_ssh_threshold_is_inclusive():
    assert caps(agent_version=SSH_MIN_AGENT).can(Action.SSH)
    assert caps(agent_version=REMOTE_HOST_MIN_AGENT).can(Action.REMOTE_PORT_FORWARD)


@pytest.mark.parametrize("agent", ["3.0.1124.0", "2.3.1319.0", "3.1.1373.9"])
def test_remote_host_forwarding_needs_3_1_1374(agent):
    c = caps(agent_version=agent)
    assert c.can(Action.SSH) and c.can(Action.PORT_FORWARD)
    assert not c.can(Action.REMOTE_PORT_FORWARD)
    assert REMOTE_HOST_MIN_AGENT in c.why_not(Action.REMOTE_PORT_FORWARD)


def test_windows_offers_shell_and_rdp_not_ssh():
    c = caps(platform="Windows")
    assert c.can(Action.SHELL) and c.can(Action.RDP) and c.can(Action.PORT_FORWARD)
    assert not c.can(Action.SSH)
    assert c.why_not(Action.SSH) == "not offered for this platform"


@pytest.mark.parametrize(("kw", "needle"), [
    ({"state": "stopped", "ping_status": "ConnectionLost"},
     "the instance is stopped (start it first)"),
    ({"ping_status": "ConnectionLost"}, "its SSM agent lost its connection; restart the agent "
                                        "or check the instance's network"),
    ({"ping_status": "ConnectionLost", "last_ping": datetime(2026, 11, 30, 9, 5)},
     "its SSM agent lost its connection (last seen 2026-11-30 09:05); restart the agent"),
    ({"ping_status": "Inactive", "state": ""}, "its SSM agent is inactive; start the instance, "
                                               "or register it again if it was deregistered"),
    ({"ping_status": ""}, "its SSM agent is not reporting; restart it on the instance"),
    ({"state": "pending"}, "the instance is pending (it is starting; try again in a minute)"),
    ({"state": "terminated"}, "the instance is terminated (it no longer exists)"),
    ({"managed": False, "ping_status": "", "agent_version": ""},
     "the SSM agent is not running or not registered; install or start it"),
    ({"permission": Permission(Access.DENIED, "no policy allows it")},
     "your IAM permissions do not allow a session here (no policy allows it); ask an "
     "administrator for ssm:StartSession on it"),
])
def test_every_no_says_why(kw, needle):
    c = caps(**kw)
    assert not c.connectable
    for item in c.items:
        assert not item.ok
        assert needle in item.reason


def test_unknown_permission_does_not_block():
    c = caps(permission=Permission(Access.UNKNOWN, "simulation not allowed"))
    assert c.connectable and c.can(Action.SSH)


def test_junk_agent_version_is_treated_as_too_old_not_an_error():
    c = caps(agent_version="not-a-version")
    assert c.can(Action.SHELL)
    assert not c.can(Action.SSH)


def test_the_agent_column_speaks_plain_words():
    from app.core.aws.discovery.capabilities import agent_words

    assert [agent_words(p) for p in ("Online", "ConnectionLost", "Inactive", "", "Lost")] == [
        "online", "connection lost", "inactive", "no agent", "lost"]
