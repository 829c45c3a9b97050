"""Screenshot scenes of the Tunnels pane, its editor and the tray's tunnels section.

Registered with `scripts/screenshots.py` (listed in its SCENE_MODULES). The tunnels are real:
saved in the book, switched on through the window's supervisor against the sandbox, so the
states shown are the supervisor's own: listening (a real HTTP server behind it), idle (the
service's idle timeout closed its session), reconnecting (its instance cannot be reached),
failed (its local port is taken, with the holder and a free port named), and off.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
from typing import TYPE_CHECKING, Any

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.ui.panes.tunnels_pane import TunnelsPane

HOSTILE = "<b>prod</b> $(rm -rf ~) & `id` " + "very-long-tunnel-name-" * 3
_state: dict[str, Any] = {}
_stack = contextlib.ExitStack()


def _pane(ctx: Ctx) -> TunnelsPane:
    ctx.app.show_window()
    ctx.app.window.show_pane("Tunnels")
    pane = ctx.app.panes.tunnels
    pane.set_profiles(["default", "prod", "mfa"])
    return pane


def _reload(ctx: Ctx) -> None:
    bridge = ctx.app.services.tunnel_view
    done: list[bool] = []
    bridge.specs_changed.connect(lambda: done.append(True))
    bridge.reload()
    ctx.wait_until(lambda: bool(done), 20)


def _wait_state(ctx: Ctx, name: str, states: tuple[str, ...], timeout: float = 30) -> None:
    bridge = ctx.app.services.tunnel_view
    if not ctx.wait_until(lambda: bridge.status(name).state.value in states, timeout):
        ctx.notes.append(f"tunnels: {name} is {bridge.status(name).state.value}, wanted "
                         f"{'/'.join(states)}")


def _mixed(ctx: Ctx) -> None:
    """Save and switch on tunnels in every state (once)."""
    if _state.get("mixed"):
        return
    from app.core.tunnels.spec import TunnelSpec
    from tests.sandbox.services import free_port, running_http

    bridge = ctx.app.services.tunnel_view
    book, control = bridge.book, ctx.sandbox.control
    http = _stack.enter_context(running_http())
    # Stopped at exit even when the last scene (which stops it) was not run: a server thread
    # left for the interpreter's final collection would hang it.
    atexit.register(_finish_helpers)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    _state["holder"] = holder
    busy = holder.getsockname()[1]
    web = ctx.sandbox.fleet.by_name("web-1.prod")
    control.map_port(8080, http, target=web.instance_id)
    control.map_port(3000, http)
    specs = [
        TunnelSpec("kibana", "default", "web-1.prod", 8080, local_port=free_port(),
                   group="prod", open="http://localhost:{port}/"),
        TunnelSpec("orders-db", "default", "tag:Purpose=jumpbox", 5432,
                   remote_host="orders.cluster-abc123.eu-west-1.rds.amazonaws.com",
                   local_port=busy, group="prod", open="psql -h localhost -p {port} -U app"),
        TunnelSpec("grafana", "default", "web-1.prod", 3000, local_port=free_port(),
                   group="staging", open="http://localhost:{port}/"),
        TunnelSpec("legacy-admin", "default", "tag:Role=retired-admin", 8443,
                   local_port=free_port(), group="staging"),
        TunnelSpec("redis", "default", "bastion", 6379, remote_host="cache.internal",
                   local_port=free_port()),
        TunnelSpec(HOSTILE[:64].strip(), "default", "tag:Name=<img src=x onerror=alert(1)>",
                   22, local_port=free_port()),
    ]
    for spec in specs:
        book.add(spec, replace=True)
    _reload(ctx)
    # Idle: the service's idle timeout closes grafana's session; it waits for a connection.
    control.set_idle_timeout(1.0)
    bridge.switch("grafana", True)
    _wait_state(ctx, "grafana", ("idle",), 40)
    control.set_idle_timeout(None)
    bridge.switch("kibana", True)
    bridge.switch("orders-db", True)
    bridge.switch("legacy-admin", True)
    _wait_state(ctx, "kibana", ("listening",))
    _wait_state(ctx, "orders-db", ("failed",))
    _wait_state(ctx, "legacy-admin", ("reconnecting", "failed"))
    kibana = bridge.spec("kibana")
    port = kibana.local_port if kibana is not None else 0
    # A connection, so the log and the counts have something to show.
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.recv(1000)
    ctx.settle(600)
    _state["mixed"] = True


@scene("tunnels-pane-empty")
def tunnels_empty(ctx: Ctx) -> QWidget:
    pane = _pane(ctx)
    ctx.settle(300)
    if pane.model.rowCount():
        ctx.notes.append("tunnels: the empty pane already had tunnels")
    return ctx.app.window


@scene("tunnels-pane-mixed")
def tunnels_mixed(ctx: Ctx) -> QWidget:
    _mixed(ctx)
    pane = _pane(ctx)
    pane.select("orders-db")
    ctx.settle(400)
    return ctx.app.window


@scene("tunnels-pane-listening")
def tunnels_listening(ctx: Ctx) -> QWidget:
    _mixed(ctx)
    pane = _pane(ctx)
    pane.select("kibana")
    ctx.settle(400)
    return ctx.app.window


@scene("tunnels-pane-reconnecting")
def tunnels_reconnecting(ctx: Ctx) -> QWidget:
    _mixed(ctx)
    pane = _pane(ctx)
    pane.select("legacy-admin")
    ctx.settle(400)
    return ctx.app.window


@scene("tunnels-editor-errors")
def tunnels_editor_errors(ctx: Ctx) -> QWidget:
    _mixed(ctx)
    pane = _pane(ctx)
    editor = pane.open_editor(None)
    editor.name.setText("kibana")
    editor.profile.setCurrentText("nope")
    editor.target.setText("tag:Role")
    editor.remote_port.setText("70000")
    editor.fixed.setChecked(True)
    editor.local_port.setText("443")
    editor.bind.setText("everywhere")
    editor.open_template.setText("https://localhost/")
    editor.try_save()
    ctx.settle(400)
    _state["editor"] = editor
    return editor


@scene("tunnels-editor-forward")
def tunnels_editor_forward(ctx: Ctx) -> QWidget:
    from app.core.actions import Action

    old = _state.pop("editor", None)
    if old is not None:
        old.reject()
    pane = _pane(ctx)
    instances = ctx.app.panes.instances
    if instances.model.rowCount() == 0:
        if not instances.profile:
            instances.set_profiles(["default"])
        instances.refresh()
        ctx.wait_until(lambda: not instances.busy and instances.model.rowCount() > 0, 30)
    row = next((r for r in instances.model.rows if r.name == "bastion"), None)
    if row is None:
        ctx.notes.append("tunnels: no bastion row to forward from")
        return pane
    instances.action_requested.emit(Action.REMOTE_PORT_FORWARD.value, row)
    ctx.settle(400)
    editor = pane.editor
    assert editor is not None
    editor.remote_host.setText("orders.cluster-abc123.eu-west-1.rds.amazonaws.com")
    editor.remote_port.setText("5432")
    editor.refresh()
    ctx.settle(300)
    _state["editor"] = editor
    return editor


@scene("tunnels-editor-ssh")
def tunnels_editor_ssh(ctx: Ctx) -> QWidget:
    """The editor in ssh -L mode: remote host and SSH user rows, the note, a bad user."""
    from app.core.tunnels.spec import Mode

    old = _state.pop("editor", None)
    if old is not None:
        old.reject()
    pane = _pane(ctx)
    editor = pane.open_editor(None)
    editor.name.setText("orders-db-over-ssh")
    editor.target.setText("tag:Role=bastion")
    editor.mode.setCurrentIndex(editor.mode.findData(Mode.SSH))
    editor.remote_host.setText("10.0.12.7")
    editor.remote_port.setText("5432")
    editor.ssh_user.setText("-oProxyCommand=sh")
    editor.open_template.setText("psql -h localhost -p {port} -U app")
    editor.try_save()
    ctx.settle(400)
    _state["editor"] = editor
    return editor


@scene("tunnels-tray-menu")
def tunnels_tray_menu(ctx: Ctx) -> QWidget:
    from PySide6.QtWidgets import QMenu

    from app.ui.tray import tunnels_section

    old = _state.pop("editor", None)
    if old is not None:
        old.reject()
    _mixed(ctx)
    tray = ctx.app.tray
    if tray is not None:
        menu = tray.menu
        tray.rebuild()
    else:  # no tray host on this display: the same section in a plain menu
        ctx.notes.append("tunnels: no system tray; the tunnels section is shown in a menu")
        bridge = ctx.app.services.tunnel_view
        menu = QMenu()
        tunnels_section(bridge, lambda _n: None)(menu)
        _state["menu"] = menu
    menu.popup(ctx.app.window.geometry().center())
    ctx.settle(500)
    return menu


@scene("tunnels-tray-icon-failed")
def tunnels_tray_icon(ctx: Ctx) -> None:
    from PySide6.QtGui import QPixmap

    from app.ui.resources import tray_icon

    menu = ctx.app.tray.menu if ctx.app.tray is not None else _state.get("menu")
    if menu is not None:
        menu.hide()
    sheet = QPixmap(200, 64)
    sheet.fill(ctx.app.palette().window().color())
    from PySide6.QtGui import QPainter

    painter = QPainter(sheet)
    for i, (state, size) in enumerate((("normal", 22), ("failed", 22), ("normal", 48),
                                       ("failed", 48))):
        painter.drawPixmap(8 + i * 48, 8, tray_icon(state).pixmap(size, size))
    painter.end()
    sheet.save(str(ctx.out / "tunnels-tray-icon-failed.png"))
    if ctx.app.tray is not None and ctx.app.tray.state != "failed":
        ctx.notes.append(f"tunnels: tray state is {ctx.app.tray.state} with a failed tunnel")
    ctx.save_screen("tunnels-desktop-tray-failed")


@scene("tunnels-pane-dark")
def tunnels_dark(ctx: Ctx) -> None:
    """A Tunnels pane built under a complete dark palette, as a dark desktop would give it
    (stylesheets' palette() colours are fixed when a widget is first polished)."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from app.ui.panes.tunnels_pane import TunnelsPane

    _mixed(ctx)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = app.palette()
    dark = QPalette()
    roles = {"Window": "#1f2125", "WindowText": "#e6e6e6", "Base": "#16181b",
             "AlternateBase": "#23262b", "Text": "#e6e6e6", "Button": "#2a2d33",
             "ButtonText": "#e6e6e6", "BrightText": "#ffffff", "Highlight": "#3d8ee6",
             "HighlightedText": "#ffffff", "PlaceholderText": "#8a8f98", "Light": "#3a3e45",
             "Midlight": "#30333a", "Mid": "#26292e", "Dark": "#121316", "Shadow": "#000000",
             "ToolTipBase": "#2a2d33", "ToolTipText": "#e6e6e6", "Link": "#6cb4ff"}
    for name, colour in roles.items():
        dark.setColor(getattr(QPalette.ColorRole, name), QColor(colour))
    app.setPalette(dark)
    s = ctx.app.services
    pane = TunnelsPane(s.tunnel_view, s.tasks, s.paths.runtime_dir)
    pane.resize(1100, 640)
    pane.show()
    pane.select("orders-db")
    ctx.settle(500)
    ctx.save(pane, "tunnels-pane-dark")
    pane.close()
    app.setPalette(saved)
    ctx.settle(200)
    _finish(ctx)


def _finish(ctx: Ctx) -> None:
    """Switch the scene's tunnels off and stop its helpers (the app's shutdown would too)."""
    ctx.app.services.tunnels.down_all()
    _finish_helpers()


def _finish_helpers() -> None:
    holder = _state.pop("holder", None)
    if holder is not None:
        holder.close()
    _stack.close()
