"""Which RDP client opens a tunnel, per OS, as an argv list (never a shell string)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.core.rdp import RdpClientMissing, rdp_file_text, rdp_launch


def program(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_linux_prefers_freerdp_then_remmina_whichever_exists(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    remmina = program(bin_dir, "remmina")
    plan = rdp_launch("127.0.0.1", 53389, system="Linux", path=str(bin_dir))
    assert plan.argv == (str(remmina), "-c", "rdp://127.0.0.1:53389")
    xfreerdp = program(bin_dir, "xfreerdp")
    plan = rdp_launch("127.0.0.1", 53389, system="Linux", path=str(bin_dir))
    assert plan.argv == (str(xfreerdp), "/v:127.0.0.1:53389", "/cert:tofu")
    assert plan.client == "xfreerdp"


def test_linux_without_a_client_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(RdpClientMissing) as err:
        rdp_launch("127.0.0.1", 53389, system="Linux", path=str(tmp_path))
    assert "xfreerdp" in err.value.message and "127.0.0.1:53389" in err.value.hint


def test_windows_runs_mstsc_and_macos_opens_a_private_rdp_file(tmp_path: Path) -> None:
    assert rdp_launch("127.0.0.1", 3390, system="Windows").argv == ("mstsc", "/v:127.0.0.1:3390")
    plan = rdp_launch("::1", 3390, system="Darwin", files=tmp_path, name="rdp win/../$(x)")
    assert plan.argv[0] == "open" and plan.file is not None
    assert plan.file.parent == tmp_path and plan.file.name == "rdp-win-..---x-.rdp"
    assert plan.file.read_bytes() == rdp_file_text("::1", 3390).encode()
    assert "full address:s:[::1]:3390" in plan.file.read_text()
    assert stat.S_IMODE(os.stat(plan.file).st_mode) == 0o600
