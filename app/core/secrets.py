"""Secrets live in the OS keyring or in memory, never in a plaintext file.

`SecretStore` is the one interface; `KeyringStore` uses the OS store (Keychain, Windows
Credential Manager, Secret Service) and `MemoryStore` is what we fall back to, loudly, when
there is no real backend.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from app.core.errors import KeyringUnavailableError

SERVICE = "gangway"

# keyring backends that do not keep secrets in an OS store (or keep them in plaintext).
_NOT_REAL = ("fail.Keyring", "null.Keyring", "chainer.ChainerBackend", "PlaintextKeyring",
             "EncryptedKeyring", "Uncrypted")


# keyring finds its backends through package entry points, which a frozen build does not ship
# (jaraco/keyring#324, #468): there the backends for this OS are named here and imported
# before keyring chooses among the imported ones. build.spec bundles exactly these.
FROZEN_BACKENDS: dict[str, tuple[str, ...]] = {
    "linux": ("keyring.backends.SecretService", "keyring.backends.kwallet"),
    "darwin": ("keyring.backends.macOS",),
    "win32": ("keyring.backends.Windows",),
}


def _keyring() -> ModuleType:
    """The keyring module, with this OS's backends imported first in a frozen build."""
    import keyring

    if getattr(sys, "frozen", False):
        for name in FROZEN_BACKENDS.get(sys.platform, ()):
            importlib.import_module(name)
    return keyring


@dataclass(frozen=True)
class BackendInfo:
    name: str
    real: bool
    detail: str = ""


def backend_info() -> BackendInfo:
    """Which keyring backend is active and whether it is a real OS store."""
    try:
        keyring = _keyring()
        from keyring.backends import chainer

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop the app
        return BackendInfo("none", False, f"keyring failed to load: {exc}")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, chainer.ChainerBackend):
        real_ones = [b for b in backend.backends
                     if not any(n in type(b).__name__ for n in _NOT_REAL)]
        if not real_ones:
            return BackendInfo(name, False, "no OS keyring backend is available")
        inner = real_ones[0]
        name = f"{type(inner).__module__}.{type(inner).__name__}"
    real = not any(marker in name for marker in _NOT_REAL)
    return BackendInfo(name, real, "" if real else "not an OS keyring")


class SecretStore(Protocol):
    real: bool

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """Secrets for this process only; used when no OS keyring exists."""

    real = False

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._items.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


def _keyring_errors() -> tuple[type[BaseException], ...]:
    from keyring import errors

    return (errors.KeyringError, RuntimeError, OSError)


class KeyringStore:
    """Secrets in the OS keyring (service "gangway", one entry per key).

    Any backend failure (locked collection the user refused to unlock, D-Bus gone, no
    backend) becomes KeyringUnavailableError with a plain message; nothing falls back to a
    file. `keyring` is imported on first use: the credentials helper pays only for that.
    """

    real = True

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _fail(self, exc: BaseException) -> KeyringUnavailableError:
        from keyring import errors

        if isinstance(exc, errors.KeyringLocked):
            return KeyringUnavailableError(
                "The OS keyring is locked.", "Unlock it (log in to the desktop) and retry.")
        return KeyringUnavailableError(
            f"The OS keyring could not be used ({type(exc).__name__}: {exc}).",
            "Check that a keyring service (Keychain, Credential Manager, GNOME Keyring or "
            "KWallet) is running, then retry.")

    def get(self, key: str) -> str | None:
        fast = secret_service_get(self.service, key)
        if fast is not None:
            return fast
        keyring = _keyring()
        try:
            value: str | None = keyring.get_password(self.service, key)
            return value
        except _keyring_errors() as exc:
            raise self._fail(exc) from exc

    def set(self, key: str, value: str) -> None:
        keyring = _keyring()
        try:
            keyring.set_password(self.service, key, value)
        except _keyring_errors() as exc:
            raise self._fail(exc) from exc

    def delete(self, key: str) -> None:
        keyring = _keyring()
        from keyring import errors

        try:
            keyring.delete_password(self.service, key)
        except errors.PasswordDeleteError:
            return  # not there: deleting is idempotent
        except _keyring_errors() as exc:
            raise self._fail(exc) from exc


_SECRETS = "org.freedesktop.secrets"
_SECRETS_PATH = "/org/freedesktop/secrets"
_DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"


def _fast_path_allowed() -> bool:
    """Only where reading the Secret Service directly finds exactly what `keyring` would."""
    if not sys.platform.startswith("linux") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if chosen and "SecretService" not in chosen:
        return False
    # A keyringrc.cfg may pick another backend or collection: then ask `keyring` itself.
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return not os.path.exists(os.path.join(root, "python_keyring", "keyringrc.cfg"))


def secret_service_get(service: str, key: str) -> str | None:
    """Read one item the way keyring's SecretService backend stores it, via D-Bus directly.

    `gangway credentials` runs on every ssh connection; importing keyring, secretstorage and
    cryptography costs more than the whole lookup. This reads the unlocked default collection
    over a "plain" session (the local bus is the transport, as with `secret-tool`). Any miss,
    locked item or error returns None and the caller asks `keyring`, which reports it properly.
    """
    return secret_service_get_many(service, (key,))[0]


def secret_service_get_many(service: str, keys: Sequence[str], *,
                            first: bool = False) -> list[str | None]:
    """`secret_service_get` for several keys over one D-Bus connection (None for each miss).

    With `first`, only the first key that exists is read (the others stay None)."""
    found: list[str | None] = [None] * len(keys)
    if not _fast_path_allowed():
        return found
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg
    except ImportError:
        return found
    try:
        with open_dbus_connection(bus="SESSION") as conn:
            def call(path: str, iface: str, method: str, sig: str, body: tuple[Any, ...]) -> Any:
                addr = DBusAddress(path, bus_name=_SECRETS, interface=iface)
                reply = conn.send_and_get_reply(new_method_call(addr, method, sig, body),
                                                timeout=2)
                return unwrap_msg(reply)

            items: list[str | None] = []
            for key in keys:
                (paths,) = call(_DEFAULT_COLLECTION, "org.freedesktop.Secret.Collection",
                                "SearchItems", "a{ss}", ({"service": service, "username": key},))
                items.append(paths[0] if paths else None)
                if first and paths:
                    break
            items += [None] * (len(keys) - len(items))
            wanted = [item for item in items if item is not None]
            if not wanted:
                return found
            _, session = call(_SECRETS_PATH, "org.freedesktop.Secret.Service", "OpenSession",
                              "sv", ("plain", ("s", "")))
            try:
                (secrets,) = call(_SECRETS_PATH, "org.freedesktop.Secret.Service",
                                  "GetSecrets", "aoo", (wanted, session))
            finally:
                call(session, "org.freedesktop.Secret.Session", "Close", "", ())
            for index, item in enumerate(items):
                value = secrets.get(item) if item is not None else None
                if value:  # a locked item has no value: keyring will say so
                    found[index] = bytes(value[2]).decode("utf-8")
            return found
    except Exception:  # any D-Bus trouble: fall back to keyring, which words it
        return [None] * len(keys)


def open_secret_store(require_real: bool = False) -> SecretStore:
    """The OS keyring when a real backend exists, else a MemoryStore (`store.real` is False).

    With `require_real` (the credentials helper, "Protect keys"), a missing backend raises
    KeyringUnavailableError instead: those secrets must outlive this process.
    """
    info = backend_info()
    if info.real:
        return KeyringStore()
    if require_real:
        raise KeyringUnavailableError(
            f"No OS keyring is available (keyring backend: {info.name}).",
            "Install or start a keyring service (GNOME Keyring, KWallet, Keychain, Credential "
            "Manager); Gangway never stores secrets in a plain file.")
    return MemoryStore()
