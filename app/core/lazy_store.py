"""A SecretStore that finds the OS keyring on first use, so the window need not wait for it.

Loading `keyring` and probing its backends (D-Bus on Linux) takes a noticeable fraction of a
second; the GUI builds its services with this wrapper and the first worker that touches a
secret (or asks `real`) pays for the probe, off the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.core.secrets import SecretStore, open_secret_store


class LazySecretStore:
    def __init__(self, opener: Callable[[], SecretStore] = open_secret_store) -> None:
        self._opener = opener
        self._store: SecretStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> SecretStore:
        with self._lock:
            if self._store is None:
                self._store = self._opener()
            return self._store

    @property
    def opened(self) -> bool:
        return self._store is not None

    @property
    def real(self) -> bool:
        return self.store.real

    @real.setter
    def real(self, value: bool) -> None:  # the protocol declares a plain attribute
        raise AttributeError("whether secrets are kept by an OS store is the backend's to say")

    def get(self, key: str) -> str | None:
        return self.store.get(key)

    def set(self, key: str, value: str) -> None:
        self.store.set(key, value)

    def delete(self, key: str) -> None:
        self.store.delete(key)
