"""The keyring when it is not simply there and open: a session bus with no Secret Service, an
item another tool stored as bytes, no default collection, a locked one under keyring's own
backend, a keyringrc.cfg that does not parse, and keyring's chainer backend. Real dbus-daemon
and gnome-keyring on private buses; the other client is secretstorage, as in
test_secret_service.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import secretstorage

from app.core import secret_service
from app.core.errors import KeyringUnavailableError
from app.core.secret_service import SecretServiceStore
from app.core.secrets import SERVICE, secret_service_get, secret_service_get_many
from tests.integration import keyring_session
from tests.integration.test_secret_service import BARE_SESSION_BUS

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]

ROOT = Path(__file__).resolve().parents[2]
UNUSABLE_HINT = ("Check that a keyring service (Keychain, Credential Manager, GNOME Keyring or "
                 "KWallet) is running, then retry.")


@pytest.fixture
def bare_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A session bus nobody serves org.freedesktop.secrets on (no keyring installed)."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    config = tmp_path / "session.conf"
    config.write_text(BARE_SESSION_BUS.format(dir=tmp_path), encoding="utf-8")
    bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                            "--print-address=1"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        bus.terminate()
        bus.wait(timeout=5)
        assert bus.stdout is not None
        bus.stdout.close()


def test_a_bus_without_a_secret_service_is_a_plain_error(bare_bus: str) -> None:
    store = SecretServiceStore(SERVICE, call_timeout=2.0)
    for action in (lambda: store.get("keys:prod"), lambda: store.set("keys:prod", "s"),
                   lambda: store.delete("keys:prod")):
        with pytest.raises(KeyringUnavailableError) as err:
            action()
        assert err.value.message == ("The OS keyring could not be used (D-Bus error "
                                     "org.freedesktop.DBus.Error.ServiceUnknown).")
        assert err.value.hint == UNUSABLE_HINT
    # The helper's hot path never raises: a miss, and the full store words the error.
    assert secret_service.read_unlocked(SERVICE, "keys:prod") is None
    assert secret_service_get_many(SERVICE, ["cache:prod", "keys:prod"]) == [None, None]
    assert not secret_service.available()


def test_a_session_bus_address_that_leads_nowhere_is_a_plain_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stale DBUS_SESSION_BUS_ADDRESS (the session that set it has ended).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'gone'}")
    with pytest.raises(KeyringUnavailableError) as err:
        SecretServiceStore(SERVICE).get("keys:prod")
    assert err.value.message == "The OS keyring could not be used (FileNotFoundError)."
    assert secret_service.read_unlocked(SERVICE, "keys:prod") is None
    assert not secret_service.available()


KEYRING_ACTIONS = """
from app.core.errors import KeyringUnavailableError
from app.core.secrets import KeyringStore
store = KeyringStore()
for action in (lambda: store.get("keys:prod"), lambda: store.set("keys:prod", "s"),
               lambda: store.delete("keys:prod")):
    try:
        action()
    except KeyringUnavailableError as exc:
        print(exc.message[:72], "|", exc.hint)
"""


def test_keyring_backend_failures_are_plain_errors(aws_env) -> None:  # type: ignore[no-untyped-def]
    # A user who set keyring's fail backend (or whose keyring has none): every call says so.
    # In a child: keyring discovers its backends once per process (see backend_in_child).
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run([sys.executable, "-c", KEYRING_ACTIONS], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    line = ("The OS keyring could not be used (NoKeyringError: No recommended backend | "
            + UNUSABLE_HINT)
    assert done.stdout.splitlines() == [line, line, line]


def test_an_item_stored_as_bytes_by_another_tool_is_named(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    with closing(secretstorage.dbus_init()) as conn:
        secretstorage.get_default_collection(conn).create_item(
            "binary", {"service": SERVICE, "username": "keys:bin"}, b"\xff\xfe\x00binary")
    store = SecretServiceStore(SERVICE)
    with pytest.raises(KeyringUnavailableError) as err:
        store.get("keys:bin")
    assert err.value.message == ("The OS keyring could not be used (the item for 'keys:bin' "
                                 "is not UTF-8 text).")
    store.delete("keys:bin")  # and it can be removed, so the user can enter the keys again
    assert store.get("keys:bin") is None


def test_deleting_with_no_default_collection_is_not_an_error(aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    session = keyring_session.start(aws_env.home, dict(os.environ), unlock=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
    try:
        store = SecretServiceStore(SERVICE)
        store.delete("keys:prod")  # nothing to delete, nowhere: no error
        assert store.get("keys:prod") is None
    finally:
        session.stop()


KEYRING_GET = """
from app.core.errors import KeyringUnavailableError
from app.core.secrets import KeyringStore
try:
    KeyringStore().get("keys:prod")
except KeyringUnavailableError as exc:
    print(exc.message, "|", exc.hint)
"""


def test_a_locked_collection_under_keyrings_backend_says_locked(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    SecretServiceStore(SERVICE).set("keys:prod", "secret")
    gnome_keyring.lock()
    # In a child: keyring discovers its backends once per process (see backend_in_child).
    done = subprocess.run([sys.executable, "-c", KEYRING_GET], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("The OS keyring is locked. | Unlock it (log in to the "
                                   "desktop) and retry.")


def test_a_keyringrc_that_does_not_parse_leaves_the_reading_to_keyring(
        gnome_keyring, aws_env) -> None:  # type: ignore[no-untyped-def]
    SecretServiceStore(SERVICE).set("keys:prod", "secret")
    assert secret_service_get(SERVICE, "keys:prod") == "secret"
    rc = Path(os.environ["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("default-keyring = before any section\n")
    # Not ours to judge: the fast path steps aside; keyring reports its own config trouble.
    assert secret_service_get(SERVICE, "keys:prod") is None
    rc.unlink()
    assert secret_service_get(SERVICE, "keys:prod") == "secret"
    assert secret_service_get(SERVICE, "keys:absent") is None  # open, searched, not there


BACKEND_INFO = "from app.core.secrets import backend_info; i = backend_info(); print(i.name, i.real)"


def backend_in_child(env: dict[str, str]) -> str:
    # A child: keyring discovers its backends once per process.
    done = subprocess.run([sys.executable, "-c", BACKEND_INFO], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_keyrings_chainer_is_judged_by_what_it_chains(gnome_keyring, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.chainer.ChainerBackend"}
    assert backend_in_child(env) == "keyring.backends.SecretService.Keyring True"
    config = tmp_path / "bare.conf"
    config.write_text(BARE_SESSION_BUS.format(dir=tmp_path), encoding="utf-8")
    bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                            "--print-address=1"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        assert backend_in_child(env) == "keyring.backends.chainer.ChainerBackend False"
        env["PYTHON_KEYRING_BACKEND"] = "no.such.Backend"
        assert backend_in_child(env).startswith("none False")
    finally:
        bus.terminate()
        bus.wait(timeout=5)
        assert bus.stdout is not None
        bus.stdout.close()
