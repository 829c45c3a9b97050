"""A private D-Bus session with a real gnome-keyring-daemon, for keyring integration tests.

Started with a test password on stdin (`--unlock`), under the test's own HOME, and stopped
(terminated and reaped) at the end; nothing touches the user's real keyring.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "gangway-test-password"


@dataclass
class KeyringSession:
    address: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def lock(self) -> None:
        """Lock the default collection, as a screen lock or `seahorse` would."""
        import secretstorage

        conn = secretstorage.dbus_init()
        try:
            secretstorage.get_default_collection(conn).lock()
        finally:
            conn.close()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        for proc in self.procs:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def start(home: Path, base_env: dict[str, str], unlock: bool = True) -> KeyringSession:
    # No display: a locked collection must fail fast, not wait on a gcr-prompter window.
    env = {k: v for k, v in base_env.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")}
    env["HOME"] = str(home)
    runtime = Path(env.setdefault("XDG_RUNTIME_DIR", str(home / ".runtime")))
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert dbus.stdout is not None
    address = dbus.stdout.readline().decode().strip()
    session = KeyringSession(address, {**env, "DBUS_SESSION_BUS_ADDRESS": address}, [dbus])
    try:
        # gnome-keyring-daemon sometimes registers the service but never creates the login
        # collection from the password it was given (seen about 1 start in 6 on a loaded
        # machine); a fresh daemon then does. Only the last try's failure is raised.
        for attempt in range(1, 4):
            keyring = _start_daemon(session, unlock)
            try:
                _wait_for_service(session, timeout=5.0 if attempt < 3 else 15.0,
                                  unlocked=unlock)
                break
            except TimeoutError:
                if attempt == 3:
                    raise
                session.procs.remove(keyring)
                keyring.terminate()
                keyring.wait(timeout=5)
    except BaseException:
        session.stop()
        raise
    return session


def _start_daemon(session: KeyringSession, unlock: bool) -> subprocess.Popen[bytes]:
    argv = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
    if unlock:
        argv.append("--unlock")
    keyring = subprocess.Popen(argv, env=session.env, stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session.procs.append(keyring)
    assert keyring.stdin is not None
    if unlock:
        keyring.stdin.write(PASSWORD.encode())
    keyring.stdin.close()
    return keyring


def _wait_for_service(session: KeyringSession, timeout: float = 15.0,
                      unlocked: bool = True) -> None:
    """Until org.freedesktop.secrets answers on the bus (the daemon registers it late) and,
    with `unlocked`, its login collection exists and is open: the daemon creates it from the
    password on stdin after it registers, and a write before that would ask a prompt (which
    fails without a display) to create one."""
    import secretstorage
    from jeepney.wrappers import DBusErrorResponse

    old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.address
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                conn = secretstorage.dbus_init()
                try:
                    # Owned, not merely activatable: a call before our daemon owns the name
                    # makes the bus start another gnome-keyring (from its service file, with
                    # no password), which can win the name and outlive the test.
                    if _owned(conn) and (not unlocked or _login_open(conn)):
                        return
                finally:
                    conn.close()
            except (secretstorage.exceptions.SecretServiceNotAvailableException,
                    secretstorage.exceptions.ItemNotFoundException, DBusErrorResponse, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("gnome-keyring-daemon did not come up on the session bus")
            time.sleep(0.05)
    finally:
        if old is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = old


def _owned(conn: object) -> bool:
    from jeepney import message_bus
    from jeepney.wrappers import unwrap_msg

    reply = conn.send_and_get_reply(  # type: ignore[attr-defined]
        message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=2)
    return bool(unwrap_msg(reply)[0])


def _login_open(conn: object) -> bool:
    """The default collection exists (no create prompt) and is unlocked."""
    from secretstorage.collection import DEFAULT_COLLECTION, Collection

    return not Collection(conn, DEFAULT_COLLECTION).is_locked()  # type: ignore[arg-type]
