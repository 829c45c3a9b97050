"""`selfcmd.command()` in each situation it tells apart: an installer's launcher, a frozen
build (what PyInstaller's bootloader sets: `sys.frozen`, `sys.executable`), a virtualenv's
console script (POSIX `bin/`, Windows `Scripts/`), a bare interpreter; and the helper modules'
argv. Real files under tmp_path; no app module is touched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.core import selfcmd

SCRIPT = "gangway.exe" if os.name == "nt" else "gangway"  # the console script's name


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An interpreter with no `gangway` script beside it, no launcher, not frozen."""
    python = _exe(tmp_path / "py" / "bin" / "python3")
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.delenv(selfcmd.LAUNCHER_ENV, raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    return python


def test_a_bare_interpreter_runs_the_package(bare: Path) -> None:
    assert selfcmd.command() == [str(bare), "-m", "app"]
    assert selfcmd.module_command("app.ui.mfa_dialog", "--mfa-dialog") == [
        str(bare), "-m", "app.ui.mfa_dialog"]


def test_a_windows_style_scripts_folder_is_found(bare: Path) -> None:
    script = _exe(bare.parent / "Scripts" / SCRIPT)
    assert selfcmd.command() == [str(script)]


def test_the_installers_launcher_comes_first(bare: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _exe(bare.parent / SCRIPT)  # a console script too: the launcher still wins
    launcher = _exe(tmp_path / "usr" / "bin" / "gangway")
    monkeypatch.setenv(selfcmd.LAUNCHER_ENV, str(launcher))
    assert selfcmd.command() == [str(launcher)]
    monkeypatch.setenv(selfcmd.LAUNCHER_ENV, str(tmp_path / "uninstalled" / "gangway"))
    assert selfcmd.command() == [str(bare.parent / SCRIPT)]  # a stale setting is ignored


def test_a_frozen_build_names_itself_and_its_verbs(bare: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _exe(tmp_path / "Downloads" / "gangway-0.3.0" / "gangway")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert selfcmd.frozen()
    assert selfcmd.command() == [str(exe)]  # not installed anywhere: itself
    assert selfcmd.module_command("app.core.watchdog", "--owned-child-watchdog") == [
        str(exe), "--owned-child-watchdog"]


def test_windows_candidates_include_program_files(tmp_path: Path) -> None:
    found = selfcmd.stable_candidates("Windows", {"LOCALAPPDATA": r"C:\Users\a\AppData\Local",
                                                  "ProgramFiles": r"C:\Program Files"})
    assert found == [Path(r"C:\Users\a\AppData\Local") / "Programs" / "Gangway" / "gangway.exe",
                     Path(r"C:\Program Files") / "Gangway" / "gangway.exe"]


def test_a_transient_copy_takes_the_first_installed_gangway(tmp_path: Path) -> None:
    inner = Path("Gangway.app") / "Contents" / "MacOS" / "gangway"
    translocated = tmp_path / "var" / "AppTranslocation" / "ABCD" / "d" / inner
    missing = tmp_path / "Applications" / inner
    assert selfcmd.installed_executable(translocated, [missing]) == translocated  # none: itself
    home_copy = _exe(tmp_path / "home" / "Applications" / inner)
    assert selfcmd.installed_executable(translocated, [missing, home_copy]) == home_copy
