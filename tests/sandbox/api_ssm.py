"""SSM (JSON 1.1, ``X-Amz-Target: AmazonSSM.<Op>``): inventory and Session Manager sessions.

Everything else (Parameter Store, ...) is forwarded to moto unchanged.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from .api_sts_iam import decide
from .limits import member
from .state import ACCOUNT_ID, SsmSession
from .wire import Reply, json_error, json_reply

if TYPE_CHECKING:
    from .gateway import Gateway, Request

KNOWN_DOCUMENTS = {
    "SSM-SessionManagerRunShell",
    "AWS-StartSSHSession",
    "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost",
    "AWS-StartInteractiveCommand",
    "AWS-StartNonInteractiveCommand",
    "AWS-PasswordReset",
}
# The documents' parameters (what `aws ssm start-session` sends for each; defaults in AWS's
# document definitions). Anything else is refused as the service does.
DOCUMENT_PARAMETERS = {
    "AWS-StartSSHSession": ({"portNumber"}, set()),
    "AWS-StartPortForwardingSession": ({"portNumber", "localPortNumber"}, set()),
    "AWS-StartPortForwardingSessionToRemoteHost": (
        {"host", "portNumber", "localPortNumber"},
        {"host"},
    ),
}
_TARGET_RE = re.compile(r"^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")


def handle(gw: Gateway, req: Request) -> Reply:
    op = req.headers.get("x-amz-target", "").removeprefix("AmazonSSM.")
    handler = {
        "DescribeInstanceInformation": _describe_instance_information,
        "StartSession": _start_session,
        "ResumeSession": _resume_session,
        "TerminateSession": _terminate_session,
        "DescribeSessions": _describe_sessions,
        "ListTagsForResource": _tags_for_managed_instance,
        "AddTagsToResource": _tags_for_managed_instance,
        "RemoveTagsFromResource": _tags_for_managed_instance,
    }.get(op)
    if handler is None:
        return gw.forward(req)
    return handler(gw, req)


def _validation(message: str) -> Reply:
    return json_error(400, "ValidationException", message)


def _page(
    items: list[Any], req_body: dict[str, Any], default: int, operation: str, field: str
) -> Reply | tuple[list[Any], str | None]:
    """Offset paging; MaxResults' range is the model's (below the minimum, AWS refuses)."""
    max_results = req_body.get("MaxResults", default)
    if not isinstance(max_results, int):
        return _validation(f"Value '{max_results}' at 'maxResults' is not an integer")
    problem = member("ssm", operation, "MaxResults").check(max_results)
    if problem:
        return _validation(problem)
    start = 0
    token = req_body.get("NextToken")
    if token:
        try:
            payload = json.loads(base64.b64decode(token))
            start = int(payload["offset"])
            if payload.get("field") != field:
                raise ValueError(token)
        except (ValueError, KeyError, TypeError):
            return json_error(400, "InvalidNextToken", "The specified token isn't valid.")
    page = items[start : start + max_results]
    nxt = None
    if start + max_results < len(items):
        nxt = base64.b64encode(
            json.dumps({"offset": start + max_results, "field": field}).encode()
        ).decode()
    return page, nxt


# --- inventory ---------------------------------------------------------------------------------

_INFO_FILTERS = {
    "InstanceIds": "InstanceId",
    "PingStatus": "PingStatus",
    "PlatformTypes": "PlatformType",
    "ResourceType": "ResourceType",
    "AgentVersion": "AgentVersion",
    "AssociationStatus": "AssociationStatus",
    "ActivationIds": "ActivationId",
    "IamRole": "IamRole",
}


def _describe_instance_information(gw: Gateway, req: Request) -> Reply:
    assert req.scope is not None
    body = req.json()
    with gw.state.lock:
        nodes = list(gw.state.ssm_nodes.get(req.scope.region, {}).values())
        tags = {n["InstanceId"]: dict(gw.state.node_tags.get(n["InstanceId"], {})) for n in nodes}
    filters: list[tuple[str, list[str]]] = []
    for f in body.get("Filters") or []:
        filters.append((f["Key"], f["Values"]))
    for f in body.get("InstanceInformationFilterList") or []:
        if f["key"] not in _INFO_FILTERS:
            return json_error(
                400, "InvalidInstanceInformationFilterValue", f"Invalid filter key {f['key']}"
            )
        filters.append((f["key"], f["valueSet"]))
    tag_filters = [k for k, _ in filters if k.startswith("tag:") or k == "tag-key"]
    if tag_filters and len(tag_filters) != len(filters):
        return _validation("Cannot mix tag or inventory filter with any other filter.")
    known = {n["InstanceId"] for n in nodes}
    for key, values in filters:
        if key == "InstanceIds":
            unknown = sorted(set(values) - known)
            if unknown:
                return json_error(
                    400, "InvalidInstanceId", f"Instance ids {unknown} are not valid."
                )
        if key.startswith("tag:"):
            tag = key[4:]
            nodes = [n for n in nodes if tags[n["InstanceId"]].get(tag) in values]
        elif key == "tag-key":
            nodes = [n for n in nodes if set(values) & set(tags[n["InstanceId"]])]
        elif key in _INFO_FILTERS:
            nodes = [n for n in nodes if str(n.get(_INFO_FILTERS[key])) in values]
        else:
            return json_error(400, "InvalidFilterKey", f"The filter key {key} isn't valid.")
    nodes.sort(key=lambda n: n["InstanceId"])
    paged = _page(nodes, body, 10, "DescribeInstanceInformation", "info")
    if isinstance(paged, Reply):
        return paged
    page, nxt = paged
    out: dict[str, Any] = {"InstanceInformationList": page}
    if nxt:
        out["NextToken"] = nxt
    return json_reply(200, out)


def _tags_for_managed_instance(gw: Gateway, req: Request) -> Reply:
    """Tags of hybrid (mi-) nodes live in SSM, which moto does not know; others go to moto."""
    assert req.scope is not None
    body = req.json()
    if body.get("ResourceType") != "ManagedInstance":
        return gw.forward(req)
    op = req.headers.get("x-amz-target", "").removeprefix("AmazonSSM.")
    node_id = body.get("ResourceId", "")
    with gw.state.lock:
        if node_id not in gw.state.ssm_nodes.get(req.scope.region, {}):
            return json_error(
                400,
                "InvalidResourceId",
                "The resource ID is not valid. Verify the ID and try again.",
            )
        tags = gw.state.node_tags.setdefault(node_id, {})
        if op == "AddTagsToResource":
            tags.update({t["Key"]: t["Value"] for t in body.get("Tags", [])})
            return json_reply(200, {})
        if op == "RemoveTagsFromResource":
            for key in body.get("TagKeys", []):
                tags.pop(key, None)
            return json_reply(200, {})
        return json_reply(200, {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]})


# --- sessions ----------------------------------------------------------------------------------


def _resource_arn(region: str, target: str) -> str:
    if target.startswith("mi-"):
        return f"arn:aws:ssm:{region}:{ACCOUNT_ID}:managed-instance/{target}"
    return f"arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{target}"


def stream_url(gw: Gateway, session_id: str) -> str:
    return f"ws://127.0.0.1:{gw.port}/v1/data-channel/{session_id}?role=publish_subscribe"


def _port_value(values: Any, zero_ok: bool) -> bool:
    if not isinstance(values, list) or len(values) != 1 or not str(values[0]).isdigit():
        return False
    return (0 if zero_ok else 1) <= int(values[0]) <= 65535


def _start_session(gw: Gateway, req: Request) -> Reply:
    assert req.scope is not None and req.cred is not None
    body = req.json()
    target = body.get("Target", "")
    document = body.get("DocumentName") or "SSM-SessionManagerRunShell"
    region = req.scope.region
    # The model's constraints (Target's length, DocumentName's and Reason's patterns): a
    # multi-line reason is refused here as AWS refuses it.
    for name, value in (("Target", target), ("DocumentName", document),
                        ("Reason", body.get("Reason"))):
        problem = None if value is None else member("ssm", "StartSession", name).check(value)
        if problem:
            return _validation(problem)
    if document not in KNOWN_DOCUMENTS:
        return json_error(400, "InvalidDocument", f"Document with name {document} does not exist.")
    params = body.get("Parameters") or {}
    if document in DOCUMENT_PARAMETERS:
        allowed, required = DOCUMENT_PARAMETERS[document]
        unknown = sorted(set(params) - allowed)
        missing = sorted(required - set(params))
        bad_port = [
            k
            for k in ("portNumber", "localPortNumber")
            if k in params and not _port_value(params[k], k == "localPortNumber")
        ]
        if unknown or missing or bad_port:
            what = unknown or missing or bad_port
            return json_error(
                400,
                "InvalidParameters",
                f"Parameters {what} are not valid for document {document}.",
            )
    with gw.state.lock:
        node = gw.state.ssm_nodes.get(region, {}).get(target)
        tags = dict(gw.state.node_tags.get(target, {}))
    context = {f"ssm:resourceTag/{k}": [v] for k, v in tags.items()}
    resource = _resource_arn(region, target)
    decision, _ = decide(
        gw.state.rule_for(req.cred.principal_arn), "ssm:StartSession", resource, context
    )
    if decision != "allowed":
        return json_error(
            400,
            "AccessDeniedException",
            f"User: {req.cred.caller_arn} is not authorized to perform: ssm:StartSession on resource: "
            f"{resource} because no identity-based policy allows the ssm:StartSession action",
        )
    if node is None or node.get("PingStatus") != "Online":
        return json_error(400, "TargetNotConnected", f"{target} is not connected.")
    session_id = f"{req.cred.name}-{secrets.token_hex(9)[:17]}"
    token = base64.b64encode(secrets.token_bytes(96)).decode()
    session = SsmSession(
        session_id=session_id,
        token=token,
        target=target,
        region=region,
        document=document,
        parameters=body.get("Parameters") or {},
        owner=req.cred.caller_arn,
        reason=body.get("Reason"),
        start=time.time(),
    )
    with gw.state.lock:
        gw.state.sessions[session_id] = session
    return json_reply(
        200, {"SessionId": session_id, "TokenValue": token, "StreamUrl": stream_url(gw, session_id)}
    )


def _resume_session(gw: Gateway, req: Request) -> Reply:
    session_id = req.json().get("SessionId", "")
    with gw.state.lock:
        session = gw.state.sessions.get(session_id)
        if session is None or session.status in ("Terminated", "Failed"):
            return json_error(
                400, "DoesNotExistException", f"Session with id {session_id} does not exist."
            )
        session.token = base64.b64encode(secrets.token_bytes(96)).decode()
        token = session.token
    return json_reply(
        200, {"SessionId": session_id, "TokenValue": token, "StreamUrl": stream_url(gw, session_id)}
    )


def _terminate_session(gw: Gateway, req: Request) -> Reply:
    session_id = req.json().get("SessionId", "")
    with gw.state.lock:
        session = gw.state.sessions.get(session_id)
        if session is not None and session.end is None:
            session.status = "Terminated"
            session.end = time.time()
    # Real SSM answers with the id even for unknown sessions.
    return json_reply(200, {"SessionId": session_id})


def session_json(s: SsmSession) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SessionId": s.session_id,
        "Target": s.target,
        "Status": s.status,
        "StartDate": s.start,
        "DocumentName": s.document,
        "Owner": s.owner,
        "Details": "",
        "OutputUrl": {},
    }
    if s.end is not None:
        out["EndDate"] = s.end
    if s.reason:
        out["Reason"] = s.reason
    return out


_SESSION_FILTERS = {
    "InvokedAfter",
    "InvokedBefore",
    "Target",
    "Owner",
    "Status",
    "SessionId",
    "AccessType",
}


def _describe_sessions(gw: Gateway, req: Request) -> Reply:
    assert req.scope is not None
    body = req.json()
    state = body.get("State")
    if state not in ("Active", "History"):
        return _validation(
            f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Active, History]"
        )
    with gw.state.lock:
        sessions = [s for s in gw.state.sessions.values() if s.region == req.scope.region]
    active = {"Connected", "Connecting", "Disconnected", "Terminating"}
    sessions = [s for s in sessions if (s.status in active) == (state == "Active")]
    for f in body.get("Filters") or []:
        key, value = f["key"], f["value"]
        if key not in _SESSION_FILTERS:
            return json_error(400, "InvalidFilterKey", f"The filter key {key} isn't valid.")
        if key == "Target":
            sessions = [s for s in sessions if s.target == value]
        elif key == "Owner":
            owner = req.cred.caller_arn if value == "Self" and req.cred else value
            sessions = [s for s in sessions if s.owner == owner]
        elif key == "Status":
            sessions = [s for s in sessions if s.status == value]
        elif key == "SessionId":
            sessions = [s for s in sessions if s.session_id == value]
        elif key in ("InvokedAfter", "InvokedBefore"):
            from datetime import datetime

            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            after = key == "InvokedAfter"
            sessions = [s for s in sessions if (s.start >= moment if after else s.start <= moment)]
    sessions.sort(key=lambda s: s.start, reverse=True)
    paged = _page(sessions, body, 20, "DescribeSessions", "sessions")
    if isinstance(paged, Reply):
        return paged
    page, nxt = paged
    out: dict[str, Any] = {"Sessions": [session_json(s) for s in page]}
    if nxt:
        out["NextToken"] = nxt
    return json_reply(200, out)
