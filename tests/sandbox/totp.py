"""RFC 6238 TOTP (30 s step, 6 digits, HMAC-SHA1): what virtual MFA devices compute."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP = 30
DIGITS = 6


def _decode(secret_b32: str) -> bytes:
    padded = secret_b32.upper() + "=" * (-len(secret_b32) % 8)
    return base64.b32decode(padded)


def code_at(secret_b32: str, counter: int) -> str:
    digest = hmac.new(_decode(secret_b32), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def now(secret_b32: str, at: float | None = None) -> str:
    return code_at(secret_b32, int((time.time() if at is None else at) // STEP))


def verify(secret_b32: str, code: str, at: float | None = None, window: int = 1) -> bool:
    """Accept the current step and +/- ``window`` steps, as AWS tolerates small clock skew."""
    if not (code.isdigit() and len(code) == DIGITS):
        return False
    counter = int((time.time() if at is None else at) // STEP)
    return any(
        hmac.compare_digest(code_at(secret_b32, counter + d), code)
        for d in range(-window, window + 1)
    )
