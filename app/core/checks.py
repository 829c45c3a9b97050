"""What a check found and how to fix it: value types shared by the doctor (local tools) and
the per-instance diagnosis (`aws/discovery/diagnose.py`), rendered by the CLI and the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    MISSING = "missing"


@dataclass(frozen=True)
class Fix:
    """A concrete way out: commands to paste (for this OS), links to read, an IAM statement
    to add. Commands are display text for a person, never run by Gangway."""

    commands: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    statement: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.commands or self.links or self.statement)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    hint: str
    essential: bool
    fix: Fix = field(default_factory=Fix)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
