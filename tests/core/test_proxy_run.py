"""`proxy.run` in-process against the sandbox: a failure before StartSession is in the history."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.sessions import proxy
from app.core.aws.sessions.history import SessionHistory
from app.core.errors import GangwayError
from app.core.secrets import MemoryStore


def test_push_key_without_a_key_store_fails_before_any_call_and_is_recorded(
        aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = SessionHistory(tmp_path)
    req = proxy.ProxyRequest(profile="default", region=None, host="web-1.prod", port=22,
                             push_key="ec2-user")
    with pytest.raises(GangwayError) as err:
        proxy.run(CredentialService(MemoryStore(), prompt=None), req, history=history)
    assert err.value.message == "No ephemeral key store was given for --push-key."
    assert aws_env.sandbox.control.sessions() == []  # nothing was started
    (row,) = history.records()
    assert (row.profile, row.target, row.document, row.ended) == (
        "default", "web-1.prod", "AWS-StartSSHSession",
        "error: No ephemeral key store was given for --push-key.")
