"""Run Gangway against the local AWS sandbox: ``make demo`` (``.venv/bin/python scripts/demo.py``).

Starts the sandbox (the same code the pytest fixture uses), writes a demo HOME with AWS config
and credentials, then runs ``python -m app`` with only standard settings pointing at it.
Closing the app or pressing Ctrl-C tears everything down.

    scripts/demo.py               launch the app
    scripts/demo.py --print-env   start the sandbox, print the environment, wait for Ctrl-C
    scripts/demo.py --totp        print the demo MFA device's current code and exit
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sandbox import totp  # noqa: E402
from tests.sandbox.sandbox import MFA_SECRET, MFA_SERIAL, Sandbox  # noqa: E402


def app_argv() -> list[str]:
    """How the demo launches the app: this interpreter, ``-m app`` (never a shell)."""
    return [sys.executable, "-m", "app"]


def write_ssh_files(sandbox: Sandbox, home: Path) -> None:
    """Let plain ``ssh i-...`` through the app reach the sandbox sshd without prompts."""
    if sandbox.sshd is None:
        return
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ssh_dir / "id_ed25519"
    key.write_bytes(sandbox.sshd.client_key.read_bytes())
    key.chmod(0o600)
    (ssh_dir / "id_ed25519.pub").write_bytes(
        sandbox.sshd.client_key.with_suffix(".pub").read_bytes()
    )
    # Every node is "the same" sshd, so one wildcard entry pins its key for all instance ids.
    (ssh_dir / "known_hosts").write_text(f"i-*,mi-* {sandbox.sshd.host_key_pub}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--print-env", action="store_true", help="print the environment and wait")
    parser.add_argument("--totp", action="store_true", help="print the demo MFA code and exit")
    parser.add_argument("--home", type=Path, default=ROOT / "build" / "demo-home")
    parser.add_argument("--size", type=int, default=300, help="number of nodes in the fleet")
    args = parser.parse_args(argv)

    if args.totp:
        print(totp.now(MFA_SECRET))
        return 0

    started = time.perf_counter()
    workdir = args.home.parent / "demo-sandbox"
    sandbox = Sandbox.start(workdir, fleet_size=args.size)
    try:
        env = Sandbox.scrubbed_environ()
        env.update(sandbox.prepare_home(args.home))
        write_ssh_files(sandbox, args.home)
        (args.home / "sandbox-env.json").write_text(json.dumps(sandbox.env, indent=2))
        print(
            f"Sandbox ready in {time.perf_counter() - started:.1f}s: {sandbox.gateway}", flush=True
        )
        print(f"  fleet: {len(sandbox.fleet.nodes)} nodes in {', '.join(sandbox.fleet.regions)}")
        print(f"  profiles: {', '.join(sandbox.profiles)}")
        print(f"  MFA device {MFA_SERIAL}: code via `{sys.executable} scripts/demo.py --totp`")
        if sandbox.sshd is not None:
            print(f"  ssh login user on every node: {sandbox.sshd.user}")
        if args.print_env:
            for key, value in sorted(sandbox.env.items()):
                print(f"export {key}={shlex.quote(value)}")
            done = threading.Event()

            def _stop(signum: int, frame: FrameType | None) -> None:
                done.set()

            # Handlers first, then the prompt: a Ctrl-C sent as soon as the prompt is read
            # must stop the sandbox cleanly, not kill the script with the default handler.
            signal.signal(signal.SIGINT, _stop)
            signal.signal(signal.SIGTERM, _stop)
            print("Press Ctrl-C to stop the sandbox.", flush=True)
            done.wait()
            return 0
        app = subprocess.Popen(app_argv(), cwd=ROOT, env=env)
        try:
            return app.wait()
        except KeyboardInterrupt:
            # The app also received SIGINT from the terminal; give it time to stop its tunnels.
            try:
                return app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.terminate()
                return app.wait()
    finally:
        sandbox.stop()
        print("Sandbox stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
