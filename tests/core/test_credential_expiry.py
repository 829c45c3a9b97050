"""Cached temporary credentials: no expiry counts as expired, an expiry beyond 36 h is
refused; long-term keys moved to the keyring are not affected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.types import (
    CACHE_PREFIX,
    KEYS_PREFIX,
    MAX_TEMPORARY_LIFETIME,
    Credentials,
    format_time,
)
from app.core.secrets import MemoryStore

NOW = datetime.now(UTC)


def _doc(expiration: datetime | None) -> str:
    doc = {"Version": 1, "AccessKeyId": "ASIAEXAMPLEEXAMPLE", "SecretAccessKey": "s",
           "SessionToken": "t"}
    if expiration is not None:
        doc["Expiration"] = format_time(expiration)
    return json.dumps(doc)


@pytest.mark.parametrize(("expiration", "hit"), [
    (None, False),                                  # no Expiration: expired
    (datetime(2099, 1, 1, tzinfo=UTC), False),      # the forged 2099 expiry
    (NOW + MAX_TEMPORARY_LIFETIME + timedelta(minutes=5), False),
    (NOW + timedelta(hours=12), True),
    (NOW + timedelta(minutes=5), False),            # too close to expiry
])
def test_cache_hits_need_a_real_expiry(expiration: datetime | None, hit: bool) -> None:
    store = MemoryStore()
    store.set(CACHE_PREFIX + "p", _doc(expiration))
    service = CredentialService(store)
    assert (service.cached("p") is not None) is hit
    if expiration is not None and expiration > NOW + MAX_TEMPORARY_LIFETIME:
        assert service.expiry("p") is None  # never shown as "valid until 2099"


def test_implausible_credentials_are_never_cached() -> None:
    store = MemoryStore()
    service = CredentialService(store)
    service.remember("p", Credentials("ASIAX", "s", "t", datetime(2099, 1, 1, tzinfo=UTC)))
    service.remember("q", Credentials("ASIAX", "s", "t", None))
    assert store.get(CACHE_PREFIX + "p") is None and store.get(CACHE_PREFIX + "q") is None
    service.remember("r", Credentials("ASIAX", "s", "t", NOW + timedelta(hours=1)))
    assert store.get(CACHE_PREFIX + "r") is not None


def test_long_term_keys_in_the_keyring_have_no_expiry_and_stay_usable() -> None:
    store = MemoryStore()
    store.set(KEYS_PREFIX + "p", json.dumps({"Version": "1", "AccessKeyId": "AKIAX",
                                             "SecretAccessKey": "s"}))
    keys = CredentialService(store).stored_keys("p")
    assert keys is not None and keys.expiration is None and keys.usable()
