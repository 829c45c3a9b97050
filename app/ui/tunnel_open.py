"""A tunnel's "open" action, shared by the Tunnels pane and the tray.

An http(s) template (`https://localhost:{port}/`) opens in the default browser; anything else
(`psql -h localhost -p {port} -U app`, or another scheme) is copied, never run: the template is
user text and a URL of another scheme could start any program. Without a template the local
address is copied. A tunnel that is off is switched on first and opened once `up()` returns:
its port is bound by then, and a connection that arrives while the session starts is held.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from app.core.tunnels.spec import TunnelSpec
from app.ui.bridges.tunnels import TunnelsBridge

_WEB = re.compile(r"^https?://", re.IGNORECASE)


def open_text(spec: TunnelSpec, port: int) -> str:
    host = f"[{spec.bind}]" if ":" in spec.bind else spec.bind
    return spec.open_text(port) if spec.open else f"{host}:{port}"


def opens_in_browser(spec: TunnelSpec) -> bool:
    return bool(spec.open) and bool(_WEB.match(spec.open))


def copy_tunnel(bridge: TunnelsBridge, name: str) -> str:
    """Copy the filled-in template (or the local address); returns what was copied."""
    spec = bridge.spec(name)
    if spec is None:
        return ""
    text = open_text(spec, bridge.status(name).local_port or spec.local_port)
    QGuiApplication.clipboard().setText(text)
    return text


def open_tunnel(bridge: TunnelsBridge, name: str) -> str:
    """Open (or copy) the tunnel, switching it on first; returns "opened URL", "copied TEXT",
    or "switching on" (it opens once its port is bound, so a browser is never refused)."""
    spec = bridge.spec(name)
    if spec is None:
        return ""
    if not bridge.status(name).state.is_on:
        task = bridge.switch(name, True)
        if task is not None:
            task.result.connect(lambda status: _open(spec, getattr(status, "local_port", 0)))
        return "switching on"
    return _open(spec, bridge.status(name).local_port)


def _open(spec: TunnelSpec, port: int) -> str:
    text = open_text(spec, port or spec.local_port)
    if opens_in_browser(spec):
        QDesktopServices.openUrl(QUrl(text))
        return f"opened {text}"
    QGuiApplication.clipboard().setText(text)
    return f"copied {text}"
