"""SSM sessions: start, hand to the plugin, terminate, resume, list; and Gangway's local history.

The pieces are separate so the proxy (`gangway proxy`), the shell verb (`gangway session`) and a
tunnel supervisor share them:

    started = start_session(ssm, target, document="AWS-StartSSHSession",
                            parameters={"portNumber": ["22"]}, reason="deploy")
    argv = plugin_argv(plugin_path, started)
    env = plugin_env(started, credentials)      # the response and credentials: env only
    ...run the plugin..., then terminate_session(ssm, started.session_id)

`ssm` is a boto3 SSM client (`app.core.aws.session.client(session, "ssm", region)`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.aws.session import translate
from app.core.store import JsonStore

# The plugin reads the StartSession response from the variable named in argv[1] (plugin
# releases after 1.2.497.0; the AWS CLI uses the same variable name).
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"
LAST_PLUGIN_WITHOUT_ENV = (1, 2, 497, 0)
SSH_DOCUMENT = "AWS-StartSSHSession"
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class StartedSession:
    """A session StartSession created; `token_value` is a secret (env only, never logged)."""

    session_id: str
    token_value: str = field(repr=False)
    stream_url: str
    region: str
    endpoint_url: str
    request: Mapping[str, Any]  # the StartSession parameters, as sent

    @property
    def response_json(self) -> str:
        return json.dumps({"SessionId": self.session_id, "TokenValue": self.token_value,
                           "StreamUrl": self.stream_url})


@dataclass(frozen=True)
class SessionRecord:
    """One session for the Sessions pane: from DescribeSessions, Gangway's history, or both.

    `ended` says how it ended: "" (still running or unknown), "exit 0", "exit 255",
    "terminated", "error: <message>", or AWS's status for remote-only rows.
    """

    session_id: str
    target: str
    status: str  # Connected, Terminated, Failed, ... or "Local" for history-only rows
    start: datetime | None = None
    end: datetime | None = None
    owner: str = ""
    document: str = ""
    reason: str = ""
    profile: str = ""
    region: str = ""
    ended: str = ""
    local: bool = False  # Gangway started it (so the user may terminate it from the pane)

    @property
    def active(self) -> bool:
        return self.status in {"Connected", "Connecting", "Disconnected"} or (
            self.local and self.status == "Local" and not self.ended)


def request_parameters(target: str, document: str | None = None,
                       parameters: Mapping[str, Sequence[str]] | None = None,
                       reason: str | None = None) -> dict[str, Any]:
    """The StartSession request: Target, and DocumentName/Parameters/Reason when given."""
    req: dict[str, Any] = {"Target": target}
    if document:
        req["DocumentName"] = document
    if parameters:
        req["Parameters"] = {k: [str(v) for v in vals] for k, vals in parameters.items()}
    if reason:
        # AWS allows 256 characters of printable text; keep the user's words, not their
        # control characters.
        req["Reason"] = "".join(ch if ch.isprintable() else " " for ch in reason)[:256]
    return req


def start_session(ssm: Any, target: str, document: str | None = None,
                  parameters: Mapping[str, Sequence[str]] | None = None,
                  reason: str | None = None) -> StartedSession:
    """Call StartSession; AWS errors come back as GangwayErrors."""
    req = request_parameters(target, document, parameters, reason)
    try:
        resp = ssm.start_session(**req)
    except Exception as exc:
        raise translate(exc, f"Starting a session on {target}") from exc
    return StartedSession(resp["SessionId"], resp["TokenValue"], resp["StreamUrl"],
                          ssm.meta.region_name, ssm.meta.endpoint_url, req)


def resume_session(ssm: Any, started: StartedSession) -> StartedSession:
    """ResumeSession: a fresh token and stream URL for a disconnected session."""
    try:
        resp = ssm.resume_session(SessionId=started.session_id)
    except Exception as exc:
        raise translate(exc, f"Resuming session {started.session_id}") from exc
    return replace(started, token_value=resp["TokenValue"], stream_url=resp["StreamUrl"])


def terminate_session(ssm: Any, session_id: str) -> None:
    try:
        ssm.terminate_session(SessionId=session_id)
    except Exception as exc:
        raise translate(exc, f"Terminating session {session_id}") from exc


def plugin_argv(plugin: str | Path, started: StartedSession, profile: str = "") -> list[str]:
    """The plugin's argv contract: the response is named by env var, never passed itself."""
    return [str(plugin), RESPONSE_ENV, started.region, "StartSession", profile,
            json.dumps(dict(started.request)), started.endpoint_url]


def plugin_env(started: StartedSession, credentials: Any | None = None,
               base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for the plugin: the response, and the credentials it uses for its own calls.

    `credentials` is a botocore credentials object (access_key, secret_key, token) or None.
    Profile variables are removed so the plugin cannot pick a different identity.
    """
    import os

    env = dict(os.environ if base is None else base)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(var, None)
    env[RESPONSE_ENV] = started.response_json
    if credentials is not None:
        frozen = credentials.get_frozen_credentials() if hasattr(
            credentials, "get_frozen_credentials") else credentials
        env["AWS_ACCESS_KEY_ID"] = frozen.access_key
        env["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
        if frozen.token:
            env["AWS_SESSION_TOKEN"] = frozen.token
        else:
            env.pop("AWS_SESSION_TOKEN", None)
    env["AWS_REGION"] = started.region
    env["AWS_DEFAULT_REGION"] = started.region
    return env


def describe_sessions(ssm: Any, state: str = "Active", max_items: int = 200,
                      owner: str | None = None, page_size: int = 50) -> list[SessionRecord]:
    """DescribeSessions(State=Active|History), following NextToken up to `max_items`.

    `owner` "Self" lists only the caller's sessions (the ones the user may terminate).
    """
    kwargs: dict[str, Any] = {"State": state, "MaxResults": page_size}
    if owner:
        kwargs["Filters"] = [{"key": "Owner", "value": owner}]
    out: list[SessionRecord] = []
    try:
        while len(out) < max_items:
            resp = ssm.describe_sessions(**kwargs)
            for s in resp.get("Sessions", []):
                out.append(SessionRecord(
                    session_id=s.get("SessionId", ""), target=s.get("Target", ""),
                    status=s.get("Status", ""), start=s.get("StartDate"), end=s.get("EndDate"),
                    owner=s.get("Owner", ""), document=s.get("DocumentName", ""),
                    reason=s.get("Reason", ""), region=ssm.meta.region_name))
            token = resp.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
    except Exception as exc:
        raise translate(exc, f"Listing {state.lower()} sessions") from exc
    return out[:max_items]


class SessionHistory:
    """Gangway's own record of sessions it started (`<data_dir>/sessions.json`, 0600)."""

    def __init__(self, data_dir: Path) -> None:
        self.store = JsonStore(data_dir / "sessions.json")

    def _rows(self) -> list[dict[str, Any]]:
        rows = self.store.load().get("sessions", [])
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    def record_start(self, *, profile: str, region: str, target: str, document: str,
                     reason: str = "", session_id: str = "") -> str:
        """Add a row; returns its key (the session id, or a local id if the start failed)."""
        key = session_id or f"local-{uuid.uuid4().hex[:12]}"
        rows = self._rows()
        rows.append({"key": key, "session_id": session_id, "time": time.time(),
                     "profile": profile, "region": region, "target": target,
                     "document": document, "reason": reason, "ended": "", "end_time": None})
        self.store.save({"sessions": rows[-HISTORY_LIMIT:]})
        return key

    def record_end(self, key: str, ended: str) -> None:
        """How it ended: "exit N", "terminated" or "error: ..." (one line)."""
        rows = self._rows()
        for row in rows:
            if row.get("key") == key:
                row["ended"] = " ".join(ended.split())[:300]
                row["end_time"] = time.time()
        self.store.save({"sessions": rows})

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
