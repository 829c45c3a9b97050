"""What the Instances pane asks discovery for: the worker job (the region choices are the
frame's, instances_frame.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.core.aws.discovery.permissions import PermissionCache


def discover_job(factory: Callable[[], Any], regions: Sequence[str], all_regions: bool,
                  cache: PermissionCache, *, progress: Callable[[object], None],
                  cancel: Any) -> Any:
    """Runs on a worker: session, regions, then discovery streaming one region at a time."""
    from app.core.aws.discovery.inventory import discover, resolve_regions

    session = factory()
    chosen = resolve_regions(session, regions, all_regions)
    progress(("regions", chosen))
    return discover(session, chosen, progress=progress, cancel=cancel, permissions=cache)
