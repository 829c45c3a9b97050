"""SSM session calls against the sandbox (real wire protocol), and the local history store."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.aws.client import client, new_session
from app.core.aws.credentials.types import Credentials
from app.core.aws.sessions import api
from app.core.aws.sessions.api import SessionRecord
from app.core.aws.sessions.history import SessionHistory, merge, record_as_dict
from app.core.errors import AwsError, GangwayError

REGION = "us-east-1"


@pytest.fixture
def ssm(aws_env):  # type: ignore[no-untyped-def]
    return client(new_session("default"), "ssm", REGION)


def test_start_plugin_contract_resume_terminate(aws_env, ssm) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    started = api.start_session(ssm, node.instance_id, "AWS-StartSSHSession",
                                         {"portNumber": [22]}, reason="why\nnot\x1b")
    assert started.region == REGION
    assert started.request == {"Target": node.instance_id, "DocumentName": "AWS-StartSSHSession",
                               "Parameters": {"portNumber": ["22"]}, "Reason": "why not "}
    assert started.token_value not in repr(started)
    argv = api.plugin_argv("/p/session-manager-plugin", started, "")
    assert argv[:5] == ["/p/session-manager-plugin", "AWS_SSM_START_SESSION_RESPONSE", REGION,
                        "StartSession", ""]
    assert json.loads(argv[5]) == started.request
    assert argv[6] == ssm.meta.endpoint_url
    assert all(started.token_value not in a for a in argv)
    frozen = new_session("default").get_credentials().get_frozen_credentials()
    creds = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
    env = api.plugin_env(started, creds, base={"AWS_PROFILE": "x", "PATH": "/bin"})
    assert json.loads(env["AWS_SSM_START_SESSION_RESPONSE"]) == {
        "SessionId": started.session_id, "TokenValue": started.token_value,
        "StreamUrl": started.stream_url}
    assert env["AWS_ACCESS_KEY_ID"] == aws_env.sandbox.identities["default"].access_key_id
    assert "AWS_PROFILE" not in env and env["PATH"] == "/bin"

    active = api.describe_sessions(ssm, "Active")
    assert started.session_id in {r.session_id for r in active}
    resumed = api.resume_session(ssm, started)
    assert resumed.session_id == started.session_id
    assert resumed.token_value != started.token_value
    api.terminate_session(ssm, started.session_id)
    history = api.describe_sessions(ssm, "History")
    row = next(r for r in history if r.session_id == started.session_id)
    assert row.status == "Terminated" and row.end is not None and not row.active
    assert row.reason == "why not "


def test_describe_sessions_follows_pages(aws_env, ssm) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    ids = {api.start_session(ssm, node.instance_id).session_id for _ in range(7)}
    rows = api.describe_sessions(ssm, "Active", page_size=3)
    assert ids <= {r.session_id for r in rows}
    assert len(api.describe_sessions(ssm, "Active", max_items=4, page_size=3)) == 4
    mine = api.describe_sessions(ssm, "Active", owner="Self")
    assert ids <= {r.session_id for r in mine}


def test_errors_are_typed(aws_env, ssm) -> None:  # type: ignore[no-untyped-def]
    stopped = aws_env.sandbox.fleet.by_name("stopped-1")
    with pytest.raises(AwsError, match="TargetNotConnected"):
        api.start_session(ssm, stopped.instance_id)
    with pytest.raises(AwsError, match="InvalidDocument"):
        api.start_session(ssm, stopped.instance_id, "No-Such-Document")
    with pytest.raises(GangwayError):
        api.describe_sessions(ssm, "Bogus")
    with pytest.raises(AwsError, match="DoesNotExist"):
        api.resume_session(ssm, api.StartedSession(
            "nope", "t", "wss://x", REGION, "http://x", {}))


def test_history_is_private_and_merges_with_aws(tmp_path: Path) -> None:
    hist = SessionHistory(tmp_path)
    k1 = hist.record_start(profile="prod", region=REGION, target="i-0123456789abcdef0",
                           document="AWS-StartSSHSession", reason="deploy", session_id="s-1")
    k2 = hist.record_start(profile="prod", region=REGION, target="i-0123456789abcdef1",
                           document="", session_id="")
    assert k1 == "s-1" and k2.startswith("local-")
    hist.record_end(k1, "exit\n0")
    hist.record_end(k2, "error: TargetNotConnected")
    assert stat.S_IMODE((tmp_path / "sessions.json").stat().st_mode) == 0o600
    local = hist.records()
    assert [r.ended for r in local] == ["exit 0", "error: TargetNotConnected"]
    remote = [
        SessionRecord("s-1", "i-0123456789abcdef0", "Terminated",
                      start=datetime(2030, 1, 1, tzinfo=UTC), owner="arn:me"),
        SessionRecord("s-9", "i-0123456789abcdef9", "Connected",
                      start=datetime(2031, 1, 1, tzinfo=UTC)),
    ]
    merged = merge(remote, local)
    assert merged[0].session_id == "s-9"  # newest first
    by_id = {r.session_id: r for r in merged}
    assert by_id["s-1"].profile == "prod" and by_id["s-1"].reason == "deploy"
    assert by_id["s-1"].ended == "exit 0" and by_id["s-1"].local and by_id["s-1"].owner == "arn:me"
    assert by_id["s-9"].active and not by_id["s-9"].local
    assert by_id[k2].ended.startswith("error:")
    d = record_as_dict(by_id["s-1"])
    assert d["start"].startswith("2030-01-01") and d["active"] is False


def test_corrupt_history_is_kept_aside(tmp_path: Path) -> None:
    (tmp_path / "sessions.json").write_text("{not json")
    hist = SessionHistory(tmp_path)
    assert hist.records() == []
    assert any(p.name.startswith("sessions.json.corrupt-") for p in tmp_path.iterdir())
    hist.record_start(profile="p", region=REGION, target="i-0123456789abcdef0", document="")
    assert len(hist.records()) == 1
