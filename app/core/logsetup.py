"""Logging to a rotating file, with secrets redacted before any handler sees them."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

# Patterns for what must never reach a log: access key ids, secret keys, session tokens,
# SSM stream tokens and bearer tokens. Over-redacting is fine; leaking is not.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Whole Authorization headers (SigV4 or bearer), whatever follows the name.
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*)[^\n]+"), r"\1[REDACTED]"),
    # XML replies (STS, IAM): <SecretAccessKey>, <SessionToken>, <...Password> elements.
    (re.compile(r"(?i)(<(\w*(?:secret|token|password)\w*)>)[^<]*(</\2>)"), r"\1[REDACTED]\3"),
    (re.compile(r"\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"), r"\1****"),
    # Any `name = value` / "name": "value" whose name speaks of a secret, token or password
    # (aws_secret_access_key, secret_key, SessionToken, client_secret, x-amz-security-token).
    (
        re.compile(
            r"""(?ix)
            (["']?[\w.-]*(?:secret|token|password|passwd)[\w.-]*["']?\s*[:=]\s*["']?)
            ([^\s"',}]+)
            """
        ),
        r"\1[REDACTED]",
    ),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[REDACTED]"),
    # Stream URLs carry the session id; the token travels separately but be safe with queries.
    (re.compile(r"(?i)((?:token|X-Amz-Signature|X-Amz-Credential)=)[^&\s\"']+"), r"\1[REDACTED]"),
    # Bare secrets with no name before them: a 40-character secret access key (as printed
    # after its AKIA id), and the long base64 of session tokens.
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), "[REDACTED]"),
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])"), "[REDACTED]"),
)


def redact(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message so no handler can emit a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(log_file: Path, level: int = logging.INFO, *, stderr: bool = False) -> None:
    """Root logger -> rotating file (1 MB x 5, 0600) with redaction; optional stderr echo."""
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    log_file.chmod(0o600)
    handlers: list[logging.Handler] = [handler]
    if stderr:
        handlers.append(logging.StreamHandler())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFilter())
        root.addHandler(h)
    root.setLevel(level)
    # botocore logs full requests at DEBUG; keep it at WARNING unless asked.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
