"""Hardening of the file rules: locks against lost updates, unique and pruned backups,
read-only files, kept modes, and a size cap on the files we parse."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.core import store
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import FileTooLargeError, ReadOnlyFileError
from app.core.store import Snapshot, atomic_write

ROOT = Path(__file__).resolve().parents[2]

_EDITOR = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.core.aws.profiles.reader import load_profiles
    from app.core.aws.profiles.writer import ProfileWriter
    from app.core.errors import FileChangedError
    cfg, crd, who = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    writer = ProfileWriter()
    for i in range(40):
        try:
            writer.update(load_profiles(cfg, crd), "work", {f"k_{who}_{i}": "v"})
        except FileChangedError:
            continue
        print(f"k_{who}_{i}", flush=True)
""")

_BACKUPS = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.core import store
    for _ in range(40):
        print(store.backup(Path(sys.argv[1])).name, flush=True)
""")


def _run_both(script: str, *args: str) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-c", script, *args, who], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for who in ("a", "b")]
    out: list[str] = []
    for proc in procs:
        stdout, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        out += stdout.split()
    return out


def test_two_processes_editing_lose_no_reported_success(tmp_path: Path) -> None:
    cfg, crd = tmp_path / "config", tmp_path / "credentials"
    cfg.write_text("[profile work]\nregion = us-east-1\n")
    crd.write_text("")
    successes = _run_both(_EDITOR, str(cfg), str(crd))
    assert successes, "no edit succeeded at all"
    fields = load_profiles(cfg, crd).require("work").fields
    lost = [key for key in successes if key not in fields]
    assert lost == [], f"{len(lost)} of {len(successes)} reported edits were lost"
    assert len(store.backups_of(cfg)) <= store.BACKUP_KEEP


def test_concurrent_backups_never_share_a_name(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[x]\n")
    names = _run_both(_BACKUPS, str(target))
    assert len(names) == 80 and len(set(names)) == 80


def test_backups_are_pruned_by_count_and_age(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("0")
    old = tmp_path / "config.gangway-20200101-000000.bak"
    old.write_text("ancient")
    os.utime(old, (time.time() - store.BACKUP_MAX_AGE - 60,) * 2)
    made = [atomic_write(target, str(i)) for i in range(1, 15)]
    left = store.backups_of(target)
    assert len(left) == store.BACKUP_KEEP
    assert not old.exists()
    assert left[-1] == made[-1] and left == made[-store.BACKUP_KEEP:]


def test_backup_redacts_the_secrets_it_is_given(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[a]\naws_secret_access_key = s3cr3t-value\n")
    earlier = atomic_write(target, "[a]\naws_secret_access_key = s3cr3t-value\n#\n")
    saved = atomic_write(target, "[a]\n", redact=["s3cr3t-value"])
    assert saved is not None and "s3cr3t-value" not in saved.read_text()
    assert store.REDACTED in saved.read_text()
    assert earlier is not None and "s3cr3t-value" in earlier.read_text()
    store.redact_backups(target, ["s3cr3t-value"])
    assert "s3cr3t-value" not in earlier.read_text()


def test_read_only_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("[default]\nregion = eu-west-1\n")
    target.chmod(0o400)
    profiles = load_profiles(target, tmp_path / "credentials")
    with pytest.raises(ReadOnlyFileError) as info:
        ProfileWriter().update(profiles, "default", {"region": "us-east-1"})
    assert "read-only" in info.value.message and str(target) in info.value.message
    assert target.read_text() == "[default]\nregion = eu-west-1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o400
    assert store.backups_of(target) == []


@pytest.mark.parametrize(("before", "after"), [(0o600, 0o600), (0o644, 0o600), (0o640, 0o600),
                                               (0o200, 0o200), (0o700, 0o600)])
def test_a_file_keeps_its_mode_unless_looser_than_0600(tmp_path: Path, before: int,
                                                        after: int) -> None:
    target = tmp_path / "f"
    target.write_text("x")
    target.chmod(before)
    atomic_write(target, "y", make_backup=False)
    assert stat.S_IMODE(target.stat().st_mode) == after


def test_a_huge_config_is_refused_with_its_name_not_parsed(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    block = "".join(f"[profile p{i}]\nregion = us-east-1\n" for i in range(1000))
    with cfg.open("w") as fh:
        while fh.tell() <= store.MAX_FILE_BYTES:
            fh.write(block)
    profiles = load_profiles(cfg, tmp_path / "credentials")
    assert len(profiles.profiles) == 0
    (problem,) = profiles.problems
    assert isinstance(problem, FileTooLargeError)
    assert str(cfg) in problem.one_line() and "MB" in problem.one_line()
    with pytest.raises(FileTooLargeError):
        Snapshot.read(cfg)


def test_json_store_update_is_atomic_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from app.core.store import JsonStore
        s = JsonStore(Path(sys.argv[1]))
        for i in range(40):
            s.update(lambda d: {"rows": [*d.get("rows", []), sys.argv[2] + str(i)]})
    """)
    _run_both(script, str(path))
    rows = json.loads(path.read_text())["rows"]
    assert len(rows) == 80 and len(set(rows)) == 80
