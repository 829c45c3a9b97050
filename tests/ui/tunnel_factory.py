"""Tunnel specs and statuses for the UI tests, built with the real core types."""

from __future__ import annotations

from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.states import Problem, TunnelState, TunnelStatus

HOSTILE = "<b>x</b> $(touch /tmp/pwned)\t&amp; " + "n" * 40


def specs() -> list[TunnelSpec]:
    return [
        TunnelSpec("web", "default", "web-1.prod", 8080, local_port=18080, group="dev",
                   open="http://localhost:{port}/"),
        TunnelSpec("db", "default", "tag:Purpose=jumpbox", 5432, remote_host="db.internal",
                   local_port=15432, group="dev", open="psql -h localhost -p {port} -U app"),
        TunnelSpec("kibana", "default", "i-0123456789abcdef0", 5601, local_port=15601),
        TunnelSpec("grafana", "default", "web-2.prod", 3000, local_port=13000),
        TunnelSpec(HOSTILE[:60], "default", "tag:Role=<script>", 22, local_port=10022,
                   shared=True),
    ]


def statuses() -> dict[str, TunnelStatus]:
    busy = Problem("Local port 15432 is in use by postgres (pid 812).",
                   "Stop that program or use port 15433.", port_busy=True,
                   suggested_port=15433, holder="postgres (pid 812)")
    return {
        "web": TunnelStatus("web", TunnelState.LISTENING, local_port=18080, target="web-1.prod",
                            instance_id="i-0aaa", choice="newest of 2 running matches "
                            "with a connected agent", connections=2, last_event="connection accepted"),
        "db": TunnelStatus("db", TunnelState.FAILED, local_port=0, problem=busy,
                           last_event="port 15432 is busy"),
        "kibana": TunnelStatus("kibana", TunnelState.RECONNECTING, local_port=15601,
                               retry_in=4.0, attempt=2,
                               problem=Problem("The session ended: idle timeout.")),
        "grafana": TunnelStatus("grafana", TunnelState.IDLE, local_port=13000,
                                last_event="session s-1 ended: idle timeout"),
    }
