"""The sandbox outside pytest, as a context manager (screenshots, benchmarks, ad-hoc runs)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from .sandbox import Sandbox


@contextlib.contextmanager
def running_sandbox(root: Path, fleet_size: int = 300) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """Start the sandbox under `root`, prepare a HOME there, yield (sandbox, environment).

    The environment holds only standard settings (AWS_CONFIG_FILE, AWS_ENDPOINT_URL_*, PATH,
    HOME, XDG_*, GANGWAY_HOME); apply it to a child process or to os.environ.
    """
    sandbox = Sandbox.start(root / "sandbox", fleet_size=fleet_size)
    try:
        env = Sandbox.scrubbed_environ()
        env.update(sandbox.prepare_home(root / "home"))
        yield sandbox, env
    finally:
        sandbox.stop()
