"""Gangway: SSH, shells and tunnels over AWS Systems Manager Session Manager."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gangway")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

APP_NAME = "Gangway"
APP_ID = "gangway"
