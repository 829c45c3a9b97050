"""Where Gangway keeps its files, from platformdirs.

`GANGWAY_HOME` overrides every location at once (portable mode, and how tests keep the
user's real directories out of reach); `for_root()` builds the same layout under any folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app import APP_ID


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
        runtime = Path(dirs.user_runtime_dir)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
            runtime_dir=runtime,
        )

    def ensure(self) -> Paths:
        """Create the directories, private to the user (0700)."""
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.runtime_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "gangway.log"
