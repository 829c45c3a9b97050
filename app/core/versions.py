"""Dotted version strings (SSM agent, plugin, CLI) as comparable tuples."""

from __future__ import annotations

import re


def parse_version(text: str) -> tuple[int, ...]:
    """'3.1.1374.0' -> (3, 1, 1374, 0); junk parts count as 0 so comparison never raises."""
    parts = re.findall(r"\d+", text or "")
    return tuple(int(p) for p in parts[:4]) if parts else (0,)


def at_least(version: str, minimum: str) -> bool:
    have, need = parse_version(version), parse_version(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))
