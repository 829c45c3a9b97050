"""SSM session calls: start, resume, terminate, list; and the plugin's argv and environment.

    started = start_session(ssm, target, document="AWS-StartSSHSession",
                            parameters={"portNumber": ["22"]}, reason="deploy")
    argv = plugin_argv(plugin_path, started)
    env = plugin_env(started, credentials)      # the response and credentials: env only
    ...run the plugin..., then terminate_session(ssm, started.session_id)

`ssm` is anything with the `SsmCalls` shape: `sigv4.SsmClient` (boto3-free) or `BotoSsm`
around a boto3 client; a bare boto3 client is wrapped on the way in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.core.aws.client import translate

if TYPE_CHECKING:
    from app.core.aws.credentials.types import Credentials

# The plugin reads the StartSession response from the variable named in argv[1] (plugin
# releases after 1.2.497.0; the AWS CLI uses the same variable name).
RESPONSE_ENV = "AWS_SSM_START_SESSION_RESPONSE"
LAST_PLUGIN_WITHOUT_ENV = (1, 2, 497, 0)
SSH_DOCUMENT = "AWS-StartSSHSession"


class SsmCalls(Protocol):
    """Where SSM is (region, endpoint: the plugin calls it too) and one JSON call to it."""

    region: str
    endpoint_url: str

    def call(self, operation: str, params: dict[str, Any], doing: str) -> dict[str, Any]:
        """One call; AWS errors come back as GangwayErrors."""
        ...


class BotoSsm:
    """`SsmCalls` over a boto3 SSM client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.region = str(client.meta.region_name)
        self.endpoint_url = str(client.meta.endpoint_url)

    def call(self, operation: str, params: dict[str, Any], doing: str) -> dict[str, Any]:
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        try:
            reply: dict[str, Any] = getattr(self.client, method)(**params)
        except Exception as exc:
            raise translate(exc, doing) from exc
        return reply


def as_calls(ssm: Any) -> SsmCalls:
    """`ssm` itself when it is an SsmCalls, else a boto3 client wrapped in BotoSsm."""
    return ssm if hasattr(ssm, "call") and hasattr(ssm, "endpoint_url") else BotoSsm(ssm)


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
    calls = as_calls(ssm)
    req = request_parameters(target, document, parameters, reason)
    resp = calls.call("StartSession", req, f"Starting a session on {target}")
    return StartedSession(resp["SessionId"], resp["TokenValue"], resp["StreamUrl"],
                          calls.region, calls.endpoint_url, req)


def resume_session(ssm: Any, started: StartedSession) -> StartedSession:
    """ResumeSession: a fresh token and stream URL for a disconnected session."""
    resp = as_calls(ssm).call("ResumeSession", {"SessionId": started.session_id},
                              f"Resuming session {started.session_id}")
    return replace(started, token_value=resp["TokenValue"], stream_url=resp["StreamUrl"])


def terminate_session(ssm: Any, session_id: str) -> None:
    as_calls(ssm).call("TerminateSession", {"SessionId": session_id},
                       f"Terminating session {session_id}")


def plugin_argv(plugin: str | Path, started: StartedSession, profile: str = "") -> list[str]:
    """The plugin's argv contract: the response is named by env var, never passed itself."""
    return [str(plugin), RESPONSE_ENV, started.region, "StartSession", profile,
            json.dumps(dict(started.request)), started.endpoint_url]


def plugin_env(started: StartedSession, credentials: Credentials | None = None,
               base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for the plugin: the response, and the credentials it uses for its own calls.

    Profile variables are removed so the plugin cannot pick a different identity.
    """
    import os

    env = dict(os.environ if base is None else base)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(var, None)
    env[RESPONSE_ENV] = started.response_json
    if credentials is not None:
        env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
        if credentials.session_token:
            env["AWS_SESSION_TOKEN"] = credentials.session_token
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
    calls = as_calls(ssm)
    kwargs: dict[str, Any] = {"State": state, "MaxResults": page_size}
    if owner:
        kwargs["Filters"] = [{"key": "Owner", "value": owner}]
    out: list[SessionRecord] = []
    while len(out) < max_items:
        resp = calls.call("DescribeSessions", dict(kwargs), f"Listing {state.lower()} sessions")
        for s in resp.get("Sessions", []):
            out.append(SessionRecord(
                session_id=s.get("SessionId", ""), target=s.get("Target", ""),
                status=s.get("Status", ""), start=as_datetime(s.get("StartDate")),
                end=as_datetime(s.get("EndDate")), owner=s.get("Owner", ""),
                document=s.get("DocumentName", ""), reason=s.get("Reason", ""),
                region=calls.region))
        token = resp.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return out[:max_items]


def as_datetime(value: Any) -> datetime | None:
    """A date from boto3 (datetime) or from the JSON wire (epoch seconds)."""
    if value is None or isinstance(value, datetime):
        return value
    from datetime import UTC

    return datetime.fromtimestamp(float(value), UTC)


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

    @property
    def status_words(self) -> str:
        """What state it is in, or how it ended, in words (the window and the CLI)."""
        if self.active:
            return _STATUS_WORDS.get(self.status, self.status)
        if self.ended:
            return ended_words(self.ended)
        return "Ended" if self.status in ("", "Local") else _STATUS_WORDS.get(self.status,
                                                                             self.status)


# DescribeSessions' statuses, and Gangway's "Local" (started here, not yet seen at AWS).
_STATUS_WORDS = {"Connected": "Active", "Local": "Active", "Connecting": "Connecting…",
                 "Disconnected": "Disconnected (it may resume)", "Terminating": "Ending…",
                 "Terminated": "Terminated", "Failed": "Failed"}
# StartSession's error codes that can reach the history without Gangway's own wording.
_FAILURE_WORDS = {"TargetNotConnected": "the instance's SSM agent was not connected"}


def ended_words(ended: str) -> str:
    """How it ended, in words: "exit 255" -> "Ended with exit code 255", "closed (SIGHUP)"
    -> "Ended: the terminal was closed", "error: ..." -> "Failed: ..."."""
    if ended == "exit 0":
        return "Ended"
    if ended.startswith("exit "):
        return f"Ended with exit code {ended[5:]}"
    if ended == "terminated":
        return "Terminated"
    if ended.startswith("closed"):
        return "Ended: the terminal was closed"
    if ended.startswith("error: "):
        why = ended[7:]
        code = why.split(":", 1)[0].strip()
        return f"Failed: {_FAILURE_WORDS.get(code, why)}"
    return f"Ended ({ended})"
