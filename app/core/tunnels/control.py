"""The `{"cmd": "tunnels", ...}` IPC request, answered by whoever runs the supervisor.

`gangway tunnel up/down/status` send it to the running window; the window's handler runs
`handle_request` in a worker and sends back its reply:

    {"cmd": "tunnels", "op": "up", "names": ["db"], "group": null}
    -> {"ok": true, "tunnels": [<TunnelStatus.as_json()>, ...]}
    {"cmd": "tunnels", "op": "status"} -> {"ok": true, "tunnels": [...]}

Errors come back as `{"ok": false, "error": "<one line>"}`; a tunnel that failed to start is
not an error of the request: its row says "failed" with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.core.errors import GangwayError
from app.core.tunnels.spec import TunnelSpec
from app.core.tunnels.supervisor import TunnelSupervisor

CMD = "tunnels"

Selector = Callable[[Sequence[str], str | None], list[TunnelSpec]]


def request(op: str, names: Sequence[str] = (), group: str | None = None) -> dict[str, Any]:
    return {"cmd": CMD, "op": op, "names": list(names), "group": group}


def handle_request(supervisor: TunnelSupervisor, select: Selector,
                   message: dict[str, Any]) -> dict[str, Any]:
    """Do what `message` asks; `select(names, group)` finds the saved tunnels (book + catalog)."""
    op = message.get("op")
    names = [str(n) for n in message.get("names") or []]
    group = message.get("group")
    group = str(group) if group is not None else None
    try:
        if op == "status":
            return {"ok": True, "tunnels": [s.as_json() for s in supervisor.statuses()]}
        if op not in ("up", "down"):
            return {"ok": False, "error": f"unknown tunnels operation {op!r}"}
        specs = select(names, group)
        if op == "up":
            rows = [supervisor.up(spec).as_json() for spec in specs]
        else:
            rows = [supervisor.down(spec.name).as_json() for spec in specs]
        return {"ok": True, "tunnels": rows}
    except GangwayError as exc:
        return {"ok": False, "error": exc.one_line()}
