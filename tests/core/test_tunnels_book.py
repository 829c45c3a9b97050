"""Tunnel definitions, the tunnels file, the team catalog (real Parameter Store in the
sandbox), the reaper, and the words states are shown in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import psutil
import pytest

from app.core.tunnels.book import TunnelBook
from app.core.tunnels.catalog import parse_parameters, read_catalog
from app.core.tunnels.reaper import Reaper
from app.core.tunnels.spec import Mode, TunnelError, TunnelSpec, privileged_note
from app.core.tunnels.states import Problem, TunnelState, TunnelStatus
from tests.conftest import AwsEnv


def spec(name: str = "db", **kw: object) -> TunnelSpec:
    fields: dict[str, object] = {"name": name, "profile": "prod", "target": "tag:Role=db",
                                 "remote_port": 5432}
    fields.update(kw)
    return TunnelSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "words"), [
    ({"remote_port": 0}, "remote port 0 is not between 1 and 65535"),
    ({"remote_port": 65536}, "remote port 65536 is not between 1 and 65535"),
    ({"local_port": -1}, "local port -1 is not between 1 and 65535"),
    ({"name": ""}, "1-64 characters"),
    ({"name": "a\x1b[31mred"}, "control characters"),
    ({"name": " padded"}, "leading or trailing spaces"),
    ({"target": "tag:=x"}, "is not of the form tag:KEY=VALUE"),
    ({"target": "web\nrm"}, "is not usable"),
    ({"remote_host": "db; rm -rf /"}, "is not a host name or address"),
    ({"bind": "my laptop"}, "is not an IP address"),
    ({"profile": ""}, "has no usable profile"),
])
def test_bad_definitions_are_refused_with_words(changes: dict[str, object], words: str) -> None:
    with pytest.raises(TunnelError) as err:
        spec(**changes).validate()
    assert words in str(err.value)


def test_modes_documents_parameters_and_open_text() -> None:
    port = spec(target="i-0123456789abcdef0", remote_port=8443, local_port=18443,
                open="https://localhost:{port}/")
    assert port.mode is Mode.INSTANCE_PORT and port.document == "AWS-StartPortForwardingSession"
    assert port.parameters(0) == {"portNumber": ["8443"], "localPortNumber": ["0"]}
    assert port.open_text() == "https://localhost:18443/" and port.is_url
    remote = spec(remote_host="db.abc.eu-west-1.rds.amazonaws.com", local_port=15432,
                  open="psql -h {host} -p {port} -U app")
    assert remote.mode is Mode.REMOTE_HOST
    assert remote.document == "AWS-StartPortForwardingSessionToRemoteHost"
    assert remote.parameters(0) == {"host": ["db.abc.eu-west-1.rds.amazonaws.com"],
                                    "portNumber": ["5432"], "localPortNumber": ["0"]}
    assert remote.open_text() == "psql -h localhost -p 15432 -U app" and not remote.is_url
    assert "below 1024" in privileged_note(443) and "10443" in privileged_note(443)
    assert privileged_note(8443) == ""


def test_book_add_remove_duplicates_and_picked_port(tmp_path: Path) -> None:
    book = TunnelBook(tmp_path / "tunnels.json")
    saved = book.add(spec("db"))
    assert 1024 < saved.local_port < 65536
    assert book.get("db").local_port == saved.local_port  # picked once, kept
    with pytest.raises(TunnelError, match="already exists"):
        book.add(spec("db"))
    with pytest.raises(TunnelError, match="already used by the tunnel 'db'"):
        book.add(spec("db2", local_port=saved.local_port))
    book.add(spec("db", local_port=15432, group="prod"), replace=True)
    assert [(s.name, s.local_port, s.group) for s in book.local()] == [("db", 15432, "prod")]
    assert book.select([], "prod") == book.local()
    with pytest.raises(TunnelError, match="No tunnel is in the group 'dev'"):
        book.select([], "dev")
    assert book.remove("db") and not book.remove("db")
    assert (tmp_path / "tunnels.json").stat().st_mode & 0o777 == 0o600


def test_entries_this_gangway_cannot_read_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "tunnels.json"
    future = {"name": "next", "target": "x", "remote_port": 99999, "flux": "capacitor"}
    extra = {**spec("known", local_port=2000).to_json(), "colour": "blue"}
    path.write_text(json.dumps({"schema_version": 1, "tunnels": [future, extra]}))
    book = TunnelBook(path)
    assert [s.name for s in book.local()] == ["known"]
    assert "Tunnel 'next'" in book.problems()[0] or "next" in book.problems()[0]
    book.add(spec("new", local_port=2001))
    rows = json.loads(path.read_text())["tunnels"]
    assert rows[0] == future  # untouched
    assert rows[1]["colour"] == "blue"  # unknown fields survive a rewrite
    assert [r["name"] for r in rows] == ["next", "known", "new"]


def test_a_corrupt_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "tunnels.json"
    path.write_text("{half a file")
    book = TunnelBook(path)
    assert book.local() == []
    [aside] = list(tmp_path.glob("tunnels.json.corrupt-*"))
    assert aside.read_text() == "{half a file"


def test_export_holds_no_secrets_or_local_state(tmp_path: Path) -> None:
    book = TunnelBook(tmp_path / "tunnels.json")
    book.add(spec("db", local_port=15432, open="psql -p {port}"))
    doc = book.export()
    [row] = doc["tunnels"]
    assert "shared" not in row and row["profile"] == "prod"
    text = json.dumps(doc)
    assert "AKIA" not in text and "secret" not in text.lower() and "token" not in text.lower()


def test_catalog_from_parameter_store_merged_and_overridable(
        aws_env: AwsEnv, tmp_path: Path) -> None:
    ssm = boto3.Session(profile_name="default").client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/team/tunnels/kibana", Type="String", Overwrite=True, Value=json.dumps(
        {"profile": "default", "target": "tag:Role=es", "remote_host": "es.internal",
         "remote_port": 443, "local_port": 19443, "open": "https://localhost:{port}/"}))
    ssm.put_parameter(Name="/team/tunnels/pack", Type="String", Overwrite=True, Value=json.dumps(
        {"tunnels": [{"name": "db", "profile": "default", "target": "bastion",
                      "remote_host": "db.internal", "remote_port": 5432, "local_port": 15432},
                     {"name": "bad", "target": "x", "remote_port": "many"}]}))
    ssm.put_parameter(Name="/team/tunnels/secret", Type="SecureString", Value="{}",
                      Overwrite=True)
    catalog = read_catalog(ssm, "/team/tunnels")
    assert sorted(s.name for s in catalog.tunnels) == ["db", "kibana"]
    assert all(s.shared for s in catalog.tunnels)
    assert any("bad" in p for p in catalog.problems)
    assert any("SecureString" in p for p in catalog.problems)
    book = TunnelBook(tmp_path / "tunnels.json")
    book.add(spec("db", local_port=25432))  # the local copy overrides the shared one
    merged = {s.name: s for s in book.all(catalog.tunnels)}
    assert merged["db"].local_port == 25432 and not merged["db"].shared
    assert merged["kibana"].shared and merged["kibana"].open_text() == "https://localhost:19443/"
    # One document as a single parameter works too.
    one = parse_parameters([{"Name": "/x", "Type": "String", "Value": json.dumps(
        [{"name": "a", "profile": "p", "target": "t", "remote_port": 1}])}])
    assert [s.name for s in one.tunnels] == ["a"]


def test_reaper_kills_a_plugin_left_by_a_dead_owner_only(tmp_path: Path) -> None:
    fake_plugin = tmp_path / "session-manager-plugin"
    fake_plugin.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    fake_plugin.chmod(0o755)
    left = subprocess.Popen([str(fake_plugin)], start_new_session=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                             start_new_session=True)
    try:
        time.sleep(0.3)
        dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
        dead_owner.wait()
        path = tmp_path / "children.json"
        path.write_text(json.dumps({"schema_version": 1, "children": [
            {"pid": left.pid, "started": psutil.Process(left.pid).create_time(),
             "tunnel": "db", "session_id": "s-1", "owner": dead_owner.pid,
             "owner_started": 1.0},
            {"pid": other.pid, "started": psutil.Process(other.pid).create_time(),
             "tunnel": "x", "session_id": "s-2", "owner": dead_owner.pid,
             "owner_started": 1.0},
            {"pid": os.getpid(), "started": 12345.0, "tunnel": "reused", "session_id": "",
             "owner": dead_owner.pid, "owner_started": 1.0}]}))
        assert Reaper(path).reap() == [left.pid]
        assert left.wait(10) == -9
        assert other.poll() is None  # not a plugin: never touched
        assert json.loads(path.read_text())["children"] == []
    finally:
        for p in (left, other):
            p.kill()
            p.wait()


def test_states_in_user_words() -> None:
    base = TunnelStatus("db", bind="127.0.0.1", local_port=15432, target="tag:Role=db",
                        instance_id="i-0abc")
    assert str(base) == "db is off." and base.state_str() == "off"
    listening = TunnelStatus(**{**base.__dict__, "state": TunnelState.LISTENING})
    assert str(listening) == "db: listening on 127.0.0.1:15432, forwarding to i-0abc."
    busy = Problem("Port 15432 on 127.0.0.1 is already in use by postgres (pid 9).",
                   "Stop that program, or use port 15433 instead (--local-port 15433).",
                   port_busy=True, suggested_port=15433)
    failed = TunnelStatus(**{**base.__dict__, "state": TunnelState.FAILED, "problem": busy})
    assert str(failed).startswith("db failed: Port 15432 on 127.0.0.1 is already in use")
    row = failed.as_json()
    assert row["state"] == "failed" and row["suggested_port"] == 15433 and row["port_busy"]
    assert row["local_address"] == "127.0.0.1:15432"
    six = TunnelStatus("v6", bind="::1", local_port=8080)
    assert six.local_address == "[::1]:8080"
