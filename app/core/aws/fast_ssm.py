"""StartSession/TerminateSession without boto3, for the ProxyCommand hot path.

ssh waits for `gangway proxy` before its connection can begin; importing boto3 and building a
client costs ~0.5 s, most of it loading service models. SSM's JSON protocol is one signed POST,
so when the situation is plain (credentials Gangway already holds, a standard or
`AWS_ENDPOINT_URL_*` endpoint, no FIPS/dual-stack/custom CA settings) this module signs it
with SigV4 from the standard library. Anything else returns None from `plan()` and the caller
uses boto3 as usual. Errors go through `session.translate`, like every other AWS call.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import NetworkError

_TARGET_PREFIX = "AmazonSSM."
_CONTENT_TYPE = "application/x-amz-json-1.1"
# Settings that change how botocore picks or trusts the endpoint: leave those to botocore.
_NOT_PLAIN = ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_CA_BUNDLE",
              "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
_RETRYABLE = {"ThrottlingException", "InternalServerError", "ServiceUnavailable",
              "RequestLimitExceeded"}


@dataclass(frozen=True)
class Plan:
    """Where and as whom to call SSM. `secret_key`/`token` never appear in repr."""

    region: str
    endpoint_url: str
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def get_frozen_credentials(self) -> Plan:  # the shape ssm_sessions.plugin_env reads
        return self


def endpoint_for(region: str, profile_fields: dict[str, str] | None = None) -> str | None:
    """The SSM endpoint botocore would use, or None when that needs botocore to decide."""
    if any(os.environ.get(k) for k in _NOT_PLAIN):
        return None
    if profile_fields and any(k in profile_fields for k in (
            "endpoint_url", "services", "use_fips_endpoint", "use_dualstack_endpoint",
            "ca_bundle")):
        return None
    explicit = os.environ.get("AWS_ENDPOINT_URL_SSM") or os.environ.get("AWS_ENDPOINT_URL")
    if explicit:
        return explicit
    if not region.replace("-", "").isalnum() or region.startswith(("us-iso", "us-gov")):
        return None
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://ssm.{region}.{suffix}"


def _sign(plan: Plan, target: str, body: bytes, now: _dt.datetime) -> dict[str, str]:
    url = urlsplit(plan.endpoint_url)
    host = url.netloc
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": _CONTENT_TYPE, "host": host, "x-amz-date": amz_date,
               "x-amz-target": _TARGET_PREFIX + target}
    if plan.token:
        headers["x-amz-security-token"] = plan.token
    names = sorted(headers)
    canonical = "\n".join([
        "POST", url.path or "/", "",
        "".join(f"{n}:{headers[n].strip()}\n" for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{plan.region}/ssm/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + plan.secret_key).encode()
    for part in (day, plan.region, "ssm", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={plan.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def _error(status: int, raw: bytes, operation: str, doing: str) -> Exception:
    from botocore.exceptions import ClientError

    from app.core.aws.session import translate

    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        doc = {}
    code = str(doc.get("__type") or doc.get("code") or f"HTTP{status}").rsplit("#", 1)[-1]
    message = str(doc.get("message") or doc.get("Message") or "")
    exc = ClientError({"Error": {"Code": code, "Message": message}}, operation)
    return translate(exc, doing)


def call(plan: Plan, operation: str, params: dict[str, Any], doing: str, *,
         attempts: int = 3, timeout: float = 30.0) -> dict[str, Any]:
    """One SSM JSON call, retried on throttling and 5xx with a short backoff."""
    if urlsplit(plan.endpoint_url).scheme not in ("https", "http"):
        raise NetworkError(f"{doing}: the SSM endpoint {plan.endpoint_url!r} is not an "
                           "http(s) URL.", "Check AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL.")
    body = json.dumps(params).encode()
    for attempt in range(attempts):
        headers = _sign(plan, operation, body, _dt.datetime.now(_dt.UTC))
        # The scheme was checked above: http(s) only.
        req = urllib.request.Request(plan.endpoint_url, data=body, headers=headers,  # noqa: S310
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                result: dict[str, Any] = json.loads(resp.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            err = _error(exc.code, raw, operation, doing)
            code = getattr(err, "code", "")
            if (code in _RETRYABLE or exc.code >= 500) and attempt + 1 < attempts:
                time.sleep(0.2 * 2 ** attempt)
                continue
            raise err from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            if attempt + 1 < attempts:
                time.sleep(0.2 * 2 ** attempt)
                continue
            raise NetworkError(f"{doing}: AWS could not be reached ({exc}).",
                               "Check your network connection or VPN, then retry.") from exc
    raise AssertionError("unreachable")


class FastSsm:
    """Just enough of a boto3 SSM client for `ssm_sessions.start_session`/`terminate_session`."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.meta = _Meta(plan.region, plan.endpoint_url)

    def start_session(self, **params: Any) -> dict[str, Any]:
        return call(self.plan, "StartSession", params, f"Starting a session on "
                    f"{params.get('Target', '')}")

    def terminate_session(self, **params: Any) -> dict[str, Any]:
        return call(self.plan, "TerminateSession", params, "Terminating the session",
                    attempts=1, timeout=5.0)


@dataclass(frozen=True)
class _Meta:
    region_name: str
    endpoint_url: str
