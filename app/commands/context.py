"""What every verb shares: where Gangway's files are, and where credentials come from.

Built on first use, once per process, so a verb that needs neither pays for neither.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.aws.credentials.source import CliCredentialSource
    from app.core.aws.sessions.history import SessionHistory
    from app.core.paths import Paths


@functools.cache
def paths() -> Paths:
    """Gangway's folders, created if needed and checked to be the user's own."""
    from app.core.paths import Paths

    return Paths.default().ensure()


@functools.cache
def source() -> CliCredentialSource:
    """Credentials for CLI verbs: keyring cache -> the running window -> our own dialog."""
    from app.core.aws.credentials.source import CliCredentialSource

    return CliCredentialSource(paths())


def history() -> SessionHistory:
    from app.core.aws.sessions.history import SessionHistory

    return SessionHistory(paths().data_dir)
