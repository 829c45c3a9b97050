"""The fixture helpers themselves: require_program, the fleet plan, the TOTP implementation."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import require_program
from tests.sandbox import totp
from tests.sandbox.fleet import BENCH_REGIONS, HOSTILE_NAMES, plan_fleet


def test_missing_program_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_program("gangway-no-such-program")


def test_missing_program_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_program("gangway-no-such-program")


def test_present_program_returns_its_path() -> None:
    assert require_program("sh").endswith("/sh")


def test_fleet_plan_is_deterministic_and_covers_the_interesting_cases() -> None:
    a = plan_fleet(300, seed=7)
    assert a == plan_fleet(300, seed=7)
    assert len(a) == 300
    names = {n.name for n in a}
    assert set(HOSTILE_NAMES) <= names and {"web-1.prod", "bastion"} <= names
    assert {n.platform for n in a} == {"Linux", "Windows"}
    assert {n.state for n in a} >= {"running", "stopped"}
    assert {n.ping for n in a} == {"Online", "ConnectionLost", "Inactive", None}
    agents = {n.agent_version for n in a if n.managed}
    assert any(v.startswith("2.2.") for v in agents) and any(v.startswith("3.0.") for v in agents)
    assert any(n.tags.get("Purpose") == "jumpbox" for n in a)
    big = plan_fleet(2000, regions=BENCH_REGIONS)
    assert len(big) == 2000 and {n.region for n in big} == set(BENCH_REGIONS)


def test_totp_matches_rfc_6238_vector() -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.now(secret, at=59) == "287082"  # RFC 6238 appendix B, truncated to 6 digits
    assert totp.verify(secret, "287082", at=59 + 30)  # one step of clock skew is accepted
    assert not totp.verify(secret, "287082", at=59 + 90)
