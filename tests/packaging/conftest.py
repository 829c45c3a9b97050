"""Tests of the built app (`make package` first). They run only when GANGWAY_FROZEN_APP names
the frozen executable, as .ci/run does after `make package`:

    GANGWAY_FROZEN_APP=dist/gangway/gangway .venv/bin/python -m pytest tests/packaging

Without it they are not collected: `make test` runs before anything is built.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FROZEN_ENV = "GANGWAY_FROZEN_APP"
collect_ignore_glob = [] if os.environ.get(FROZEN_ENV) else ["test_*.py"]


@pytest.fixture(scope="session")
def frozen_app() -> Path:
    path = Path(os.environ[FROZEN_ENV]).resolve()
    assert path.is_file() and os.access(path, os.X_OK), f"{FROZEN_ENV}={path} is not a program"
    return path


@pytest.fixture(scope="session")
def dist_dir(frozen_app: Path) -> Path:
    return frozen_app.parent.parent  # dist/gangway/gangway -> dist


def one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {dist}, found {found}"
    return found[0]
