"""A private desktop for running a built Gangway as a user would: Xvfb, a tray host (trayer,
an XEmbed system tray) and a session bus with an unlocked gnome-keyring."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.conftest import require_program
from tests.integration import keyring_session


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    xvfb = require_program("Xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not report a display number"
    return proc, f":{number}"


@contextmanager
def xvfb_display() -> Iterator[str]:
    """A private X server for the block: its DISPLAY value."""
    proc, display = start_xvfb()
    try:
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _start_tray(env: dict[str, str], attempts: int = 3, timeout: float = 10.0,
                ) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """trayer, once its window exists (it takes the XEmbed tray selection as it starts),
    and its log file (the caller closes it); started again if it dies on a display that is
    still settling."""
    errors = []
    for _ in range(attempts):
        # a file, not a pipe: a chatty trayer must never block; open for trayer's lifetime
        log = tempfile.TemporaryFile()  # noqa: SIM115
        proc = subprocess.Popen(["trayer", "--edge", "top", "--height", "24"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            found = subprocess.run(["xdotool", "search", "--classname", "trayer"],
                                   capture_output=True, text=True, env=env, check=False)
            if found.stdout.strip():
                time.sleep(0.3)
                return proc, log
            time.sleep(0.1)
        proc.kill()
        proc.wait(timeout=5)
        log.seek(0)
        err = log.read().decode(errors="replace").strip()[-300:]
        log.close()
        errors.append(f"exit {proc.returncode}: {err}")
    raise TimeoutError(f"trayer did not start: {errors}")


@contextmanager
def desktop(home: Path, base_env: dict[str, str], tray: bool = True) -> Iterator[dict[str, str]]:
    """An environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS) for a user session in `home`."""
    for program in ("trayer", "xdotool", "dbus-daemon", "gnome-keyring-daemon"):
        require_program(program)
    xvfb, display = start_xvfb()
    procs: list[subprocess.Popen[bytes]] = [xvfb]
    logs: list[IO[bytes]] = []
    keyring = None
    try:
        keyring = keyring_session.start(home, base_env)
        env = {**keyring.env, "DISPLAY": display}
        env.pop("QT_QPA_PLATFORM", None)  # the real xcb platform, as on a desktop
        env.pop("PYTHON_KEYRING_BACKEND", None)
        if tray:
            tray_proc, tray_log = _start_tray(env)
            procs.append(tray_proc)
            logs.append(tray_log)
        yield env
    finally:
        if keyring is not None:
            keyring.stop()
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for log in logs:
            log.close()
