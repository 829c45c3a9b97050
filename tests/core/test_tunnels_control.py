"""The tunnels' edges against the sandbox: the IPC request `gangway tunnel up/down/status`
sends (answered by a real supervisor over the real book), the team catalog as the settings
name it (one parameter, nothing there, AWS refusing), the target rule when SSM does not know
every match or pages its answer, and the supervisor's API used out of order."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.core.aws.credentials.source import CliCredentialSource
from app.core.aws.sessions.connect import route
from app.core.errors import AwsError
from app.core.paths import Paths
from app.core.settings import TunnelSettings
from app.core.tunnels.book import TunnelBook
from app.core.tunnels.catalog import configured, parse_parameters
from app.core.tunnels.control import handle_request, request
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import TunnelError, TunnelSpec
from app.core.tunnels.states import LogLine, TunnelState, TunnelStatus
from app.core.tunnels.supervisor import TunnelSupervisor
from app.core.tunnels.targets import Resolved, resolve
from tests.conftest import AwsEnv
from tests.core.tunnel_helpers import Recorder, http_get, plugins_of, records_path
from tests.sandbox.fleet import LINUX_AMI
from tests.sandbox.services import free_port


@pytest.fixture
def sup(aws_env: AwsEnv, tmp_path: Path) -> Iterator[tuple[TunnelSupervisor, Recorder]]:
    supervisor = TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default())),
                                  records=records_path(tmp_path),
                                  policy=Policy(wake_check=3600))
    rec = Recorder()
    supervisor.subscribe(rec)
    supervisor.start()
    try:
        yield supervisor, rec
    finally:
        supervisor.close()
    assert plugins_of(os.getpid()) == []


def web(http_port: int, **kw: object) -> TunnelSpec:
    fields: dict[str, object] = {"name": "web", "profile": "default", "target": "web-1.prod",
                                 "remote_port": http_port, "local_port": free_port()}
    fields.update(kw)
    return TunnelSpec(**fields).validate()  # type: ignore[arg-type]


# --- the IPC request ------------------------------------------------------------------------


def test_ipc_requests_switch_saved_tunnels_and_say_what_went_wrong(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int, tmp_path: Path) -> None:
    supervisor, rec = sup
    book = TunnelBook(tmp_path / "tunnels.json")
    book.add(web(http_server, group="dev"))

    def select(names: Any, group: str | None) -> list[TunnelSpec]:
        return book.select(names, group)

    def ask(message: dict[str, Any]) -> dict[str, Any]:
        # Through JSON, as the socket carries it.
        return handle_request(supervisor, select, json.loads(json.dumps(message)))

    assert ask(request("status")) == {"ok": True, "tunnels": []}
    up = ask(request("up", group="dev"))
    assert up["ok"] is True
    [row] = up["tunnels"]
    assert (row["name"], row["state"]) == ("web", "starting")
    rec.wait_state(supervisor, "web", TunnelState.LISTENING)
    port = book.get("web").local_port
    assert http_get(port) == f"hello from {http_server} path=/\n".encode()
    [row] = ask(request("status"))["tunnels"]
    assert (row["name"], row["state"], row["local_port"]) == ("web", "listening", port)
    assert ask(request("up", ["nope"])) == {
        "ok": False,
        "error": "No tunnel is named 'nope'. See `gangway tunnel list` for the saved tunnels."}
    assert ask(request("down", group="prod")) == {
        "ok": False, "error": "No tunnel is in the group 'prod'. Give a group with "
                              "`gangway tunnel add ... --group G`."}
    assert ask({"cmd": "tunnels", "op": "restart"}) == {
        "ok": False, "error": "unknown tunnels operation 'restart'"}
    down = ask(request("down", ["web", "web"]))  # a name given twice is switched once
    assert [(r["name"], r["state"]) for r in down["tunnels"]] == [("web", "off")]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


# --- the team catalog -----------------------------------------------------------------------


def _ssm() -> Any:
    return boto3.Session(profile_name="default").client("ssm", region_name="us-east-1")


def test_a_catalog_path_that_is_one_parameter_names_its_tunnel(aws_env: AwsEnv) -> None:
    _ssm().put_parameter(Name="/cov/one-db", Type="String", Overwrite=True, Value=json.dumps(
        {"profile": "default", "target": "bastion", "remote_port": 5432}))
    source = CliCredentialSource(Paths.default())
    catalog = configured(source, TunnelSettings(catalog_path="/cov/one-db"))
    assert catalog.problems == []
    [tunnel] = catalog.tunnels
    assert (tunnel.name, tunnel.target, tunnel.remote_port, tunnel.shared) == (
        "one-db", "bastion", 5432, True)
    # A path with nothing under it and no parameter of that name: an empty catalog, no error.
    empty = configured(source, TunnelSettings(catalog_path="/cov/nothing-here"))
    assert (empty.tunnels, empty.problems) == ([], [])


@pytest.mark.parametrize("operation", ["GetParametersByPath", "GetParameter"])
def test_a_catalog_aws_refuses_is_one_problem_line(aws_env: AwsEnv, operation: str) -> None:
    aws_env.sandbox.control.fault_region("us-east-1", "AccessDeniedException", service="ssm",
                                         operation=operation, message="no catalog for you")
    catalog = configured(CliCredentialSource(Paths.default()),
                         TunnelSettings(catalog_path="/cov/denied", catalog_profile="default"))
    assert catalog.tunnels == []
    [problem] = catalog.problems
    assert problem.startswith("the team catalog could not be read: ")
    assert "no catalog for you" in problem


def test_catalog_parameters_that_are_not_tunnels_are_each_one_problem() -> None:
    catalog = parse_parameters([
        {"Name": "/t/broken", "Type": "String", "Value": "{not json"},
        {"Name": "/t/odd", "Type": "String", "Value": json.dumps({"tunnels": {"a": 1}})},
        {"Name": "/t/list", "Type": "String", "Value": json.dumps(["just a string"])},
        {"Name": "/t/ok", "Type": "String", "Value": json.dumps(
            {"profile": "ops", "target": "i-0123456789abcdef0", "remote_port": 22})},
    ])
    assert [s.name for s in catalog.tunnels] == ["ok"]
    assert catalog.problems == [
        "/t/broken: not JSON (Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1))",
        "/t/list: A tunnel entry is not an object. Each tunnel is a JSON object.",
        "/t/odd: `tunnels` is not a list",
    ]


# --- the target rule ------------------------------------------------------------------------


def _launch(tag: str, count: int = 1) -> list[str]:
    ec2 = boto3.Session(profile_name="default").client("ec2", region_name="us-east-1")
    reply = ec2.run_instances(ImageId=LINUX_AMI, MinCount=count, MaxCount=count,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                  {"Key": "Role", "Value": tag}]}])
    return [str(i["InstanceId"]) for i in reply["Instances"]]


def test_a_match_ssm_does_not_know_yet_is_skipped_not_fatal(aws_env: AwsEnv) -> None:
    known, fresh = _launch("cov-half", 2)  # the second one's agent has not registered
    aws_env.sandbox.control.register_node(known, tags={"Role": "cov-half"})
    way = route(CliCredentialSource(Paths.default()), "default", None)
    found = resolve(way, "tag:Role=cov-half")
    assert (found.instance_id, found.choice) == (known, "the only running match with a connected agent")
    assert fresh != known


def test_many_matches_are_read_across_pages(aws_env: AwsEnv) -> None:
    ids = _launch("cov-many", 12)  # SSM answers 10 nodes a page
    for instance_id in ids:
        aws_env.sandbox.control.register_node(instance_id, tags={"Role": "cov-many"})
    way = route(CliCredentialSource(Paths.default()), "default", None)
    found = resolve(way, "tag:Role=cov-many")
    assert found.choice == "newest of 12 running matches with a connected agent"
    assert found.instance_id in ids


def test_ssm_refusing_the_agent_check_is_the_error_shown(aws_env: AwsEnv) -> None:
    aws_env.sandbox.control.fault_region("us-east-1", "AccessDeniedException", service="ssm",
                                         operation="DescribeInstanceInformation",
                                         message="ssm:DescribeInstanceInformation denied")
    way = route(CliCredentialSource(Paths.default()), "default", None)
    with pytest.raises(AwsError, match="ssm:DescribeInstanceInformation denied"):
        resolve(way, "web-1.prod")


def test_an_old_agent_is_warned_about_for_a_remote_host(aws_env: AwsEnv) -> None:
    opener = SeamOpener(CliCredentialSource(Paths.default()))
    opened = opener.open(TunnelSpec(name="rh", profile="default", target="old-agent-ssh",
                                    remote_host="db.internal", remote_port=5432).validate())
    try:
        node = aws_env.sandbox.fleet.by_name("old-agent-ssh")
        assert opened.warning == (f"{node.instance_id} runs SSM Agent 2.3.612.0; forwarding "
                                  "to a remote host needs 3.1.1374.0 or later.")
    finally:
        opened.terminate()


@pytest.mark.parametrize(("version", "warning"), [
    ("", ""), ("3.x.1", ""), ("3.2.582.0", ""),
    ("3.0.196.0", "i-1 runs SSM Agent 3.0.196.0, which serves one connection at a time "
                  "(browsers stall): update the agent."),
])
def test_agent_versions_that_say_nothing_warn_of_nothing(version: str, warning: str) -> None:
    assert Resolved("i-1", "given by id", version).warning() == warning


# --- tunnel definitions ---------------------------------------------------------------------


def test_bind_and_templates_are_checked() -> None:
    assert TunnelSpec(name="a", profile="p", target="t", remote_port=1,
                      bind="localhost").validate().bind == "localhost"
    with pytest.raises(TunnelError, match="The bind address 'db-host' is not an IP address"):
        TunnelSpec(name="a", profile="p", target="t", remote_port=1, bind="db-host").validate()
    with pytest.raises(TunnelError, match="the open template or group has control characters"):
        TunnelSpec(name="a", profile="p", target="t", remote_port=1,
                   open="http://x\x1b]0;owned\x07/").validate()
    with pytest.raises(TunnelError, match="A tunnel entry is not an object"):
        TunnelSpec.from_json(["name", "a"])


# --- the supervisor's API, out of order -----------------------------------------------------


class Meddler:
    """An observer that breaks the rules: raises, and calls up() from the supervisor thread."""

    def __init__(self, sup: TunnelSupervisor, spec: TunnelSpec) -> None:
        self.sup, self.spec = sup, spec
        self.errors: list[BaseException] = []

    def tunnel_changed(self, status: TunnelStatus) -> None:
        try:
            self.sup.up(self.spec)
        except RuntimeError as exc:
            self.errors.append(exc)
            raise

    def tunnel_log(self, line: LogLine) -> None:
        raise ValueError("observer bug")


def test_observers_that_fail_do_not_stop_the_others(
        aws_env: AwsEnv, tmp_path: Path, http_server: int) -> None:
    supervisor = TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default())),
                                  policy=Policy(wake_check=3600))
    spec = web(http_server)
    meddler = Meddler(supervisor, spec)
    supervisor.subscribe(meddler)
    rec = Recorder()
    supervisor.subscribe(rec)
    try:
        assert supervisor.start() == []
        assert supervisor.start() == []  # already running: nothing more started
        supervisor.up(spec)
        rec.wait_state(supervisor, "web", TunnelState.LISTENING)
        assert meddler.errors
        assert str(meddler.errors[0]).startswith("up()/down() wait for the supervisor's loop")
        assert http_get(spec.local_port) == f"hello from {http_server} path=/\n".encode()
        assert any(ln.kind == "state" for ln in rec.lines)  # logs reached the good observer
    finally:
        supervisor.close()
    assert plugins_of(os.getpid()) == []


def test_up_again_down_reconnect_and_wake_in_any_order(
        sup: tuple[TunnelSupervisor, Recorder], http_server: int, aws_env: AwsEnv) -> None:
    supervisor, rec = sup
    spec = web(http_server)
    supervisor.up(spec)
    first = rec.wait_state(supervisor, "web", TunnelState.LISTENING)
    # The same spec again: nothing changes (same session, one plugin).
    assert supervisor.up(spec).session_id == first.session_id
    assert len(plugins_of(os.getpid())) == 1
    # A changed spec: off and on again on the new port; the old port is let go.
    moved = web(http_server, local_port=free_port())
    supervisor.up(moved)
    rec.wait(lambda: supervisor.status("web").state is TunnelState.LISTENING
             and supervisor.status("web").local_port == moved.local_port)
    assert http_get(moved.local_port) == f"hello from {http_server} path=/\n".encode()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", spec.local_port), timeout=5)
    # Unknown names and tunnels that are off: nothing happens, nothing fails.
    assert supervisor.down("nope") == TunnelStatus("nope")
    supervisor.reconnect("nope")
    supervisor.down("web")
    sessions = len(aws_env.sandbox.control.sessions())
    supervisor.reconnect("web")  # off: no new session
    assert supervisor.down("web").state is TunnelState.OFF  # runs after the reconnect
    assert len(aws_env.sandbox.control.sessions()) == sessions
    assert supervisor.failed() == []
    supervisor.close()
    supervisor.close()  # twice: nothing left to do
    supervisor.woke()  # closed: ignored
    supervisor.down_all()
    assert supervisor.status("web").state is TunnelState.OFF
