"""Secrets live in the OS keyring or in memory, never in a plaintext file.

`SecretStore` is the one interface; `KeyringStore` uses the OS store (Keychain, Windows
Credential Manager, Secret Service) and `MemoryStore` is what we fall back to, loudly, when
there is no real backend.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

SERVICE = "gangway"

# keyring backends that do not keep secrets in an OS store (or keep them in plaintext).
_NOT_REAL = ("fail.Keyring", "null.Keyring", "chainer.ChainerBackend", "PlaintextKeyring",
             "EncryptedKeyring", "Uncrypted")


@dataclass(frozen=True)
class BackendInfo:
    name: str
    real: bool
    detail: str = ""


def backend_info() -> BackendInfo:
    """Which keyring backend is active and whether it is a real OS store."""
    try:
        import keyring
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
