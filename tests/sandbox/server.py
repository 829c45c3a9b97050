"""Sandbox server process: ``python -m tests.sandbox.server --state-dir DIR``.

Starts moto (EC2, STS, IAM, SSM Parameter Store) and the gateway on random loopback ports, then
writes ``DIR/endpoints.json``. Runs as its own process so benchmarks measure real concurrency.
Exits on SIGTERM/SIGINT or when its parent dies (stdin closes), so a crashed test run never
leaves it behind.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches EOF")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    args.state_dir.mkdir(parents=True, exist_ok=True)
    # moto reads these at import. Its default image set adds ~1,250 "latest" AMIs per region,
    # which every RunInstances scans per instance; the 44 classic ones are all the fleet needs.
    os.environ["MOTO_AMIS_PATH"] = str(_write_amis(args.state_dir))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    from .gateway import Gateway
    from .state import State

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_host, moto_port = moto.get_host_and_port()
    gw = Gateway(State(), moto_host, moto_port)
    thread = threading.Thread(target=gw.serve_forever, name="gateway", daemon=True)
    thread.start()
    from .tls import make_ca_and_cert

    ca, cert, key = make_ca_and_cert(args.state_dir / "tls")
    tls_url = gw.serve_tls(str(cert), str(key))

    # Import the heavy moto backends now, off the critical path, while the fixture starts sshd.
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if args.watch_stdin:
        threading.Thread(target=_wait_stdin_eof, args=(stop,), daemon=True).start()

    endpoints = {
        "gateway": gw.url,
        "moto": gw.moto_url,
        "control": f"{gw.url}/_sandbox",
        "gateway_tls": tls_url,  # the same gateway over HTTPS, certified by tls_ca only
        "tls_ca": str(ca),
        "pid": os.getpid(),
        "startup_seconds": round(time.perf_counter() - started, 3),
    }
    tmp = args.state_dir / "endpoints.json.tmp"
    tmp.write_text(json.dumps(endpoints))
    tmp.replace(args.state_dir / "endpoints.json")  # atomic: the fixture never reads half a file

    stop.wait()
    gw.shutdown()
    # moto holds nothing worth flushing and its werkzeug shutdown polls slowly: just leave.
    sys.stdout.flush()
    os._exit(0)


def _warm_up() -> None:
    from moto.ec2.models import ec2_backends
    from moto.iam.models import iam_backends  # noqa: F401
    from moto.ssm.models import ssm_backends  # noqa: F401
    from moto.sts.models import sts_backends  # noqa: F401

    ec2_backends["123456789012"]["us-east-1"]


def _write_amis(state_dir: Path) -> Path:
    import gzip
    from importlib.resources import files

    path = state_dir / "amis.json"
    if not path.exists():
        raw = files("moto").joinpath("ec2/resources/amis.json.gz").read_bytes()
        path.write_bytes(gzip.decompress(raw))
    return path


def _wait_stdin_eof(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(1024):
            pass
    except OSError:
        pass
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
