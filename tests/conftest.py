"""Shared fixtures: the local AWS sandbox and an isolated, standard-settings-only environment.

- ``sandbox`` (session): moto + gateway subprocess, a real sshd, seeded users/MFA/fleet.
- ``aws_env`` (function): a fresh HOME with ~/.aws files for the sandbox profiles, and only
  standard settings exported (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
  AWS_ENDPOINT_URL_<SERVICE>, PATH, HOME, XDG_*, GANGWAY_HOME, AWS_EC2_METADATA_DISABLED).
- ``require_program(name)`` / ``@pytest.mark.needs_program(name)``: skip when a system program
  is missing, but fail under ``CI=true`` where a missing program is a broken runner.
"""

from __future__ import annotations

import os
import shutil
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the sandbox package lives under tests/; tests/ is not a package
    sys.path.insert(0, str(ROOT))

from tests.sandbox.sandbox import Sandbox  # noqa: E402
from tests.sandbox.sshd import SSHD, SshServer  # noqa: E402

_started: list[Sandbox] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_program(name: str) -> str:
    """Return the program's path; skip the test if it is missing (fail under CI=true)."""
    path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
    if path:
        return path
    message = f"required program {name!r} is not installed"
    if in_ci():
        pytest.fail(f"{message} (CI=true: missing programs are failures, not skips)")
    pytest.skip(message)


def threads_waiting_in(path_suffix: str, function: str) -> int:
    """How many threads are blocked (in a threading wait) somewhere below ``function`` of the
    module whose file ends with ``path_suffix``: the real condition "every consumer has joined",
    instead of a sleep that hopes so. Qt pool threads count too (they have Python frames)."""
    count = 0
    for frame in sys._current_frames().values():
        names: list[tuple[str, str]] = []
        f: types.FrameType | None = frame
        while f is not None:
            names.append((f.f_code.co_filename, f.f_code.co_name))
            f = f.f_back
        blocked = bool(names) and names[0][0].endswith("threading.py") and \
            names[0][1] == "wait"
        if blocked and any(n.endswith(path_suffix) and fn == function for n, fn in names):
            count += 1
    return count


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs_program"):
        for name in marker.args:
            require_program(name)
    if item.get_closest_marker("linux_only") and not sys.platform.startswith("linux"):
        pytest.skip("Linux-only test")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The whole local AWS: started once per test session, torn down at the end."""
    workdir = tmp_path_factory.mktemp("sandbox")
    with_sshd = os.access(SSHD, os.X_OK) and shutil.which("ssh-keygen") is not None
    sb = Sandbox.start(workdir, with_sshd=with_sshd)
    _started.append(sb)
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def sshd(sandbox: Sandbox) -> SshServer:
    """The sandbox's real OpenSSH server (skip, or fail under CI, when sshd is missing)."""
    require_program(SSHD)
    require_program("ssh")
    assert sandbox.sshd is not None
    return sandbox.sshd


@dataclass
class AwsEnv:
    home: Path
    env: dict[str, str]  # exactly the settings exported for this test
    config_file: Path
    credentials_file: Path
    sandbox: Sandbox

    def subprocess_env(self) -> dict[str, str]:
        """The current process environment (already patched), for child processes."""
        return dict(os.environ)


@pytest.fixture
def aws_env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AwsEnv:
    """A private HOME wired to the sandbox through standard settings only."""
    sandbox.reset()  # faults, throttles, per-test rules, sessions, plugin log
    home = tmp_path / "home"
    env = sandbox.prepare_home(home)
    for key in list(os.environ):
        if key.startswith("AWS_"):  # no real credentials/profile/region may leak in
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return AwsEnv(
        home, env, Path(env["AWS_CONFIG_FILE"]), Path(env["AWS_SHARED_CREDENTIALS_FILE"]), sandbox
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for sb in _started:
        t = sb.timings
        terminalreporter.write_line(
            "sandbox startup: "
            + ", ".join(f"{k}={v:.2f}s" for k, v in t.items())
            + f" ({len(sb.fleet.nodes)} nodes in {len(sb.fleet.regions)} regions)"
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A real PostgreSQL server on a loopback port (Debian's `postgresql`), user `app`."""
    from tests.sandbox.services import postgres_bin, running_postgres

    if postgres_bin() is None:
        require_program("/usr/lib/postgresql/*/bin/pg_ctl")
    if os.geteuid() == 0:
        require_program("runuser")
    with running_postgres() as pg:
        yield pg


@pytest.fixture(scope="session")
def http_server() -> Iterator[int]:
    """A real HTTP server on a loopback port; yields its port."""
    from tests.sandbox.services import running_http

    with running_http() as port:
        yield port
