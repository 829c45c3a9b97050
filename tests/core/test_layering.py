"""app.core must load no Qt: it is shared by the CLI (run under ssh) and the GUI."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import app.core

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(app.core.__path__, prefix="app.core.")
    )


def test_core_modules_exist() -> None:
    assert "app.core.errors" in core_modules()
    assert len(core_modules()) >= 8


def test_importing_every_core_module_loads_no_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'app.ui')))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""


def test_cli_version_loads_neither_qt_nor_boto3() -> None:
    code = (
        "import sys\n"
        "from app.__main__ import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'boto3', 'botocore'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout
    assert "gangway " in done.stdout
