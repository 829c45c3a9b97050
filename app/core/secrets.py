"""Secrets live in the OS keyring or in memory, never in a plaintext file.

`SecretStore` is the one interface. On Linux it is Gangway's own Secret Service client
(`app.core.secret_service`, jeepney only) whenever org.freedesktop.secrets answers; elsewhere
`KeyringStore` uses keyring's OS backends (Keychain, Windows Credential Manager); and
`MemoryStore` is what we fall back to, loudly, when there is no real store.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from app.core import secret_service
from app.core.errors import KeyringUnavailableError

SERVICE = "gangway"

# keyring backends that do not keep secrets in an OS store (or keep them in plaintext).
_NOT_REAL = ("fail.Keyring", "null.Keyring", "chainer.ChainerBackend", "PlaintextKeyring",
             "EncryptedKeyring", "Uncrypted")


# keyring finds its backends through package entry points, which a frozen build does not ship
# (jaraco/keyring#324, #468): there the backends for this OS are named here and imported
# before keyring chooses among the imported ones. build.spec bundles exactly these.
# Linux has none: the Secret Service is ours (app.core.secret_service), so the bundle carries
# neither secretstorage nor cryptography; keyring's KWallet backend needs dbus-python, which
# Gangway does not ship (KWallet serves the Secret Service itself since KDE Frameworks 5.97).
FROZEN_BACKENDS: dict[str, tuple[str, ...]] = {
    "linux": (),
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


SECRET_SERVICE_BACKEND = "app.core.secret_service.SecretServiceStore"  # noqa: S105 - a name


def backend_info() -> BackendInfo:
    """Which store Gangway uses and whether it is a real OS store."""
    if _own_secret_service() and secret_service.available():
        return BackendInfo(SECRET_SERVICE_BACKEND, True,
                           f"{secret_service.BUS_NAME} on the session bus, default collection")
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
            return secret_service.locked_error()
        return secret_service.unusable_error(f"{type(exc).__name__}: {exc}")

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


def _own_secret_service() -> bool:
    """Whether Gangway talks to the Secret Service itself: on Linux with a session bus, unless
    the user picked another keyring backend (PYTHON_KEYRING_BACKEND, keyringrc.cfg) or a
    collection other than the default one; then keyring is asked, as before."""
    if not sys.platform.startswith("linux") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if chosen:
        return chosen in ("keyring.backends.SecretService.Keyring", SECRET_SERVICE_BACKEND)
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    rc = os.path.join(root, "python_keyring", "keyringrc.cfg")
    if not os.path.exists(rc):
        return True
    import configparser  # only here: the credentials helper's hot path never needs it

    config = configparser.RawConfigParser()
    try:
        config.read(rc, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False  # keyring will report its own config trouble
    named = config.get("backend", "default-keyring", fallback="").strip()
    other_keys = [k for section in config.sections() for k in config.options(section)
                  if k != "default-keyring"]
    return named in ("", "keyring.backends.SecretService.Keyring") and not other_keys


def secret_service_get(service: str, key: str) -> str | None:
    """The hot path of `gangway credentials` (every ssh connection): read one item from the
    open default collection without importing keyring; None on any miss, lock or error, and
    the caller asks the full store, which prompts or words the error."""
    return secret_service_get_many(service, (key,))[0]


def secret_service_get_many(service: str, keys: Sequence[str], *,
                            first: bool = False) -> list[str | None]:
    """`secret_service_get` for several keys over one D-Bus connection (None for each miss).

    With `first`, only the first key that exists is read (the others stay None)."""
    if not _own_secret_service():
        return [None] * len(keys)
    return secret_service.read_unlocked_many(service, keys, first=first)


def open_secret_store(require_real: bool = False) -> SecretStore:
    """The OS store when a real one exists (on Linux our Secret Service client, else
    keyring's backend), else a MemoryStore (`store.real` is False).

    With `require_real` (the credentials helper, "Protect keys"), a missing backend raises
    KeyringUnavailableError instead: those secrets must outlive this process.
    """
    info = backend_info()
    if info.name == SECRET_SERVICE_BACKEND:
        return secret_service.SecretServiceStore(SERVICE)
    if info.real:
        return KeyringStore()
    if require_real:
        raise KeyringUnavailableError(
            f"No OS keyring is available (keyring backend: {info.name}).",
            "Install or start a keyring service (GNOME Keyring, KWallet, Keychain, Credential "
            "Manager); Gangway never stores secrets in a plain file.")
    return MemoryStore()
