"""Gangway's own record of the sessions it started, merged with what AWS's DescribeSessions says.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.aws.sessions.api import SessionRecord
from app.core.store import JsonStore

HISTORY_LIMIT = 500


class SessionHistory:
    """Gangway's own record of sessions it started (`<data_dir>/sessions.json`, 0600)."""

    def __init__(self, data_dir: Path) -> None:
        self.store = JsonStore(data_dir / "sessions.json")

    def _rows(self) -> list[dict[str, Any]]:
        return _rows_of(self.store.load())

    def record_start(self, *, profile: str, region: str, target: str, document: str,
                     reason: str = "", session_id: str = "") -> str:
        """Add a row; returns its key (the session id, or a local id if the start failed).

        The row names this process (`pid`): while it lives the session is its to end; once
        it is gone with the row still open, `reap.end_orphaned_sessions` ends it."""
        key = session_id or f"local-{uuid.uuid4().hex[:12]}"
        row = {"key": key, "session_id": session_id, "time": time.time(), "pid": os.getpid(),
               "profile": profile, "region": region, "target": target, "document": document,
               "reason": reason, "ended": "", "end_time": None}

        def add(doc: dict[str, Any]) -> dict[str, Any]:
            return {**doc, "sessions": [*_rows_of(doc), row][-HISTORY_LIMIT:]}

        self.store.update(add)
        return key

    def record_end(self, key: str, ended: str) -> None:
        """How it ended: "exit N", "terminated" or "error: ..." (one line)."""

        def end(doc: dict[str, Any]) -> dict[str, Any]:
            rows = _rows_of(doc)
            for row in rows:
                if row.get("key") == key:
                    row["ended"] = " ".join(ended.split())[:300]
                    row["end_time"] = time.time()
            return {**doc, "sessions": rows}

        self.store.update(end)

    def open_rows(self) -> list[dict[str, Any]]:
        """Rows of started sessions (with an id and an owner pid) not recorded as ended."""
        return [r for r in self._rows() if not r.get("ended") and r.get("session_id")
                and isinstance(r.get("pid"), int)]

    def records(self) -> list[SessionRecord]:
        out = []
        for r in self._rows():
            start = datetime.fromtimestamp(r["time"]).astimezone() if r.get("time") else None
            end = (datetime.fromtimestamp(r["end_time"]).astimezone()
                   if r.get("end_time") else None)
            out.append(SessionRecord(
                session_id=str(r.get("session_id") or r.get("key", "")),
                target=str(r.get("target", "")), status="Local", start=start, end=end,
                document=str(r.get("document", "")), reason=str(r.get("reason", "")),
                profile=str(r.get("profile", "")), region=str(r.get("region", "")),
                ended=str(r.get("ended", "")), local=True))
        return out


def _rows_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = doc.get("sessions", [])
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def merge(remote: Iterable[SessionRecord], local: Iterable[SessionRecord]) -> list[SessionRecord]:
    """One row per session id: AWS's status and dates, Gangway's profile/reason/ending.

    Newest first. Local rows AWS does not know (failed starts, other regions) are kept.
    """
    by_id: dict[str, SessionRecord] = {}
    for rec in remote:
        by_id[rec.session_id] = rec
    for loc in local:
        rem = by_id.get(loc.session_id)
        if rem is None:
            by_id[loc.session_id] = loc
            continue
        by_id[loc.session_id] = replace(
            rem, profile=loc.profile, reason=rem.reason or loc.reason,
            document=rem.document or loc.document, region=rem.region or loc.region,
            ended=loc.ended or (rem.status if rem.status in {"Terminated", "Failed"} else ""),
            local=True, start=rem.start or loc.start, end=rem.end or loc.end)
    epoch = datetime.fromtimestamp(0).astimezone()

    def key(r: SessionRecord) -> datetime:
        s = r.start or epoch
        return s if s.tzinfo else s.astimezone()

    return sorted(by_id.values(), key=key, reverse=True)


def record_as_dict(rec: SessionRecord) -> dict[str, Any]:
    """JSON-ready form (for `gangway sessions --json`)."""
    d = asdict(rec)
    for k in ("start", "end"):
        d[k] = d[k].isoformat() if d[k] else None
    d["active"] = rec.active
    return d
