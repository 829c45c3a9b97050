"""Secrets never reach the log file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.core.logsetup import RedactingFilter, redact, setup_logging

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"


@pytest.mark.parametrize(
    "text",
    [
        "key AKIAIOSFODNN7EXAMPLE used",
        "temp ASIAIOSFODNN7EXAMPLE used",
        f"aws_secret_access_key = {SECRET}",
        f'{{"SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}"}}',
        f"'TokenValue': '{TOKEN}'",
        f"Authorization: Bearer {TOKEN}",
        f"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=x&token={TOKEN}",
        f"x-amz-security-token={TOKEN}",
    ],
)
def test_redact_hides_keys_and_tokens(text: str) -> None:
    out = redact(text)
    assert "IOSFODNN7EXAMPLE" not in out
    assert SECRET not in out
    assert TOKEN not in out


def test_redact_keeps_ordinary_text() -> None:
    text = "Started session alice-0a1b2c3d on i-0123456789abcdef0 in eu-west-1"
    assert redact(text) == text


def test_log_file_never_contains_secret_from_args_or_traceback(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "gangway.log"
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(log_file)
    try:
        logger = logging.getLogger("test.redaction")
        logger.info("credentials %s", {"SecretAccessKey": SECRET})
        try:
            raise RuntimeError(f"aws_session_token={TOKEN}")
        except RuntimeError:
            logger.exception("failed")
        for h in root.handlers:
            h.flush()
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
    content = log_file.read_text()
    assert "failed" in content and "[REDACTED]" in content
    assert SECRET not in content and TOKEN not in content
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


def test_filter_survives_a_broken_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("only-one",), None)
    assert RedactingFilter().filter(record)
    assert "%s" in record.getMessage()


@pytest.mark.parametrize(
    "text",
    [
        f"secret_key={SECRET}",
        f"creds(access_key=AKIAIOSFODNN7EXAMPLE, secret_key='{SECRET}')",
        f"<SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken>",
        f"keys AKIAIOSFODNN7EXAMPLE {SECRET}",
        f"AKIAIOSFODNN7EXAMPLE:{SECRET}",
        "token " + TOKEN * 4,
    ],
)
def test_redact_closes_the_known_gaps(text: str) -> None:
    out = redact(text)
    assert SECRET not in out and TOKEN not in out and "IOSFODNN7EXAMPLE" not in out, out


def test_redact_keeps_ids_and_paths_that_are_not_secrets() -> None:
    text = ("session s-0a1b2c3d4e5f60718 on mi-0123456789abcdef0, file "
            "/home/alice/.aws/config, request 8f14e45f-ceea-467f-a7a6-a1e2b3c4d5e6")
    assert redact(text) == text
