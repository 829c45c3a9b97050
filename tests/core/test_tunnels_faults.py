"""What goes wrong around a tunnel, driven from outside against the sandbox: ports that cannot
be bound, a far service that refuses or never answers, a plugin killed under a half-closed
request, big transfers to slow readers, a session that cannot be restarted, connections held
too long. Real sockets, the plugin stand-in, real TCP servers; nothing is mocked."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.aws.credentials.source import CliCredentialSource
from app.core.paths import Paths
from app.core.tunnels.live import Policy
from app.core.tunnels.opener import SeamOpener
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import TunnelState
from app.core.tunnels.supervisor import TunnelSupervisor
from tests.conftest import AwsEnv
from tests.core.tunnel_helpers import Recorder, http_get, plugins_of, records_path, wait_until
from tests.sandbox.services import free_port
from tests.sandbox.sshd import SshServer


class Far:
    """A TCP service "on the instance" (the sandbox maps instance port N to loopback N).

    `mode` "silent": reads to EOF and never answers (a stuck server); "echo-len": reads to
    EOF, then answers `got <n> bytes: <first 16>` and closes; "flood": sends `size` bytes,
    noting when a send has to wait. `after_first`: the mode of every later connection.
    """

    def __init__(self, mode: str, *, after_first: str | None = None, size: int = 0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.mode, self.after_first, self.size = mode, after_first, size
        self.accepted = 0
        self.got_eof = threading.Event()  # a connection's request is complete
        self._closed = threading.Event()
        self.stalled = threading.Event()  # "flood": the path is full back to this server
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            self.accepted += 1
            mode = self.mode if self.accepted == 1 or self.after_first is None \
                else self.after_first
            threading.Thread(target=self._one, args=(conn, mode), daemon=True).start()

    def _one(self, conn: socket.socket, mode: str) -> None:
        with contextlib.suppress(OSError):
            if mode == "flood":
                self._flood(conn)
                return
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            self.got_eof.set()
            if mode == "silent":
                self._closed.wait()  # holds the connection, never answers
            elif mode == "echo-len":
                conn.sendall(f"got {len(data)} bytes: ".encode() + data[:16])
            conn.close()

    def _flood(self, conn: socket.socket) -> None:
        """Send `size` bytes; `stalled` is set once a send waits (nobody reads downstream)."""
        block = memoryview(b"0123456789abcdef" * 4096)  # 64 KiB
        conn.settimeout(0.5)
        for _ in range(self.size // len(block)):
            view = block
            while view:
                try:
                    view = view[conn.send(view):]
                except TimeoutError:
                    self.stalled.set()
        conn.close()

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()


@pytest.fixture
def far() -> Iterator[list[Far]]:
    made: list[Far] = []
    yield made
    for f in made:
        f.close()


def _sup(tmp_path: Path, records: bool = True, **policy: object) -> TunnelSupervisor:
    fields: dict[str, object] = {"wake_check": 3600, "backoff_first": 0.1}
    fields.update(policy)
    return TunnelSupervisor(SeamOpener(CliCredentialSource(Paths.default())),
                            records=records_path(tmp_path) if records else None,
                            policy=Policy(**fields))  # type: ignore[arg-type]


@pytest.fixture
def made(aws_env: AwsEnv) -> Iterator[list[TunnelSupervisor]]:
    sups: list[TunnelSupervisor] = []
    yield sups
    for sup in sups:
        sup.close()
    assert plugins_of(os.getpid()) == []


def _started(made: list[TunnelSupervisor], sup: TunnelSupervisor) -> Recorder:
    rec = Recorder()
    sup.subscribe(rec)
    sup.start()
    made.append(sup)
    return rec


def spec(remote_port: int, **kw: object) -> TunnelSpec:
    fields: dict[str, object] = {"name": "t", "profile": "default", "target": "web-1.prod",
                                 "remote_port": remote_port, "local_port": free_port()}
    fields.update(kw)
    return TunnelSpec(**fields).validate()  # type: ignore[arg-type]


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


# --- the local port -------------------------------------------------------------------------


def test_a_port_bound_but_not_listening_is_busy_with_no_holder_named(
        tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    sup = _sup(tmp_path)
    _started(made, sup)
    squatter = socket.socket()  # bound, never listening: no LISTEN entry names its owner
    squatter.bind(("127.0.0.1", 0))
    port = squatter.getsockname()[1]
    try:
        status = sup.up(spec(80, local_port=port))
    finally:
        squatter.close()
    assert status.state is TunnelState.FAILED
    assert status.problem is not None
    assert status.problem.message == f"Port {port} on 127.0.0.1 is already in use."
    assert status.problem.holder == ""
    assert status.problem.port_busy


def test_no_free_port_nearby_says_pick_another(
        tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    sup = _sup(tmp_path)
    _started(made, sup)
    held: list[socket.socket] = []
    for port in range(65500, 65536):  # above Linux's ephemeral range: nobody else's
        with contextlib.suppress(OSError):  # already in use: busy all the same
            held.append(socket.create_server(("127.0.0.1", port)))
    try:
        status = sup.up(spec(80, local_port=65500))
    finally:
        for s in held:
            s.close()
    assert status.state is TunnelState.FAILED
    assert status.problem is not None and status.problem.suggested_port is None
    assert status.problem.hint == "Stop that program, or pick another local port."


@pytest.mark.parametrize(("bind", "message", "hint"), [
    ("192.0.2.1", "The address 192.0.2.1 is not one of this computer's.",
     "Use 127.0.0.1, or an address this computer has."),
    ("fe80::1", "Could not listen on fe80::1:{port}: Invalid argument.",
     "Pick another local port or bind address."),
])
def test_an_address_that_cannot_be_bound_is_worded(
        tmp_path: Path, made: list[TunnelSupervisor], bind: str, message: str,
        hint: str) -> None:
    sup = _sup(tmp_path)
    _started(made, sup)
    port = free_port()
    status = sup.up(spec(80, local_port=port, bind=bind))
    assert status.state is TunnelState.FAILED
    assert status.problem is not None
    assert (status.problem.message, status.problem.hint) == (message.format(port=port), hint)
    assert not status.problem.port_busy
    assert plugins_of(os.getpid()) == []  # nothing was started for it


# --- the far side ---------------------------------------------------------------------------


def test_nothing_listening_at_the_instance_closes_that_connection_only(
        tmp_path: Path, made: list[TunnelSupervisor], http_server: int) -> None:
    sup = _sup(tmp_path)
    rec = _started(made, sup)
    closed_port = free_port()  # nothing listens there "on the instance"
    t = spec(closed_port)
    sup.up(t)
    up = rec.wait_state(sup, "t", TunnelState.LISTENING)
    with socket.create_connection(("127.0.0.1", t.local_port), timeout=30) as conn:
        conn.sendall(b"hello?")
        assert _read_all(conn) == b""  # an orderly close, never a reset
    rec.wait(lambda: sup.status("t").last_event.startswith("a connection failed"))
    status = sup.status("t")
    assert status.last_event == ("a connection failed at the instance: Connection to "
                                 "destination port failed, check SSM Agent logs.")
    # The plugin lives on: the same session, still listening, nothing restarted.
    assert (status.state, status.session_id) == (TunnelState.LISTENING, up.session_id)
    assert not any("moving it" in ln.text for ln in sup.log("t"))


def test_a_request_sent_while_the_instance_refuses_is_closed_orderly_too(
        tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    """The bytes arrive while the relay holds the connection (the far port refused, the relay
    waits to see whether the plugin is dying): closing with them unread would be a reset."""
    sup = _sup(tmp_path)
    rec = _started(made, sup)
    t = spec(free_port())
    sup.up(t)
    rec.wait_state(sup, "t", TunnelState.LISTENING)
    with socket.create_connection(("127.0.0.1", t.local_port), timeout=30) as conn:
        rec.wait(lambda: sup.status("t").last_event.startswith("a connection failed"))
        conn.sendall(b"hello?")  # held, unread, when the relay gives up on this connection
        assert _read_all(conn) == b""


def test_a_plugin_killed_under_a_half_closed_request_moves_it_with_its_eof(
        tmp_path: Path, made: list[TunnelSupervisor], far: list[Far]) -> None:
    server = Far("silent", after_first="echo-len")
    far.append(server)
    sup = _sup(tmp_path, move_wait=30)  # however loaded the machine, its end is seen in time
    rec = _started(made, sup)
    t = spec(server.port)
    sup.up(t)
    first = rec.wait_state(sup, "t", TunnelState.LISTENING)
    conn = socket.create_connection(("127.0.0.1", t.local_port), timeout=30)
    with conn:
        conn.sendall(b"PING 123456789")
        conn.shutdown(socket.SHUT_WR)  # the request is complete: the far side may answer
        assert server.got_eof.wait(30)  # request and EOF reached the (silent) first server
        [plugin] = plugins_of(os.getpid())
        plugin.send_signal(signal.SIGKILL)  # dies before a byte came back
        # Moved to the next session: the bytes said again, and the EOF passed on, so the
        # second server (which answers at EOF) replies.
        assert _read_all(conn) == b"got 14 bytes: PING 123456789"
    assert server.accepted == 2
    assert sup.status("t").session_id not in ("", first.session_id)
    assert any("moving it to the next session" in ln.text for ln in sup.log("t"))


def test_a_big_upload_before_any_reply_arrives_whole(
        tmp_path: Path, made: list[TunnelSupervisor], far: list[Far]) -> None:
    server = Far("echo-len")
    far.append(server)
    sup = _sup(tmp_path)
    rec = _started(made, sup)
    t = spec(server.port)
    sup.up(t)
    rec.wait_state(sup, "t", TunnelState.LISTENING)
    body = b"U" * 300_000  # more than a moved connection may replay
    with socket.create_connection(("127.0.0.1", t.local_port), timeout=30) as conn:
        conn.sendall(body)
        conn.shutdown(socket.SHUT_WR)
        assert _read_all(conn) == b"got 300000 bytes: UUUUUUUUUUUUUUUU"


def test_a_reader_that_waits_pushes_back_to_the_far_server_and_gets_every_byte(
        tmp_path: Path, made: list[TunnelSupervisor], far: list[Far]) -> None:
    server = Far("flood", size=64 << 20)
    far.append(server)
    sup = _sup(tmp_path)
    rec = _started(made, sup)
    t = spec(server.port)
    sup.up(t)
    rec.wait_state(sup, "t", TunnelState.LISTENING)
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the relay must wait for it
    conn.settimeout(60)
    conn.connect(("127.0.0.1", t.local_port))
    with conn:
        # Nothing is read until the far server cannot send: Gangway held back (paused its
        # reading) instead of buffering 64 MiB in memory.
        assert server.stalled.wait(60)
        got = bytearray()
        while chunk := conn.recv(65536):
            got += chunk
    assert len(got) == 64 << 20
    assert got == b"0123456789abcdef" * (4 << 20)


# --- sessions that cannot start, connections held too long -----------------------------------


def test_without_reconnect_a_failed_restart_idles_and_the_client_is_let_go(
        aws_env: AwsEnv, tmp_path: Path, made: list[TunnelSupervisor],
        http_server: int) -> None:
    sup = _sup(tmp_path, reconnect=False)
    rec = _started(made, sup)
    t = spec(http_server)
    sup.up(t)
    rec.wait_state(sup, "t", TunnelState.LISTENING)
    aws_env.sandbox.control.fault_region("us-east-1", "AccessDeniedException", service="ssm",
                                         operation="StartSession",
                                         message="not allowed to start sessions")
    [plugin] = plugins_of(os.getpid())
    plugin.send_signal(signal.SIGKILL)
    idle = rec.wait_state(sup, "t", TunnelState.IDLE)  # no reconnect: waits for a client
    assert idle.problem is None and "ended" in idle.last_event
    with socket.create_connection(("127.0.0.1", t.local_port), timeout=30) as conn:
        assert _read_all(conn) == b""  # two failed starts: closed, not held forever
    status = sup.status("t")
    assert status.state is TunnelState.IDLE
    assert status.problem is not None and "not allowed to start sessions" in \
        status.problem.message
    assert status.attempt == 2 and status.held == 0
    aws_env.sandbox.control.clear_faults()
    assert http_get(t.local_port) == f"hello from {http_server} path=/\n".encode()


def test_a_connection_held_past_the_hold_timeout_is_closed(
        aws_env: AwsEnv, tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    aws_env.sandbox.control.hang_plugins(1)  # the first plugin never prints its port
    sup = _sup(tmp_path, records=False, hold_timeout=1.0, port_line_timeout=60)
    rec = _started(made, sup)
    t = spec(80)
    sup.up(t)
    with socket.create_connection(("127.0.0.1", t.local_port), timeout=30) as conn:
        rec.wait(lambda: sup.status("t").held == 1)
        assert _read_all(conn) == b""
    rec.wait(lambda: sup.status("t").held == 0 and sup.status("t").connections == 0)
    assert sup.status("t").state is TunnelState.STARTING  # still waiting on the hung plugin
    assert not records_path(tmp_path).exists()  # no records: none written


def test_switched_off_while_the_session_starts_leaves_no_session_open(
        aws_env: AwsEnv, tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    control = aws_env.sandbox.control
    control.set_latency(0.5)  # every AWS call is slow: off comes while they run
    sup = _sup(tmp_path)
    _started(made, sup)
    sup.up(spec(80))
    assert sup.down("t").state is TunnelState.OFF
    wait_until(lambda: [s["Status"] for s in control.sessions()] == ["Terminated"],
               timeout=60)
    assert plugins_of(os.getpid()) == []
    assert sup.status("t").state is TunnelState.OFF


def test_ssh_that_cannot_run_fails_the_tunnel_with_what_to_install(
        aws_env: AwsEnv, tmp_path: Path, made: list[TunnelSupervisor]) -> None:
    from app.core.tunnels.spec import Mode
    from app.core.tunnels.sshforward import SshSetup

    missing = tmp_path / "no-such-ssh"
    opener = SeamOpener(CliCredentialSource(Paths.default()), ssh=SshSetup(ssh=str(missing)))
    sup = TunnelSupervisor(opener, records=records_path(tmp_path),
                           policy=Policy(wake_check=3600, give_up_after=1))
    rec = _started(made, sup)
    sup.up(spec(80, mode=Mode.SSH, remote_host="127.0.0.1"))
    failed = rec.wait_state(sup, "t", TunnelState.FAILED)
    assert failed.problem is not None
    assert failed.problem.message.startswith(f"Could not run ssh: [Errno 2] No such file or "
                                             f"directory: '{missing}'")
    assert failed.problem.hint == "Install the OpenSSH client (`ssh`)."


@pytest.mark.linux_only
@pytest.mark.needs_program("ssh")
def test_ssh_l_to_a_closed_far_port_fails_that_connection_only(
        aws_env: AwsEnv, sshd: SshServer, tmp_path: Path,
        made: list[TunnelSupervisor]) -> None:
    from app.core.tunnels.spec import Mode
    from app.core.tunnels.sshforward import SshSetup
    from tests.core.test_tunnels_ssh import GANGWAY, supervisor_for, user_config

    sup = supervisor_for(SshSetup(gangway=GANGWAY, base=user_config(tmp_path, sshd)), tmp_path)
    rec = _started(made, sup)
    sup.up(spec(free_port(), mode=Mode.SSH, remote_host="127.0.0.1"))
    up = rec.wait_state(sup, "t", TunnelState.LISTENING, timeout=60)
    with socket.create_connection(("127.0.0.1", up.local_port), timeout=30) as conn:
        assert _read_all(conn) == b""
    rec.wait(lambda: sup.status("t").last_event.startswith("a connection failed at the far end"))
    status = sup.status("t")
    assert status.last_event.endswith("open failed: connect failed: Connection refused")
    assert status.state is TunnelState.LISTENING  # ssh lives on for the next connection
