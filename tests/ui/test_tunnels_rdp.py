""""Remote desktop" on a Windows instance: a saved tunnel to its 3389 and the RDP client.

The client here is a stand-in `xfreerdp` on PATH (a real program, found the way the real one
is) that connects to the address it was given, so the test proves the argv points at a live
tunnel: the sandbox maps the instance's 3389 to a real local server.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject

from app.core.actions import Action
from app.core.paths import Paths
from app.core.rdp import RDP_PORT
from app.core.secrets import MemoryStore
from app.core.tunnels.states import TunnelState
from app.ui.panes.tunnels_pane import TunnelsPane
from app.ui.services import Services, build_services
from tests.conftest import AwsEnv
from tests.core.tunnel_helpers import plugins_of, wait_until
from tests.ui.instances_factory import make_row

pytestmark = pytest.mark.linux_only

CLIENT = """#!{python}
import socket, sys
arg = next(a for a in sys.argv[1:] if a.startswith("/v:"))
host, port = arg[3:].rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=30) as s:
    s.sendall(b"GET /rdp HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
open({out!r}, "w").write(" ".join(sys.argv[1:]) + "\\n" + data.decode(errors="replace"))
"""


@pytest.fixture
def services(aws_env: AwsEnv, qtbot: Any) -> Iterator[Services]:
    owner = QObject()  # the services' parent: alive for the whole test
    built = build_services(Paths.default().ensure(), owner)
    built.credentials.store = MemoryStore()
    with qtbot.waitSignal(built.tunnel_view.specs_changed, timeout=20000):
        built.tunnel_view.start()
    try:
        yield built
    finally:
        built.stop()  # as on quit: observers off, supervisor closed, workers ended
        assert plugins_of(os.getpid()) == []


def test_remote_desktop_saves_a_3389_tunnel_and_starts_the_client_on_it(
        services: Services, qtbot: Any, aws_env: AwsEnv, http_server: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, out = tmp_path / "bin", tmp_path / "client.txt"
    bin_dir.mkdir()
    client = bin_dir / "xfreerdp"
    client.write_text(CLIENT.format(python=sys.executable, out=str(out)))
    client.chmod(client.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    node = aws_env.sandbox.fleet.by_name("win-1.prod")
    aws_env.sandbox.control.map_port(RDP_PORT, http_server, target=node.instance_id)
    row = dataclasses.replace(make_row("win-1.prod", platform="Windows"),
                              instance_id=node.instance_id)
    assert row.capabilities.can(Action.RDP)
    pane = TunnelsPane(services.tunnel_view, services.tasks, services.paths.runtime_dir)
    qtbot.addWidget(pane)
    with qtbot.waitSignal(pane.rdp_launched, timeout=30000) as launched:
        pane.remote_desktop(row, "default")
    plan = launched.args[0]
    spec = services.tunnel_view.book.get("rdp win-1.prod")
    assert (spec.target, spec.remote_port, spec.group) == (node.instance_id, RDP_PORT,
                                                           "Remote desktop")
    assert plan.argv == (str(client), f"/v:127.0.0.1:{spec.local_port}", "/cert:tofu")
    wait_until(lambda: out.exists() and "hello from" in out.read_text(), timeout=30)
    assert out.read_text().splitlines()[0] == f"/v:127.0.0.1:{spec.local_port} /cert:tofu"
    assert f"hello from {http_server} path=/rdp" in out.read_text()
    qtbot.waitUntil(lambda: pane.model.row_of("rdp win-1.prod") >= 0, timeout=20000)
    qtbot.waitUntil(lambda: services.tunnel_view.status("rdp win-1.prod").state
                    is TunnelState.LISTENING, timeout=20000)
