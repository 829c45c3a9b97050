"""AWS wire-protocol pieces the gateway speaks: SigV4 scope parsing and error bodies.

Error shapes follow what botocore's parsers expect from the real services:
- EC2 query: ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>``
- STS/IAM query: ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>``
- JSON 1.1 (SSM): ``{"__type": ..., "message": ...}``
- rest-json (SSO, SSO-OIDC): ``x-amzn-ErrorType`` header plus a JSON body.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

_SCOPE_RE = re.compile(
    r"Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)

QUERY_NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
}


@dataclass(frozen=True)
class SigScope:
    access_key_id: str
    region: str
    service: str


def parse_scope(authorization: str | None) -> SigScope | None:
    """Return the credential scope of a SigV4 ``Authorization`` header, if any."""
    if not authorization:
        return None
    m = _SCOPE_RE.search(authorization)
    if not m:
        return None
    return SigScope(m["akid"], m["region"], m["service"])


def parse_form(body: bytes) -> dict[str, str]:
    """Flatten a query-protocol form body (``Action=...&X.member.1=...``)."""
    parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def members(form: dict[str, str], prefix: str) -> list[str]:
    """Values of a query-protocol list ``Prefix.member.N`` (or ``Prefix.N`` for EC2) in order."""
    out: list[tuple[int, str]] = []
    for key, value in form.items():
        for p in (f"{prefix}.member.", f"{prefix}."):
            if key.startswith(p) and key[len(p) :].isdigit():
                out.append((int(key[len(p) :]), value))
    return [v for _, v in sorted(out)]


def request_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


def xml_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode("utf-8"), {"Content-Type": "text/xml"})


def json_reply(
    status: int, payload: Any, content_type: str = "application/x-amz-json-1.1"
) -> Reply:
    rid = request_id()
    return Reply(
        status,
        json.dumps(payload, default=str).encode("utf-8"),
        {"Content-Type": content_type, "x-amzn-RequestId": rid},
    )


def ec2_error(status: int, code: str, message: str) -> Reply:
    return xml_reply(
        status,
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{request_id()}</RequestID></Response>",
    )


def query_error(service: str, status: int, code: str, message: str, sender: bool = True) -> Reply:
    ns = QUERY_NAMESPACES.get(service, QUERY_NAMESPACES["sts"])
    kind = "Sender" if sender else "Receiver"
    return xml_reply(
        status,
        f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id()}</RequestId></ErrorResponse>",
    )


def json_error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"__type": code, "message": message})


def rest_json_error(
    status: int, code: str, message: str, body: dict[str, Any] | None = None
) -> Reply:
    payload = body if body is not None else {"message": message}
    reply = json_reply(status, payload, content_type="application/json")
    reply.headers["x-amzn-ErrorType"] = code
    return reply


# --- the refusals every service shares, in each protocol's own words -------------------------

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def refuse(protocol_service: str, kind: str) -> Reply:
    """Refuse a request whose key is unknown (``kind='invalid'``), expired (``'expired'``) or
    whose signature does not match its secret (``'signature'``)."""
    if kind == "signature":
        if protocol_service == "ec2":
            return ec2_error(
                401, "AuthFailure", "AWS was not able to validate the provided access credentials"
            )
        if protocol_service in ("sts", "iam"):
            return query_error(protocol_service, 403, "SignatureDoesNotMatch", BAD_SIGNATURE)
        return json_error(400, "InvalidSignatureException", BAD_SIGNATURE)
    if protocol_service == "ec2":
        if kind == "expired":
            return ec2_error(400, "RequestExpired", "Request has expired.")
        return ec2_error(
            401, "AuthFailure", "AWS was not able to validate the provided access credentials"
        )
    if protocol_service in ("sts", "iam"):
        if kind == "expired":
            return query_error(protocol_service, 403, "ExpiredToken", EXPIRED_TOKEN)
        return query_error(protocol_service, 403, "InvalidClientTokenId", INVALID_TOKEN)
    if kind == "expired":
        return json_error(400, "ExpiredTokenException", EXPIRED_TOKEN)
    return json_error(400, "UnrecognizedClientException", INVALID_TOKEN)


def service_error(service: str, code: str, message: str | None = None) -> Reply:
    """An injected fault (region disabled, not authorised, throttled) in ``service``'s shape."""
    if service == "ec2":
        defaults = {
            "UnauthorizedOperation": (403, "You are not authorized to perform this operation."),
            "AuthFailure": (401, "AWS was not able to validate the provided access credentials"),
            "OptInRequired": (
                403,
                "You are not subscribed to this service. Please go to http://aws.amazon.com to subscribe.",
            ),
            "RequestLimitExceeded": (503, "Request limit exceeded."),
            "InternalError": (500, "An internal error has occurred"),
            "Unavailable": (503, "The server is overloaded and can't handle the request."),
        }
        status, text = defaults.get(code, (400, code))
        return ec2_error(status, code, message or text)
    # SSM speaks JSON; translate EC2-flavoured fault names to what SSM really says.
    mapping = {
        "UnauthorizedOperation": "AccessDeniedException",
        "AuthFailure": "UnrecognizedClientException",
        "OptInRequired": "UnrecognizedClientException",
        "RequestLimitExceeded": "ThrottlingException",
    }
    json_code = mapping.get(code, code)
    texts = {
        "AccessDeniedException": "User is not authorized to perform this operation.",
        "UnrecognizedClientException": INVALID_TOKEN,
        "ThrottlingException": "Rate exceeded",
    }
    # Server faults are 5xx, as AWS sends them (and as clients decide to retry them).
    status = 500 if json_code == "InternalServerError" else 400
    return json_error(status, json_code, message or texts.get(json_code, json_code))
