"""Gangway's own Secret Service client: the freedesktop.org Secret Service API over D-Bus.

GNOME Keyring, KWallet (kwalletd/ksecretd in KDE Frameworks 5.97 and later, when its Secret
Service interface is enabled), KeePassXC and oo7 serve `org.freedesktop.secrets`. This talks
to it with `jeepney` alone, so the frozen Linux app needs neither `secretstorage` nor
`cryptography` (11.6 MB, which secretstorage imports only for its Diffie-Hellman session).

Items are keyed exactly as keyring's SecretService backend keys them (keyring 25,
secretstorage 3): attributes `service`, `username` and `application` = "Python keyring
library", label "Password for 'KEY' on 'SERVICE'", content type `text/plain`, in the
collection aliased "default". So secrets written by earlier Gangway versions (through keyring)
are read and replaced, never duplicated, and keyring reads what we write.

The session is "plain", as `secret-tool` may use: the secret travels over the local session
bus, which only this user can connect to. A locked collection is unlocked through the service's
Unlock and Prompt (the desktop asks for the password); a dismissed prompt, no prompter or no
answer in `prompt_timeout` is KeyringUnavailableError, with no secret in any message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from app.core.errors import KeyringUnavailableError

if TYPE_CHECKING:
    from jeepney.io.blocking import DBusConnection

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
_IFACE = "org.freedesktop.Secret."
APPLICATION = "Python keyring library"  # keyring.backends.SecretService.Keyring.appid
CONTENT_TYPE = "text/plain"
_NO_OBJECT = ("org.freedesktop.DBus.Error.UnknownMethod",
              "org.freedesktop.DBus.Error.UnknownObject",
              "org.freedesktop.Secret.Error.NoSuchObject")
_IS_LOCKED = "org.freedesktop.Secret.Error.IsLocked"


def locked_error() -> KeyringUnavailableError:
    """The one wording for a keyring that stays locked (shared with KeyringStore)."""
    return KeyringUnavailableError(
        "The OS keyring is locked.", "Unlock it (log in to the desktop) and retry.")


def unusable_error(detail: str) -> KeyringUnavailableError:
    """The one wording for a keyring that cannot be used (shared with KeyringStore)."""
    return KeyringUnavailableError(
        f"The OS keyring could not be used ({detail}).",
        "Check that a keyring service (Keychain, Credential Manager, GNOME Keyring or "
        "KWallet) is running, then retry.")


def attributes(service: str, key: str) -> dict[str, str]:
    """What keyring searches by (its `_query(service, username)`)."""
    return {"username": key, "service": service}


def label(service: str, key: str) -> str:
    return f"Password for '{key}' on '{service}'"


class _Bus:
    """One connection to the session bus and the Secret Service calls Gangway makes."""

    def __init__(self, conn: DBusConnection, timeout: float) -> None:
        self.conn = conn
        self.timeout = timeout

    def call(self, path: str, iface: str, method: str, sig: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        addr = DBusAddress(path, bus_name=BUS_NAME, interface=_IFACE + iface)
        reply = self.conn.send_and_get_reply(new_method_call(addr, method, sig, body),
                                             timeout=self.timeout)
        result: tuple[Any, ...] = unwrap_msg(reply)
        return result

    def prop(self, path: str, iface: str, name: str) -> Any:
        from jeepney import DBusAddress, Properties
        from jeepney.wrappers import unwrap_msg

        addr = DBusAddress(path, bus_name=BUS_NAME, interface=_IFACE + iface)
        ((_sig, value),) = unwrap_msg(self.conn.send_and_get_reply(Properties(addr).get(name),
                                                                   timeout=self.timeout))
        return value

    def default_collection(self) -> str | None:
        (path,) = self.call(SERVICE_PATH, "Service", "ReadAlias", "s", ("default",))
        return None if path == "/" else str(path)

    def create_default_collection(self, prompt_timeout: float) -> str:
        """As secretstorage does when there is none: a "Default" collection (it prompts)."""
        props = {_IFACE + "Collection.Label": ("s", "Default")}
        path, prompt = self.call(SERVICE_PATH, "Service", "CreateCollection", "a{sv}s",
                                 (props, "default"))
        if path == "/":
            _sig, path = self.prompt(prompt, prompt_timeout)
        return str(path)

    def search(self, collection: str, service: str, key: str) -> list[str]:
        (found,) = self.call(collection, "Collection", "SearchItems", "a{ss}",
                             (attributes(service, key),))
        return [str(p) for p in found]

    def unlock(self, collection: str, prompt_timeout: float) -> None:
        if not self.prop(collection, "Collection", "Locked"):
            return
        _unlocked, prompt = self.call(SERVICE_PATH, "Service", "Unlock", "ao", ([collection],))
        if prompt != "/":
            self.prompt(prompt, prompt_timeout)
        if self.prop(collection, "Collection", "Locked"):
            raise locked_error()

    def prompt(self, path: str, timeout: float) -> tuple[str, Any]:
        """Show the service's prompt and wait for its Completed signal."""
        from jeepney import MatchRule, MessageType, message_bus
        from jeepney.wrappers import unwrap_msg

        rule = MatchRule(type=MessageType.signal, path=path, interface=_IFACE + "Prompt",
                         member="Completed")
        # Some services broadcast Completed rather than address it to us: ask the bus for it.
        unwrap_msg(self.conn.send_and_get_reply(message_bus.AddMatch(rule),
                                                timeout=self.timeout))
        with self.conn.filter(rule) as signals:
            self.call(path, "Prompt", "Prompt", "s", ("",))
            try:
                message = self.conn.recv_until_filtered(signals, timeout=timeout)
            except TimeoutError:
                with suppress(Exception):  # the prompt may be gone; we fail either way
                    self.call(path, "Prompt", "Dismiss")
                raise locked_error() from None
        dismissed, result = message.body
        if dismissed:
            raise locked_error()
        sig, value = result
        return str(sig), value

    @contextmanager
    def session(self) -> Iterator[str]:
        _output, path = self.call(SERVICE_PATH, "Service", "OpenSession", "sv",
                                  ("plain", ("s", "")))
        try:
            yield str(path)
        finally:
            with suppress(Exception):  # the service drops it with our connection anyway
                self.call(path, "Session", "Close")


def _describe(exc: BaseException) -> str:
    """What went wrong, without any argument we sent (which may hold the secret)."""
    from jeepney.wrappers import DBusErrorResponse

    if isinstance(exc, DBusErrorResponse):
        return f"D-Bus error {exc.name}"
    return type(exc).__name__


@contextmanager
def _bus(timeout: float) -> Iterator[_Bus]:
    """A session-bus connection; every failure leaves as KeyringUnavailableError."""
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import DBusErrorResponse

    try:
        with open_dbus_connection(bus="SESSION") as conn:
            yield _Bus(conn, timeout)
    except KeyringUnavailableError:
        raise
    except DBusErrorResponse as exc:
        if exc.name == _IS_LOCKED:
            raise locked_error() from None
        raise unusable_error(_describe(exc)) from None
    except (OSError, TimeoutError, ValueError, KeyError, TypeError) as exc:  # odd replies
        raise unusable_error(_describe(exc)) from None


def available(timeout: float = 2.0) -> bool:
    """Whether org.freedesktop.secrets runs, or the bus can start it, on the session bus."""
    try:
        from jeepney import message_bus
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        with open_dbus_connection(bus="SESSION") as conn:
            (owned,) = unwrap_msg(conn.send_and_get_reply(message_bus.NameHasOwner(BUS_NAME),
                                                          timeout=timeout))
            if owned:
                return True
            (names,) = unwrap_msg(conn.send_and_get_reply(
                message_bus.ListActivatableNames(), timeout=timeout))
            return BUS_NAME in names
    except Exception:  # no bus, no jeepney, a broken bus address: not available
        return False


def read_unlocked(service: str, key: str, timeout: float = 2.0) -> str | None:
    """The item's secret if the default collection is open; never prompts.

    For `gangway credentials` on every ssh connection: any miss, lock or error is None, and
    the caller asks the full store, which prompts or words the error.
    """
    return read_unlocked_many(service, (key,), timeout=timeout)[0]


def read_unlocked_many(service: str, keys: Sequence[str], *, first: bool = False,
                       timeout: float = 2.0) -> list[str | None]:
    """`read_unlocked` for several keys over one connection (None for each miss); with
    `first`, only the first key that exists is read."""
    found: list[str | None] = [None] * len(keys)
    try:
        with _bus(timeout) as bus:
            collection = bus.default_collection()
            if not collection or bus.prop(collection, "Collection", "Locked"):
                return found
            items: list[str | None] = []
            for key in keys:
                paths = bus.search(collection, service, key)
                items.append(paths[0] if paths else None)
                if first and paths:
                    break
            if not any(items):
                return found
            with bus.session() as session:
                for index, item in enumerate(items):
                    if item is not None:
                        (secret,) = bus.call(item, "Item", "GetSecret", "o", (session,))
                        found[index] = bytes(secret[2]).decode("utf-8")
            return found
    except Exception:  # the caller falls back to the store that reports it properly
        return [None] * len(keys)


class SecretServiceStore:
    """A SecretStore (app.core.secrets) on the Secret Service's default collection.

    One short connection per call, so it is safe from any thread. `prompt_timeout` bounds the
    wait for the user to answer an unlock prompt.
    """

    real = True

    def __init__(self, service: str, *, call_timeout: float = 5.0,
                 prompt_timeout: float = 120.0) -> None:
        self.service = service
        self.call_timeout = call_timeout
        self.prompt_timeout = prompt_timeout

    def __repr__(self) -> str:
        return f"SecretServiceStore(service={self.service!r})"

    def get(self, key: str) -> str | None:
        with _bus(self.call_timeout) as bus:
            collection = bus.default_collection()
            if collection is None:
                return None
            # Unlocked before the search, as keyring does: a locked keyring is said as such,
            # not taken for a miss ("needs MFA" when the cache is only locked away).
            bus.unlock(collection, self.prompt_timeout)
            found = bus.search(collection, self.service, key)
            if not found:
                return None
            with bus.session() as session:
                (secret,) = bus.call(found[0], "Item", "GetSecret", "o", (session,))
        try:
            return bytes(secret[2]).decode("utf-8")
        except UnicodeDecodeError:
            raise unusable_error(f"the item for {key!r} is not UTF-8 text") from None

    def set(self, key: str, value: str) -> None:
        attrs = {**attributes(self.service, key), "application": APPLICATION}
        props = {_IFACE + "Item.Label": ("s", label(self.service, key)),
                 _IFACE + "Item.Attributes": ("a{ss}", attrs)}
        with _bus(self.call_timeout) as bus:
            collection = (bus.default_collection()
                          or bus.create_default_collection(self.prompt_timeout))
            bus.unlock(collection, self.prompt_timeout)
            with bus.session() as session:
                secret = (session, b"", value.encode("utf-8"), CONTENT_TYPE)
                item, prompt = bus.call(collection, "Collection", "CreateItem",
                                        "a{sv}(oayays)b", (props, secret, True))
            if item == "/":
                _sig, item = bus.prompt(prompt, self.prompt_timeout)
            # `replace` matches all attributes; an item for the same key written with other
            # ones (another tool, another application attribute) would be a duplicate.
            for other in bus.search(collection, self.service, key):
                if other != item:
                    self._delete_item(bus, other)

    def delete(self, key: str) -> None:
        """Remove every item for `key`; deleting what is not there is not an error."""
        with _bus(self.call_timeout) as bus:
            collection = bus.default_collection()
            if collection is None:
                return
            bus.unlock(collection, self.prompt_timeout)
            for item in bus.search(collection, self.service, key):
                self._delete_item(bus, item)

    def _delete_item(self, bus: _Bus, item: str) -> None:
        from jeepney.wrappers import DBusErrorResponse

        try:
            (prompt,) = bus.call(item, "Item", "Delete")
        except DBusErrorResponse as exc:
            if exc.name in _NO_OBJECT:
                return  # deleted meanwhile
            raise
        if prompt != "/":
            bus.prompt(prompt, self.prompt_timeout)
