"""SigV4 signature verification (the gateway knows every secret it accepts).

Recomputes the signature from the request as received, following the AWS Signature Version 4
spec as botocore implements it for non-S3 services.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl, quote, urlsplit

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<sig>[0-9a-f]+)"
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))


def verify(method: str, raw_path: str, headers: dict[str, str], body: bytes, secret: str) -> bool:
    """True when the ``Authorization`` header's signature matches ``secret``."""
    m = _AUTH_RE.match(headers.get("authorization", ""))
    if not m:
        return False
    scope_parts = m["cred"].split("/")
    if len(scope_parts) != 5:
        return False
    _akid, date, region, service, terminator = scope_parts
    split = urlsplit(raw_path)
    signed = m["signed"].split(";")
    try:
        canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in signed)
    except KeyError:
        return False
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [
            method,
            quote(split.path or "/", safe="/~"),
            _canonical_query(split.query),
            canonical_headers,
            m["signed"],
            payload_hash,
        ]
    )
    amz_date = headers.get("x-amz-date", "")
    scope = f"{date}/{region}/{service}/{terminator}"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode("utf-8"), date)
    for part in (region, service, terminator):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, m["sig"])
