"""Gangway does not bundle the session-manager-plugin, so the doctor names AWS's installer for
this OS and CPU, and on Debian/Ubuntu the exact commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.doctor import PLUGIN_GUIDE, _os_release, plugin_install_hint

UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'
BASE = "https://s3.amazonaws.com/session-manager-downloads/plugin/latest"


def _release(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "os-release"
    path.write_text(text)
    return _os_release(str(path))


@pytest.mark.parametrize(("text", "machine", "folder"), [
    (UBUNTU, "x86_64", "ubuntu_64bit"), (UBUNTU, "aarch64", "ubuntu_arm64"),
    (MINT, "x86_64", "ubuntu_64bit"),
])
def test_debian_family_gets_the_exact_commands(tmp_path: Path, text: str, machine: str,
                                               folder: str) -> None:
    hint = plugin_install_hint("Linux", machine, _release(tmp_path, text))
    url = f"{BASE}/{folder}/session-manager-plugin.deb"
    assert f"`curl -fLo /tmp/session-manager-plugin.deb {url}`" in hint
    assert "`sudo apt-get install /tmp/session-manager-plugin.deb`" in hint
    assert PLUGIN_GUIDE in hint


def test_other_linux_gets_the_rpm(tmp_path: Path) -> None:
    hint = plugin_install_hint("Linux", "x86_64", _release(tmp_path, FEDORA))
    assert f"{BASE}/linux_64bit/session-manager-plugin.rpm" in hint and "apt-get" not in hint
    assert plugin_install_hint("Linux", "x86_64", _release(tmp_path, "")) == hint


def test_macos_and_windows_get_the_official_installers() -> None:
    assert f"{BASE}/mac_arm64/session-manager-plugin.pkg" in plugin_install_hint("Darwin", "arm64")
    assert f"{BASE}/mac/session-manager-plugin.pkg" in plugin_install_hint("Darwin", "x86_64")
    win = plugin_install_hint("Windows", "AMD64")
    assert f"{BASE}/windows/SessionManagerPluginSetup.exe" in win and PLUGIN_GUIDE in win


def test_missing_file_is_no_release(tmp_path: Path) -> None:
    assert _os_release(str(tmp_path / "absent")) == {}


@pytest.mark.linux_only
def test_doctor_without_the_plugin_prints_this_machines_hint(tmp_path: Path) -> None:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "GANGWAY_HOME": str(tmp_path / "gw")}
    if any(Path(p, "session-manager-plugin").exists()
           for p in ("/usr/bin", "/bin", "/usr/local/bin", "/usr/local/sessionmanagerplugin/bin")):
        pytest.skip("a real session-manager-plugin is installed on this machine")
    done = subprocess.run([sys.executable, "-m", "app", "doctor"], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert "session-manager-plugin" in done.stdout and "not found" in done.stdout
    assert PLUGIN_GUIDE in done.stdout
    if os.path.exists("/etc/debian_version"):
        assert "sudo apt-get install /tmp/session-manager-plugin.deb" in done.stdout
