"""The rules that guard every file we write: backup, atomic replace, 0600, refuse on change."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from app.core.errors import ConfigFileError, FileChangedError
from app.core.store import JsonStore, Snapshot, atomic_write


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_creates_private_file_and_backs_up_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("old contents\n")
    target.chmod(0o644)
    backup = atomic_write(target, "new contents\n")
    assert target.read_text() == "new contents\n"
    assert mode(target) == 0o600
    assert backup is not None and backup.read_text() == "old contents\n"
    assert mode(backup) == 0o600
    assert backup.name.startswith("config.gangway-") and backup.name.endswith(".bak")


def test_two_backups_in_the_same_second_do_not_overwrite_each_other(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("1")
    first = atomic_write(target, "2")
    second = atomic_write(target, "3")
    assert first != second
    assert first is not None and second is not None
    assert {first.read_text(), second.read_text()} == {"1", "2"}


def test_refuses_when_file_changed_since_read(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[default]\n")
    snap = Snapshot.read(target)
    target.write_text("[default]\n# edited elsewhere\n")
    with pytest.raises(FileChangedError) as info:
        atomic_write(target, "ours", expect=snap)
    assert "changed by another program" in info.value.message
    assert target.read_text() == "[default]\n# edited elsewhere\n"
    assert list(tmp_path.iterdir()) == [target]  # no backup, no temp file left behind


def test_snapshot_of_missing_file_expects_it_still_missing(tmp_path: Path) -> None:
    target = tmp_path / "new"
    snap = Snapshot.read(target)
    assert snap.digest is None and snap.text == ""
    target.write_text("appeared")
    with pytest.raises(FileChangedError):
        atomic_write(target, "x", expect=snap)


def test_bad_encoding_names_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_bytes(b"[default]\nregion = eu-west-1\nname = caf\xe9\n")
    with pytest.raises(ConfigFileError) as info:
        Snapshot.read(target)
    assert info.value.line == 3
    assert f"{target}:3" in info.value.message


def test_symlinked_dotfile_keeps_its_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config"
    real.parent.mkdir()
    real.write_text("a")
    link = tmp_path / "config"
    link.symlink_to(real)
    atomic_write(link, "b")
    assert link.is_symlink()
    assert real.read_text() == "b"


def test_json_store_round_trip_and_schema_version(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "s.json", schema_version=3)
    assert store.load() == {}
    store.save({"favourites": ["i-1"], "name": "日本語"})
    raw = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert raw["schema_version"] == 3
    assert store.load() == {"favourites": ["i-1"], "name": "日本語"}
    assert mode(tmp_path / "s.json") == 0o600


def test_corrupt_json_store_is_kept_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    store = JsonStore(path)
    assert store.load() == {}
    kept = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
