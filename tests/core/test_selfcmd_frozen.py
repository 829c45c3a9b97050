"""The frozen branch of selfcmd: lines in ~/.ssh/config and ~/.aws/config must name the
installed launcher (stable across upgrades), never a versioned folder or a transient copy.

Real files and symlinks laid out the way each installer lays them out, under tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.selfcmd import installed_executable, stable_candidates


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF stand-in")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_deb_layout_names_the_bin_symlink_not_the_lib_folder(tmp_path: Path) -> None:
    real = _exe(tmp_path / "usr" / "lib" / "gangway" / "gangway")
    link = tmp_path / "usr" / "bin" / "gangway"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    assert installed_executable(real, [link]) == link


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_tarball_install_links_from_local_bin(tmp_path: Path) -> None:
    home = tmp_path / "home"
    real = _exe(home / ".local" / "lib" / "gangway" / "gangway")
    link = home / ".local" / "bin" / "gangway"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    candidates = stable_candidates("Linux", {"HOME": str(home)})
    assert candidates[-1] == link
    assert installed_executable(real, candidates) == link


def test_an_unrelated_launcher_is_not_taken(tmp_path: Path) -> None:
    # An older unpacked copy somewhere: ours is not installed, so name ourselves.
    mine = _exe(tmp_path / "Downloads" / "gangway-0.2.0" / "gangway")
    other = _exe(tmp_path / "bin" / "gangway")
    assert installed_executable(mine, [other]) == mine


def test_windows_gui_twin_gives_the_console_exe(tmp_path: Path) -> None:
    install = tmp_path / "AppData" / "Local" / "Programs" / "Gangway"
    console = _exe(install / "gangway.exe")
    gui = _exe(install / "gangwayw.exe")
    candidates = stable_candidates("Windows", {"LOCALAPPDATA": str(tmp_path / "AppData" / "Local"),
                                               "HOME": str(tmp_path)})
    assert candidates[0] == console
    assert installed_executable(gui, candidates) == console


def test_windows_portable_copy_names_itself(tmp_path: Path) -> None:
    exe = _exe(tmp_path / "usb" / "Gangway" / "gangway.exe")
    candidates = stable_candidates("Windows", {"LOCALAPPDATA": str(tmp_path / "none")})
    assert installed_executable(exe, candidates) == exe


def test_macos_translocated_copy_gives_way_to_applications(tmp_path: Path) -> None:
    inner = Path("Gangway.app") / "Contents" / "MacOS" / "gangway"
    installed = _exe(tmp_path / "Applications" / inner)
    translocated = Path("/private/var/folders/x/AppTranslocation/1234/d") / inner
    assert installed_executable(translocated, [installed]) == installed
    from_dmg = Path("/Volumes/Gangway 0.1.0") / inner
    assert installed_executable(from_dmg, [installed]) == installed


def test_macos_candidates_are_the_app_bundles_executable(tmp_path: Path) -> None:
    found = stable_candidates("Darwin", {"HOME": str(tmp_path)})
    assert found[0] == Path("/Applications/Gangway.app/Contents/MacOS/gangway")
    assert found[1] == tmp_path / "Applications" / "Gangway.app" / "Contents" / "MacOS" / "gangway"
