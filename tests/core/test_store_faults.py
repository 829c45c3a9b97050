"""atomic_write when the disk says no: a read-only file system and a full one (a small real
tmpfs, mounted for the test). The original stays byte for byte, and no temp file is left."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.errors import UnwritableDirError
from app.core.store import atomic_write
from tests.conftest import require_program

pytestmark = pytest.mark.linux_only

ORIGINAL = b"[default]\nregion = eu-west-1\n# the user's own comment\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a real file system that fills up and can be remounted read-only."""
    mount = require_program("mount")
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI runner and this sandbox are root)")
    point = tmp_path / "disk"
    point.mkdir()
    subprocess.run([mount, "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(point)],
                   check=True)
    try:
        yield point
    finally:
        subprocess.run([require_program("umount"), "-l", str(point)], check=True)


def test_read_only_file_system_keeps_the_original(small_disk: Path) -> None:
    target = small_disk / "config"
    target.write_bytes(ORIGINAL)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for make_backup in (True, False):
        with pytest.raises(UnwritableDirError) as info:
            atomic_write(target, "[default]\nregion = us-east-1\n", make_backup=make_backup)
        assert info.value.message == f"Gangway cannot write in {small_disk}; nothing was changed."
        assert target.read_bytes() == ORIGINAL
        assert sorted(os.listdir(small_disk)) == ["config"]  # no temp file, no backup


def test_full_disk_keeps_the_original_and_leaves_no_temp_file(small_disk: Path) -> None:
    target = small_disk / "config"
    target.write_bytes(ORIGINAL)
    fd = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError) as full:
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    assert full.value.errno == errno.ENOSPC
    new = "[default]\nregion = us-east-1\n" + "# padding\n" * 2000  # ~20 KiB: cannot fit
    for make_backup in (False, True):
        with pytest.raises(OSError) as info:
            atomic_write(target, new, make_backup=make_backup)
        assert info.value.errno == errno.ENOSPC
        assert target.read_bytes() == ORIGINAL
        assert sorted(os.listdir(small_disk)) == ["config", "filler"]
