"""Say "retrying (n)…" when AWS is slow to answer, instead of 3-12 silent seconds.

Core only logs, on the `gangway.retries` logger; the CLI shows that logger on stderr
(`cli.run_verb`), the window keeps it in its log. The notice starts once the call has taken
longer than a second, so a single quick retry stays quiet.
"""

from __future__ import annotations

import logging
import time
from typing import Any

LOG = logging.getLogger("gangway.retries")
NOTICE_AFTER = 1.0  # seconds since the first attempt


def notice(attempt: int, started: float, doing: str) -> None:
    """Log a retry notice for attempt `attempt` (1-based) of a call begun at `started`."""
    if time.monotonic() - started >= NOTICE_AFTER:
        what = f"{doing}: " if doing else ""
        LOG.warning("%sAWS did not answer, retrying (%d)…", what, attempt)


def watch(client: Any) -> Any:
    """Hook a boto3 client's retry events; returns the client."""
    events = client.meta.events

    def started(context: dict[str, Any], **_kw: Any) -> None:
        context.setdefault("gangway_started", time.monotonic())

    def retrying(attempts: int, request_dict: dict[str, Any], caught_exception: Any = None,
                 response: Any = None, operation: Any = None, **_kw: Any) -> None:
        failed = caught_exception is not None or (
            response is not None and int(response[0].status_code) >= 500)
        if failed:
            begun = request_dict.get("context", {}).get("gangway_started", time.monotonic())
            notice(attempts, begun, getattr(operation, "name", ""))

    events.register("before-call.*.*", started)
    events.register("needs-retry.*.*", retrying)
    return client
