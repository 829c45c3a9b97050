"""The window's `{"cmd": "tunnels"}` IPC handler (`gangway tunnel up/down/status`).

Register it in application.py once the supervisor is a service:

    self.ipc.register("tunnels", tunnels_ipc_handler(supervisor, select, self.services.tasks))

The work (binding ports, stopping plugins) runs in a task; the reply goes back when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.tunnels.control import Selector, handle_request
from app.core.tunnels.supervisor import TunnelSupervisor

Reply = Callable[[dict[str, Any]], None]


def tunnels_ipc_handler(supervisor: TunnelSupervisor, select: Selector,
                        tasks: Any) -> Callable[[dict[str, Any], Reply], None]:
    def handle(message: dict[str, Any], reply: Reply) -> None:
        task = tasks.submit(handle_request, supervisor, select, dict(message),
                            name="ipc-tunnels")
        task.result.connect(reply)
        task.error.connect(lambda exc: reply({"ok": False, "error": str(exc)}))

    return handle
