"""Gangway: SSH, shells and tunnels over AWS Systems Manager Session Manager."""

from __future__ import annotations

APP_NAME = "Gangway"
APP_ID = "gangway"


def __getattr__(name: str) -> str:
    # Lazy: importlib.metadata scans site-packages (100+ ms), which `gangway credentials`
    # (run on every ssh connection) must not pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("gangway")
        except PackageNotFoundError:  # a source tree without an install
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'app' has no attribute {name!r}")
