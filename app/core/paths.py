"""Where Gangway keeps its files, from platformdirs.

`GANGWAY_HOME` overrides every location at once (portable mode, and how tests keep the
user's real directories out of reach); `for_root()` builds the same layout under any folder.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app import APP_ID
from app.core.errors import InsecurePathError


def _quiet_runtime_dir(dirs: platformdirs.PlatformDirs) -> str:
    """platformdirs warns (RuntimeDirWarning) when XDG_RUNTIME_DIR is unset or unsafe; under
    ssh that warning lands on the user's terminal on every connection. Log it instead."""
    import logging
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = dirs.user_runtime_dir
    for warning in caught:
        logging.getLogger(__name__).info("runtime directory: %s", warning.message)
    return found


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    runtime_dir: Path

    @classmethod
    def for_root(cls, root: Path) -> Paths:
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            cache_dir=root / "cache",
            log_dir=root / "logs",
            runtime_dir=root / "run",
        )

    @classmethod
    def default(cls) -> Paths:
        override = os.environ.get("GANGWAY_HOME")
        if override:
            return cls.for_root(Path(override).expanduser())
        dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
        runtime = Path(_quiet_runtime_dir(dirs))
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
            runtime_dir=runtime,
        )

    def ensure(self) -> Paths:
        """Create the directories (0700) and check they are ours (InsecurePathError if not).

        The runtime directory (sockets, locks) must be private to the user; the others must
        be ours and writable by nobody else (their files are 0600 anyway)."""
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            private_dir(d, strict=False)
        private_dir(self.runtime_dir)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "gangway.log"


def private_dir(path: Path, *, strict: bool = True) -> Path:
    """Create `path` (0700) if missing, then check it is a real directory owned by this user
    and, with `strict`, closed to group and others (else: not writable by them).

    Raises InsecurePathError otherwise: a directory another local user created (or opened
    up) could hold their socket or files in place of ours. Nothing is chmod-ed behind the
    user's back. On Windows (no POSIX owners) only the creation happens.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if sys.platform == "win32":
        return path
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        raise InsecurePathError(path, "is not a directory (a symbolic link or a file)")
    if st.st_uid != os.geteuid():
        raise InsecurePathError(path, f"belongs to another user (uid {st.st_uid})")
    loose = stat.S_IMODE(st.st_mode) & (0o077 if strict else 0o022)
    if loose:
        raise InsecurePathError(
            path, f"is open to other users (mode {stat.S_IMODE(st.st_mode):04o}, "
            f"needs {'0700' if strict else 'no write for group or others'})")
    return path


def check_socket(path: Path) -> None:
    """An existing socket must be a socket and ours (InsecurePathError); absent is fine."""
    if sys.platform == "win32":
        return
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise InsecurePathError(path, "is not a socket")
    if st.st_uid != os.geteuid():
        raise InsecurePathError(path, f"belongs to another user (uid {st.st_uid})")
