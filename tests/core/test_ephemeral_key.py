"""The ephemeral key's defences, with the real ssh-keygen: a planted or foreign directory or key,
a replaced public half, a machine without (or with a too old) ssh-keygen, a loose directory
mode, and a rotation another proxy already did while we waited for the lock."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from app.core.ssh.ephemeral import EphemeralKey, EphemeralKeyError
from app.core.store import exclusive

pytestmark = [pytest.mark.needs_program("ssh-keygen"), pytest.mark.linux_only]
NOBODY = 65534
HINT = "Make a new one with `gangway ssh-config --rotate-key` (in {})."


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".gangway_ed25519."))


def test_a_public_half_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path)
    keys.ensure()
    rsa = tmp_path / "rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa)],
                   check=True, stdin=subprocess.DEVNULL)
    keys.public_path.write_text((tmp_path / "rsa.pub").read_text())
    with pytest.raises(EphemeralKeyError) as err:
        keys.load()
    assert err.value.message == f"{keys.public_path} is not an ed25519 public key."
    assert err.value.hint == HINT.format(tmp_path / "ssh")
    assert keys.rotate().public_key.startswith("ssh-ed25519 ")  # the hint's way out works


def test_without_ssh_keygen_the_error_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    keys = EphemeralKey(tmp_path)
    with pytest.raises(EphemeralKeyError) as err:
        keys.ensure()
    assert err.value.message == ("ssh-keygen was not found, so Gangway cannot make its SSH key.")
    assert err.value.hint == "Install the OpenSSH client (it includes ssh-keygen)."
    assert not keys.private_path.exists() and not keys.public_path.exists()


def test_an_ssh_keygen_without_ed25519_fails_cleanly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenSSH before 6.5 (still on some long-lived servers) knows no ed25519; its ssh-keygen
    # says so on stderr and exits 1 without writing anything.
    old = tmp_path / "bin" / "ssh-keygen"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'unknown key type ed25519' >&2\nexit 1\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", f"{old.parent}{os.pathsep}{os.environ['PATH']}")
    keys = EphemeralKey(tmp_path)
    with pytest.raises(EphemeralKeyError) as err:
        keys.ensure()
    assert err.value.message == ("ssh-keygen could not make the Gangway SSH key: "
                                 "unknown key type ed25519")
    assert not keys.private_path.exists() and _leftovers(keys.dir) == []


def test_a_symlinked_key_directory_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "ssh").symlink_to(elsewhere)
    keys = EphemeralKey(tmp_path)
    with pytest.raises(EphemeralKeyError) as err:
        keys.ensure()
    assert err.value.message == f"{tmp_path / 'ssh'} is not a directory."
    assert list(elsewhere.iterdir()) == []  # no key written through the link


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a directory to another user")
def test_a_key_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ssh").mkdir(mode=0o700)
    os.chown(tmp_path / "ssh", NOBODY, NOBODY)
    keys = EphemeralKey(tmp_path)
    with pytest.raises(EphemeralKeyError) as err:
        keys.rotate()
    assert err.value.message == f"{tmp_path / 'ssh'} belongs to another user."
    assert list((tmp_path / "ssh").iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_private_key_of_another_user_is_refused(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path)
    pair = keys.ensure()
    os.chown(pair.private_path, NOBODY, NOBODY)
    with pytest.raises(EphemeralKeyError) as err:
        keys.load()
    assert err.value.message == (f"The Gangway SSH key {pair.private_path} belongs to another "
                                 "user.")


def test_a_loose_key_directory_is_made_private(tmp_path: Path) -> None:
    (tmp_path / "ssh").mkdir()
    (tmp_path / "ssh").chmod(0o755)
    EphemeralKey(tmp_path).ensure()
    assert (tmp_path / "ssh").stat().st_mode & 0o777 == 0o700


def _waiting_on(lock: Path) -> bool:
    """Some process or thread is blocked on `lock`'s flock (the kernel lists it with `->`)."""
    inode = f":{lock.stat().st_ino} "
    return any("->" in line and inode in line
               for line in Path("/proc/locks").read_text().splitlines())


def test_a_rotation_done_while_waiting_for_the_lock_is_not_repeated(tmp_path: Path) -> None:
    keys = EphemeralKey(tmp_path, rotate_after=3600)
    pair = keys.ensure()
    old = time.time() - 7200
    os.utime(keys.private_path, (old, old))  # stale: due for rotation
    result: list[object] = []
    with exclusive(keys.dir / ".lock"):  # another proxy is rotating
        worker = threading.Thread(target=lambda: result.append(keys.rotate_if_stale()))
        worker.start()
        deadline = time.monotonic() + 20
        while not _waiting_on(keys.dir / ".lock"):
            assert time.monotonic() < deadline and worker.is_alive()
            time.sleep(0.02)
        now = time.time()
        os.utime(keys.private_path, (now, now))  # ... and its fresh pair is now on disk
    worker.join(20)
    assert result == [None]
    after = keys.load()
    assert after is not None and after.public_key == pair.public_key
    assert after.created == pytest.approx(now)
