"""The last inventory of every profile, on disk, so quick connect is instant at start.

One JSON file (0600, atomic write through JsonStore) in the data directory:
`{"profiles": {NAME: {"time": epoch, "rows": [row, ...]}}}`. Rows come back as InstanceRows
with their capabilities recomputed from the stored facts (the verdict included), so a row
from the cache refuses what the live row would refuse. A broken or foreign file means an
empty cache, never an error at start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.aws.discovery.permissions import Access, Permission
from app.core.aws.discovery.rows import InstanceRow, finish
from app.core.store import JsonStore

log = logging.getLogger(__name__)
FILE = "inventory-cache.json"
_TEXT_FIELDS = ("instance_id", "name", "region", "az", "state", "platform", "platform_name",
                "private_ip", "private_dns", "public_ip", "ping_status", "agent_version",
                "resource_type")


@dataclass(frozen=True)
class Cached:
    profile: str
    time: float
    rows: tuple[InstanceRow, ...]

    def age(self, now: float | None = None) -> float:
        return (now if now is not None else time.time()) - self.time


def _row_doc(row: InstanceRow) -> dict[str, Any]:
    doc: dict[str, Any] = {name: getattr(row, name) for name in _TEXT_FIELDS}
    doc["managed"] = row.managed
    doc["tags"] = [list(t) for t in row.tags]
    doc["permission"] = [row.permission.access.value, row.permission.reason]
    return doc


def _row(doc: Mapping[str, Any]) -> InstanceRow | None:
    try:
        texts = {name: str(doc.get(name, "")) for name in _TEXT_FIELDS}
        if not texts["instance_id"] or not texts["region"]:
            return None
        tags = tuple((str(k), str(v)) for k, v in doc.get("tags", []))
        access, reason = doc.get("permission", ["unknown", "not checked"])
        row = InstanceRow(**texts, managed=bool(doc.get("managed")), tags=tags)  # type: ignore[arg-type]
        return finish(row, Permission(Access(access), str(reason)))
    except (TypeError, ValueError) as exc:
        log.debug("inventory cache: skipped a row (%s)", exc)
        return None


class InventoryCache:
    """Thread-safe: discovery results are written from workers."""

    def __init__(self, data_dir: Path) -> None:
        self.store = JsonStore(data_dir / FILE)
        self._lock = threading.Lock()

    def _doc(self) -> dict[str, Any]:
        try:
            doc = self.store.load()
        except (OSError, ValueError) as exc:
            log.warning("inventory cache unreadable (%s); starting empty", exc)
            return {}
        profiles = doc.get("profiles")
        return profiles if isinstance(profiles, dict) else {}

    def load(self) -> dict[str, Cached]:
        out: dict[str, Cached] = {}
        for name, entry in self._doc().items():
            if not isinstance(entry, dict) or not isinstance(entry.get("rows"), list):
                continue
            rows = tuple(r for r in (_row(d) for d in entry["rows"] if isinstance(d, dict))
                         if r is not None)
            stamp = entry.get("time")
            out[str(name)] = Cached(str(name), float(stamp) if isinstance(stamp, int | float)
                                    else 0.0, rows)
        return out

    def put(self, profile: str, rows: Iterable[InstanceRow], when: float | None = None) -> None:
        entry = {"time": when if when is not None else time.time(),
                 "rows": [_row_doc(r) for r in rows]}
        with self._lock:
            profiles = self._doc()
            profiles[profile] = entry
            self.store.save({"profiles": profiles})

    def keep_only(self, profiles: Sequence[str]) -> None:
        """Drop profiles that no longer exist (renamed or deleted)."""
        with self._lock:
            current = self._doc()
            kept = {k: v for k, v in current.items() if k in set(profiles)}
            if kept != current:
                self.store.save({"profiles": kept})
