"""Gangway's own Secret Service client against a real gnome-keyring on a private D-Bus.

The other client in these tests is the real one Gangway used before: keyring's SecretService
backend (through secretstorage), so items written by earlier versions are read and replaced,
and what we write is what keyring reads.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
import secretstorage

from app.core import secret_service
from app.core.errors import KeyringUnavailableError
from app.core.secret_service import SecretServiceStore
from app.core.secrets import (
    SECRET_SERVICE_BACKEND,
    SERVICE,
    MemoryStore,
    backend_info,
    open_secret_store,
    secret_service_get,
)
from tests.integration import keyring_session

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY-ünï"


def items_for(key: str, service: str = SERVICE) -> list[secretstorage.Item]:
    """What a third-party client (secretstorage) sees in the default collection."""
    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    return list(collection.search_items({"service": service, "username": key}))


def test_round_trip_in_the_default_collection(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    info = backend_info()
    assert info.real and info.name == SECRET_SERVICE_BACKEND
    store = open_secret_store(require_real=True)
    assert isinstance(store, SecretServiceStore) and store.real
    assert store.get("keys:prød x") is None
    store.set("keys:prød x", SECRET)
    assert store.get("keys:prød x") == SECRET
    store.set("keys:prød x", "second")  # replaced, not added
    assert store.get("keys:prød x") == "second"
    assert len(items_for("keys:prød x")) == 1
    assert store.get("keys:other") is None
    assert SecretServiceStore("other-service").get("keys:prød x") is None
    store.delete("keys:prød x")
    store.delete("keys:prød x")  # idempotent
    assert store.get("keys:prød x") is None and items_for("keys:prød x") == []
    assert SECRET not in repr(store) and "second" not in repr(store)


def test_an_item_written_by_keyring_is_read_and_replaced(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    assert "SecretService" in type(keyring.get_keyring()).__name__ or \
        "SecretService" in type(keyring.get_keyring()).__module__
    keyring.set_password(SERVICE, "cache:prod", "from keyring")
    (theirs,) = items_for("cache:prod")
    their_attributes, their_label = theirs.get_attributes(), theirs.get_label()
    assert their_attributes["application"] == "Python keyring library"
    store = SecretServiceStore(SERVICE)
    assert store.get("cache:prod") == "from keyring"
    assert secret_service_get(SERVICE, "cache:prod") == "from keyring"  # the hot path too
    store.set("cache:prod", SECRET)
    (item,) = items_for("cache:prod")  # one item: keyring's was replaced
    assert item.get_secret().decode() == SECRET
    assert item.get_attributes() == their_attributes  # keyed exactly as keyring keys it
    assert item.get_label() == their_label == "Password for 'cache:prod' on 'gangway'"
    assert item.get_secret_content_type() == "text/plain"
    assert keyring.get_password(SERVICE, "cache:prod") == SECRET
    store.delete("cache:prod")
    assert keyring.get_password(SERVICE, "cache:prod") is None


def test_keyring_reads_replaces_and_deletes_what_we_write(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    store = SecretServiceStore(SERVICE)
    store.set("keys:dev", "ours")
    assert keyring.get_password(SERVICE, "keys:dev") == "ours"
    keyring.set_password(SERVICE, "keys:dev", "keyring's")
    assert len(items_for("keys:dev")) == 1
    assert store.get("keys:dev") == "keyring's"
    keyring.delete_password(SERVICE, "keys:dev")
    assert store.get("keys:dev") is None


def test_an_item_with_other_attributes_is_replaced_not_duplicated(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    # As another tool (secret-tool, an old script) might have stored the same key.
    with closing(secretstorage.dbus_init()) as conn:
        secretstorage.get_default_collection(conn).create_item(
            "old", {"service": SERVICE, "username": "keys:ops", "application": "other"},
            b"old value")
    store = SecretServiceStore(SERVICE)
    assert store.get("keys:ops") == "old value"
    store.set("keys:ops", "new value")
    (item,) = items_for("keys:ops")
    assert item.get_secret() == b"new value"
    assert item.get_attributes()["application"] == "Python keyring library"


def test_a_locked_collection_without_a_prompter_is_a_plain_error(gnome_keyring) -> None:  # type: ignore[no-untyped-def]
    store = SecretServiceStore(SERVICE, prompt_timeout=20)
    store.set("keys:prod", SECRET)
    gnome_keyring.lock()
    assert secret_service_get(SERVICE, "keys:prod") is None  # the hot path never prompts
    # A miss too: a locked keyring is said as such, not taken for "nothing stored".
    for attempt in (lambda: store.get("keys:prod"), lambda: store.get("keys:missing"),
                    lambda: store.set("keys:prod", SECRET), lambda: store.delete("keys:prod")):
        with pytest.raises(KeyringUnavailableError) as err:
            attempt()
        assert err.value.message == "The OS keyring is locked."
        assert err.value.hint == "Unlock it (log in to the desktop) and retry."
        for text in (str(err.value), repr(err.value), err.value.one_line()):
            assert SECRET not in text


@pytest.mark.parametrize(("rc", "ours"), [
    ("[backend]\ndefault-keyring=keyring.backends.SecretService.Keyring\n", True),
    ("[backend]\ndefault-keyring=keyring.backends.fail.Keyring\n", False),
    ("[backend]\ndefault-keyring=keyring.backends.SecretService.Keyring\n"
     "preferred_collection=/org/freedesktop/secrets/collection/work\n", False),
])
def test_a_keyring_the_user_chose_is_respected(gnome_keyring, tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                               rc: str, ours: bool) -> None:
    config = tmp_path / "config"
    (config / "python_keyring").mkdir(parents=True)
    (config / "python_keyring" / "keyringrc.cfg").write_text(rc, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert (backend_info().name == SECRET_SERVICE_BACKEND) is ours
    assert isinstance(open_secret_store(), SecretServiceStore) is ours
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert not isinstance(open_secret_store(), SecretServiceStore)  # the variable wins


@pytest.fixture
def no_login_keyring(aws_env, monkeypatch) -> Iterator[keyring_session.KeyringSession]:  # type: ignore[no-untyped-def]
    """gnome-keyring started without a password: no open login collection."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    session = keyring_session.start(aws_env.home, dict(os.environ), unlock=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.address)
    try:
        yield session
    finally:
        session.stop()


def test_a_keyring_that_cannot_open_its_collection_is_a_plain_error(no_login_keyring) -> None:  # type: ignore[no-untyped-def]
    store = open_secret_store(require_real=True)
    assert isinstance(store, SecretServiceStore)
    assert store.get("keys:prod") is None
    with pytest.raises(KeyringUnavailableError) as err:
        store.set("keys:prod", SECRET)  # creating the collection needs a prompt: none here
    assert str(err.value) == ("The OS keyring is locked. Unlock it (log in to the desktop) "
                              "and retry.")
    assert SECRET not in repr(err.value)


BARE_SESSION_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def test_without_a_secret_service_the_memory_store_is_said_plainly(tmp_path: Path,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A session bus with nobody serving org.freedesktop.secrets and no service files to start
    # it from: a desktop without any keyring installed.
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    config = tmp_path / "session.conf"
    config.write_text(BARE_SESSION_BUS.format(dir=tmp_path), encoding="utf-8")
    bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                            "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert bus.stdout is not None
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.stdout.readline().decode().strip())
        previous = keyring.get_keyring()
        # What keyring has left on Linux in the frozen build (FROZEN_BACKENDS names none).
        keyring.set_keyring(keyring.backends.fail.Keyring())
        try:
            assert not secret_service.available()
            info = backend_info()
            assert not info.real and info.name != SECRET_SERVICE_BACKEND
            assert isinstance(open_secret_store(), MemoryStore)
            with pytest.raises(KeyringUnavailableError) as err:
                open_secret_store(require_real=True)
            assert err.value.message.startswith("No OS keyring is available")
        finally:
            keyring.set_keyring(previous)
    finally:
        bus.terminate()
        bus.wait(timeout=5)
        assert bus.stdout is not None
        bus.stdout.close()
