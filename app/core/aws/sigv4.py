"""SSM and EC2 calls without boto3, for the ProxyCommand hot path.

ssh waits for `gangway proxy` before its connection can begin; importing boto3 and building a
client costs ~0.5 s, most of it loading service models. SSM's JSON protocol is one signed POST,
so when the situation is plain (credentials Gangway already holds or one SSO portal GET gets, a
standard or `AWS_ENDPOINT_URL_*` endpoint, no FIPS/dual-stack settings) this module signs it
with SigV4 from the standard library. A custom CA (`AWS_CA_BUNDLE`, else the profile's
`ca_bundle`, as botocore orders them) is honoured with an `ssl.SSLContext` on that file.
Anything else makes `endpoint_for()` return None and the caller uses boto3 as usual.
Errors go through `client.translate`, like every other AWS call.
Results are plain data (`SsmClient` answers `sessions.api.SsmCalls`, `Lookup` answers
`sessions.targets.Lookup`): no stand-ins for botocore objects.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import hmac
import json
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.core.aws.credentials.types import Credentials
from app.core.aws.sessions.targets import Match
from app.core.errors import NetworkError

_TARGET_PREFIX = "AmazonSSM."
_CONTENT_TYPE = "application/x-amz-json-1.1"
# Settings that change how botocore picks or trusts the endpoint: leave those to botocore.
_NOT_PLAIN = ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
              "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
_RETRYABLE = {"ThrottlingException", "InternalServerError", "ServiceUnavailable",
              "RequestLimitExceeded"}


@dataclass(frozen=True)
class Plan:
    """Where and as whom to call AWS without botocore: the region, endpoints, credentials."""

    region: str
    endpoint_url: str  # SSM
    credentials: Credentials
    ec2_endpoint: str | None = None  # for Name-tag lookups; None = leave those to boto3
    eic_endpoint: str | None = None  # EC2 Instance Connect (keyless SSH)
    ca_bundle: str | None = None  # AWS_CA_BUNDLE / the profile's ca_bundle; None = system CAs


def endpoint_for(region: str, profile_fields: dict[str, str] | None = None,
                 service: str = "ssm") -> str | None:
    """The endpoint botocore would use for `service` (ssm, ec2, ec2-instance-connect), or
    None when that needs botocore to decide."""
    if any(os.environ.get(k) for k in _NOT_PLAIN):
        return None
    if profile_fields and any(k in profile_fields for k in (
            "endpoint_url", "services", "use_fips_endpoint", "use_dualstack_endpoint")):
        return None
    explicit = (os.environ.get(f"AWS_ENDPOINT_URL_{_env_name(service)}")
                or os.environ.get("AWS_ENDPOINT_URL"))
    if explicit:
        return explicit
    if not region.replace("-", "").isalnum() or region.startswith(("us-iso", "us-gov")):
        return None
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    host = "portal.sso" if service == "sso" else service  # the SSO portal API's own name
    return f"https://{host}.{region}.{suffix}"


def ca_bundle_for(profile_fields: dict[str, str] | None = None) -> str | None:
    """The CA file botocore would verify with: AWS_CA_BUNDLE, else the profile's ca_bundle."""
    found = os.environ.get("AWS_CA_BUNDLE") or (profile_fields or {}).get("ca_bundle")
    return os.path.expandvars(os.path.expanduser(found)) if found else None


@functools.lru_cache(maxsize=4)
def _tls(cafile: str) -> ssl.SSLContext:
    """Verify against exactly `cafile`, as botocore does with `verify=<path>`."""
    return ssl.create_default_context(cafile=cafile)


def _context(url: str, ca_bundle: str | None, doing: str) -> ssl.SSLContext | None:
    if not ca_bundle or not url.startswith("https:"):
        return None
    try:
        return _tls(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise NetworkError(f"{doing}: the CA bundle {ca_bundle} cannot be used ({exc}).",
                           "Check AWS_CA_BUNDLE or the profile's ca_bundle setting.") from exc


def _env_name(service: str) -> str:
    """botocore's per-service endpoint variable: the service id in upper snake case."""
    return service.upper().replace("-", "_").replace(" ", "_")


def _sign(plan: Plan, target: str, body: bytes, now: _dt.datetime) -> dict[str, str]:
    """SigV4 headers for an SSM JSON call (`target` is the operation)."""
    return _sign_request(plan, "ssm", plan.endpoint_url, {
        "content-type": _CONTENT_TYPE, "x-amz-target": _TARGET_PREFIX + target}, body, now=now)


def _sign_request(plan: Plan, service: str, endpoint: str, extra: dict[str, str], body: bytes,
                  *, now: _dt.datetime) -> dict[str, str]:
    """SigV4 (AWS4-HMAC-SHA256) headers for a POST of `body` to `endpoint`'s path."""
    url = urlsplit(endpoint)
    host = url.netloc
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {**extra, "host": host, "x-amz-date": amz_date}
    creds = plan.credentials
    if creds.session_token:
        headers["x-amz-security-token"] = creds.session_token
    names = sorted(headers)
    canonical = "\n".join([
        "POST", url.path or "/", "",
        "".join(f"{n}:{headers[n].strip()}\n" for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{plan.region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + creds.secret_access_key).encode()
    for part in (day, plan.region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key_id}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def _error(status: int, raw: bytes, operation: str, doing: str) -> Exception:
    """The GangwayError for an AWS error body (SSM JSON, or EC2's XML)."""
    from botocore.exceptions import ClientError

    from app.core.aws.client import translate

    code, message = f"HTTP{status}", ""
    if raw.lstrip().startswith(b"<"):
        import xml.etree.ElementTree as ET  # AWS's own error document; expat resolves no entities

        try:
            root = ET.fromstring(raw)  # noqa: S314
            code = next((e.text or code for e in root.iter() if e.tag.endswith("Code")), code)
            message = next((e.text or "" for e in root.iter() if e.tag.endswith("Message")), "")
        except ET.ParseError:
            pass
    else:
        try:
            doc = json.loads(raw or b"{}")
        except ValueError:
            doc = {}
        if isinstance(doc, dict):
            code = str(doc.get("__type") or doc.get("code") or code).rsplit("#", 1)[-1]
            message = str(doc.get("message") or doc.get("Message") or "")
    exc = ClientError({"Error": {"Code": code, "Message": message}}, operation)
    return translate(exc, doing)


def _post(plan: Plan, service: str, endpoint: str, extra: dict[str, str], body: bytes, *,
          operation: str, doing: str, attempts: int, timeout: float) -> bytes:
    """A signed POST, retried on throttling, 5xx and network errors with a short backoff."""
    if urlsplit(endpoint).scheme not in ("https", "http"):
        raise NetworkError(f"{doing}: the endpoint {endpoint!r} is not an http(s) URL.",
                           f"Check AWS_ENDPOINT_URL_{_env_name(service)} / AWS_ENDPOINT_URL.")

    def request() -> urllib.request.Request:  # signed afresh for each attempt
        headers = _sign_request(plan, service, endpoint, extra, body,
                                now=_dt.datetime.now(_dt.UTC))
        # The scheme was checked above: http(s) only.
        return urllib.request.Request(endpoint, data=body, headers=headers,  # noqa: S310
                                      method="POST")

    return _fetch(request, plan.ca_bundle, operation=operation, doing=doing,
                  attempts=attempts, timeout=timeout)


def _fetch(request: Callable[[], urllib.request.Request], ca_bundle: str | None, *,
           operation: str, doing: str, attempts: int, timeout: float) -> bytes:
    """Send, retrying throttling, 5xx and network errors with a short backoff."""
    from app.core.aws import retries

    started = time.monotonic()
    attempt = 0
    while True:  # each pass returns, raises, or retries; at least one attempt is made
        if attempt:
            retries.notice(attempt, started, doing)
        req = request()
        context = _context(req.full_url, ca_bundle, doing)
        last = attempt + 1 >= attempts
        try:
            with urllib.request.urlopen(req, timeout=timeout,  # noqa: S310
                                        context=context) as resp:
                data: bytes = resp.read()
                return data
        except urllib.error.HTTPError as exc:
            err = _error(exc.code, exc.read(), operation, doing)
            if last or not (getattr(err, "code", "") in _RETRYABLE or exc.code >= 500):
                raise err from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            if last:
                raise NetworkError(f"{doing}: AWS could not be reached ({exc}).",
                                   "Check your network connection or VPN, then retry.") from exc
        time.sleep(0.2 * 2 ** attempt)
        attempt += 1


def sso_role_credentials(region: str, token: str, account_id: str, role_name: str,
                         ca_bundle: str | None = None,
                         profile_fields: dict[str, str] | None = None) -> Credentials | None:
    """sso:GetRoleCredentials: one GET with the bearer token (the portal API is not signed).

    None when only botocore can say where the portal is; errors as GangwayErrors.
    """
    from urllib.parse import urlencode

    base = endpoint_for(region, profile_fields, "sso")
    if base is None:
        return None
    url = base.rstrip("/") + "/federation/credentials?" + urlencode(
        {"role_name": role_name, "account_id": account_id})
    if urlsplit(url).scheme not in ("https", "http"):
        return None

    def request() -> urllib.request.Request:
        return urllib.request.Request(url, headers={  # noqa: S310 - http(s), checked above
            "x-amz-sso_bearer_token": token, "accept": "application/json"}, method="GET")

    raw = _fetch(request, ca_bundle, operation="GetRoleCredentials",
                 doing="Getting the SSO role credentials", attempts=3, timeout=30.0)
    found = json.loads(raw or b"{}").get("roleCredentials") or {}
    if not found.get("accessKeyId"):
        return None
    expires = found.get("expiration")
    return Credentials(str(found["accessKeyId"]), str(found.get("secretAccessKey", "")),
                       found.get("sessionToken") or None,
                       _dt.datetime.fromtimestamp(int(expires) / 1000, _dt.UTC)
                       if expires else None)


def call(plan: Plan, operation: str, params: dict[str, Any], doing: str, *,
         attempts: int = 3, timeout: float = 30.0) -> dict[str, Any]:
    """One SSM JSON call."""
    return json_call(plan, ("ssm", plan.endpoint_url, _TARGET_PREFIX + operation), params,
                     doing, attempts=attempts, timeout=timeout)


def json_call(plan: Plan, where: tuple[str, str, str], params: dict[str, Any], doing: str, *,
              attempts: int = 3, timeout: float = 30.0) -> dict[str, Any]:
    """One AWS JSON 1.1 call; `where` is (service, endpoint, X-Amz-Target)."""
    service, endpoint, target = where
    operation = target.rsplit(".", 1)[-1]
    raw = _post(plan, service, endpoint, {
        "content-type": _CONTENT_TYPE, "x-amz-target": target},
        json.dumps(params).encode(), operation=operation, doing=doing, attempts=attempts,
        timeout=timeout)
    result: dict[str, Any] = json.loads(raw or b"{}")
    return result


class Lookup:
    """`sessions.targets.Lookup` without boto3: EC2's query protocol and SSM's JSON one."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.region = plan.region

    def instances(self, key: str, value: str, states: tuple[str, ...]) -> list[Match]:
        """A signed form POST per page, an XML answer; `value` is only a form value."""
        form: dict[str, str] = {"Filter.1.Name": f"tag:{key}", "Filter.1.Value.1": value,
                                "Filter.2.Name": "instance-state-name"}
        for i, state in enumerate(states, 1):
            form[f"Filter.2.Value.{i}"] = state
        return self._describe(form, f"Looking up the instance named {value!r}")

    def zone(self, instance_id: str) -> str | None:
        """The instance's Availability Zone (None: EC2 does not know the instance)."""
        found = self._describe({"Filter.1.Name": "instance-id", "Filter.1.Value.1": instance_id},
                               f"Looking up the Availability Zone of {instance_id}")
        return found[0].zone if found else None

    def _describe(self, filters: dict[str, str], doing: str) -> list[Match]:
        import xml.etree.ElementTree as ET
        from urllib.parse import urlencode

        if self.plan.ec2_endpoint is None:
            raise ValueError("no EC2 endpoint in this plan")
        form = {"Action": "DescribeInstances", "Version": "2016-11-15", **filters}
        found: list[Match] = []
        token = ""
        while True:
            body = urlencode({**form, **({"NextToken": token} if token else {})}).encode()
            raw = _post(self.plan, "ec2", self.plan.ec2_endpoint, {
                "content-type": "application/x-www-form-urlencoded; charset=utf-8"}, body,
                operation="DescribeInstances", doing=doing, attempts=3, timeout=30.0)
            root = ET.fromstring(raw)  # noqa: S314 - AWS's response; expat resolves no entities
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            for inst in root.iter(f"{ns}instancesSet"):
                for item in inst.findall(f"{ns}item"):
                    iid = item.findtext(f"{ns}instanceId")
                    if iid:
                        found.append(Match(iid, item.findtext(f"{ns}instanceState/{ns}name")
                                           or "", _iso(item.findtext(f"{ns}launchTime")),
                                           item.findtext(f"{ns}placement/{ns}availabilityZone")))
            token = root.findtext(f"{ns}nextToken") or ""
            if not token:
                return found

    def state(self, instance_id: str) -> str | None:
        import xml.etree.ElementTree as ET
        from urllib.parse import urlencode

        if self.plan.ec2_endpoint is None:
            raise ValueError("no EC2 endpoint in this plan")
        body = urlencode({"Action": "DescribeInstances", "Version": "2016-11-15",
                          "InstanceId.1": instance_id}).encode()
        try:
            raw = _post(self.plan, "ec2", self.plan.ec2_endpoint, {
                "content-type": "application/x-www-form-urlencoded; charset=utf-8"}, body,
                operation="DescribeInstances", doing="Checking the instance", attempts=2,
                timeout=10.0)
        except Exception as exc:
            if str(getattr(exc, "code", "")).startswith("InvalidInstanceID"):
                return None
            raise
        root = ET.fromstring(raw)  # noqa: S314 - AWS's response; expat resolves no entities
        ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
        for item in root.iter(f"{ns}instanceState"):
            return item.findtext(f"{ns}name") or ""
        return None

    def nodes(self, key: str, value: str) -> list[Match]:
        found: list[Match] = []
        params: dict[str, Any] = {"Filters": [{"Key": f"tag:{key}", "Values": [value]}]}
        while True:
            page = call(self.plan, "DescribeInstanceInformation", params,
                        f"Looking up the managed node named {value!r}")
            for info in page.get("InstanceInformationList", []):
                when = info.get("RegistrationDate")
                found.append(Match(str(info["InstanceId"]), str(info.get("PingStatus", "")),
                                   _dt.datetime.fromtimestamp(float(when), _dt.UTC)
                                   if isinstance(when, int | float) else None))
            if not page.get("NextToken"):
                return found
            params["NextToken"] = page["NextToken"]


def _iso(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class InstanceConnect:
    """`sessions.keypush.InstanceConnect` without boto3: EC2 Instance Connect's JSON 1.1 API
    (target prefix `AWSEC2InstanceConnectService.`) and EC2 for the Availability Zone."""

    TARGET_PREFIX = "AWSEC2InstanceConnectService."

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.region = plan.region
        self._lookup = Lookup(plan)

    def availability_zone(self, instance_id: str) -> str | None:
        return self._lookup.zone(instance_id)

    def send_ssh_public_key(self, instance_id: str, os_user: str, public_key: str,
                            zone: str | None) -> None:
        if self.plan.eic_endpoint is None:
            raise ValueError("no EC2 Instance Connect endpoint in this plan")
        params = {"InstanceId": instance_id, "InstanceOSUser": os_user,
                  "SSHPublicKey": public_key, **({"AvailabilityZone": zone} if zone else {})}
        # One attempt and a short timeout: the key is good for 60 s, and ssh is waiting.
        json_call(self.plan, ("ec2-instance-connect", self.plan.eic_endpoint,
                              self.TARGET_PREFIX + "SendSSHPublicKey"), params,
                  f"Pushing the SSH key to {instance_id}", attempts=2, timeout=10.0)


class SsmClient:
    """The SSM calls of `sessions.api` (its `SsmCalls` protocol) over this module's SigV4."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.region = plan.region
        self.endpoint_url = plan.endpoint_url

    def call(self, operation: str, params: dict[str, Any], doing: str) -> dict[str, Any]:
        quick = operation == "TerminateSession"  # best effort on the way out: do not linger
        return call(self.plan, operation, params, doing, attempts=1 if quick else 3,
                    timeout=5.0 if quick else 30.0)
