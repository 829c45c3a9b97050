"""`gangway --smoke-test` from the source tree on a real desktop session (Xvfb, a tray host,
D-Bus with gnome-keyring): every check passes, and the proxy check goes through this
checkout's own `proxy` helper to the sandbox sshd. The frozen build runs the same test in
tests/packaging; this one is measured by the suite's coverage."""

from __future__ import annotations

import sys

import pytest

from tests.packaging.desktop import desktop
from tests.packaging.helpers import SMOKE_TIMEOUT, assert_smoke_passed, run

pytestmark = [pytest.mark.linux_only, pytest.mark.needs_program("ssh")]

GANGWAY = [sys.executable, "-m", "app"]


def test_smoke_test_passes_from_source_on_a_desktop(aws_env, sshd) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    with desktop(aws_env.home, aws_env.subprocess_env()) as env:
        done = run([*GANGWAY, "--smoke-test"],
                   {**env, "GANGWAY_SMOKE_PROXY": f"default {node.instance_id} 22"},
                   timeout=SMOKE_TIMEOUT)
        unreachable = run([*GANGWAY, "--smoke-test"],
                          {**env, "GANGWAY_SMOKE_PROXY": "default i-0000000000000dead 22"},
                          timeout=SMOKE_TIMEOUT)
    assert_smoke_passed(done)
    assert f"proxy -> {node.instance_id}:22" in done.stdout
    assert unreachable.returncode == 1, unreachable.stdout
    assert unreachable.stdout.rstrip().endswith("smoke test FAILED: proxy"), unreachable.stdout
