"""Remote desktop over a tunnel: which RDP client, and the argv (or .rdp file) that opens it.

    plan = rdp_launch("127.0.0.1", 53389, system="Linux", files=paths.runtime_dir)
    procs.start_detached(plan.argv, start_new_session=True)

Windows: `mstsc /v:HOST:PORT`. macOS: an `.rdp` file (0600, no secrets: only the address)
opened with the default app (`open`), which is Microsoft's Windows App or Remote Desktop.
Linux: FreeRDP (`xfreerdp3`, then `xfreerdp`) or Remmina, whichever is installed. The host is
ours (a loopback address), never instance text, and every launch is an argv list.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import GangwayError
from app.core.procs import which
from app.core.store import atomic_write

RDP_PORT = 3389
LINUX_CLIENTS = ("xfreerdp3", "xfreerdp", "remmina")


class RdpClientMissing(GangwayError):
    """No RDP client is installed."""


@dataclass(frozen=True)
class RdpLaunch:
    argv: tuple[str, ...]
    client: str  # "mstsc", "xfreerdp", "remmina", "open"
    file: Path | None = None  # the .rdp file written for macOS


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def rdp_file_text(host: str, port: int) -> str:
    return (f"full address:s:{address(host, port)}\r\nprompt for credentials:i:1\r\n"
            "administrative session:i:0\r\n")


def rdp_launch(host: str, port: int, *, system: str | None = None,
               files: Path | None = None, name: str = "gangway",
               path: str | None = None) -> RdpLaunch:
    """The client and argv for this OS (`path`: a PATH to search instead of the process's)."""
    system = system or platform.system()
    where = address(host, port)
    if system == "Windows":
        return RdpLaunch(("mstsc", f"/v:{where}"), "mstsc")
    if system == "Darwin":
        if files is None:
            raise GangwayError("No folder to write the .rdp file in.", "This is a bug.")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:60] or "rdp"
        rdp = files / f"{safe}.rdp"
        atomic_write(rdp, rdp_file_text(host, port), make_backup=False)
        return RdpLaunch(("open", str(rdp)), "open", rdp)
    for client in LINUX_CLIENTS:
        found = which(client, path=path)
        if found is None:
            continue
        if client == "remmina":
            return RdpLaunch((str(found), "-c", f"rdp://{where}"), client)
        return RdpLaunch((str(found), f"/v:{where}", "/cert:tofu"), client)
    raise RdpClientMissing(
        "No RDP client was found (looked for xfreerdp3, xfreerdp and remmina).",
        f"Install FreeRDP or Remmina (Debian/Ubuntu: sudo apt install freerdp2-x11), or point "
        f"any RDP client at {where}: the tunnel is on.")
