"""What the Instances pane asks discovery for: the region choices and the worker job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.core.aws.discovery.permissions import PermissionCache

DEFAULT_REGION = "Profile's region"
ALL_REGIONS = "All enabled regions"
KNOWN_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "me-south-1", "af-south-1",
)


def discover_job(factory: Callable[[], Any], regions: Sequence[str], all_regions: bool,
                  cache: PermissionCache, *, progress: Callable[[object], None],
                  cancel: Any) -> Any:
    """Runs on a worker: session, regions, then discovery streaming one region at a time."""
    from app.core.aws.discovery.inventory import discover, resolve_regions

    session = factory()
    chosen = resolve_regions(session, regions, all_regions)
    progress(("regions", chosen))
    return discover(session, chosen, progress=progress, cancel=cancel, permissions=cache)
