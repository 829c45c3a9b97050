"""Protect keys leaves no secret in any plain file (backups, temp files, logs), and a
half-failed protect leaves the profile as it was. Real gnome-keyring on a private D-Bus."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core import store
from app.core.aws.credentials.types import KEYS_PREFIX
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.profiles.reader import load_profiles
from app.core.aws.profiles.writer import ProfileWriter
from app.core.errors import UnwritableDirError
from app.core.logsetup import setup_logging
from app.core.secrets import KeyringStore

pytestmark = [pytest.mark.needs_program("gnome-keyring-daemon"),
              pytest.mark.needs_program("dbus-daemon"), pytest.mark.linux_only]
ROOT = Path(__file__).resolve().parents[2]


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "AKIA" + secrets.token_hex(8).upper(),
            "aws_secret_access_key": secrets.token_urlsafe(30)[:40]}


def _plain_files_holding(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_protect_leaves_no_secret_in_any_backup_temp_file_or_log(
        aws_env, gnome_keyring, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    log_file = tmp_path / "gangway.log"
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(log_file, logging.DEBUG)
    for handler in root.handlers:
        if handler not in before:
            request.addfinalizer(lambda h=handler: (root.removeHandler(h), h.close()))
    writer = ProfileWriter(KeyringStore())
    a, b = _keys(), _keys()
    profiles = writer.create(load_profiles(), "a", {"region": "us-east-1"}, a)
    profiles = writer.create(profiles, "b", {"region": "us-east-1"}, b)
    profiles = writer.update(profiles, "a", {"output": "json"}, {"aws_session_token": None})
    # Every edit above backed the credentials file up, secrets and all: those stay
    # restorable until a key moves to the keyring.
    assert _plain_files_holding(aws_env.home, a["aws_secret_access_key"])
    profiles = writer.protect_keys(profiles, "a")
    profiles = writer.protect_keys(profiles, "b")
    for name, keys in (("a", a), ("b", b)):
        assert profiles.require(name).kind is ProfileKind.PROTECTED
        assert keys["aws_secret_access_key"] in (KeyringStore().get(KEYS_PREFIX + name) or "")
        for folder in (aws_env.home, tmp_path):
            assert _plain_files_holding(folder, keys["aws_secret_access_key"]) == []
    backups = store.backups_of(aws_env.credentials_file)
    assert backups and all(b.stat().st_mode & 0o077 == 0 for b in backups)
    assert store.REDACTED in backups[-1].read_text()


_HALF_FAIL = textwrap.dedent("""
    import resource, signal
    from app.core.aws.profiles.reader import load_profiles
    from app.core.aws.profiles.writer import ProfileWriter
    from app.core.secrets import KeyringStore
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        ProfileWriter(KeyringStore()).protect_keys(load_profiles(), "default")
    except OSError as exc:
        print("failed:", exc.strerror)
    finally:  # lifted again, so coverage.py can write this child's data file at exit
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
""")


def test_a_failing_second_write_puts_the_first_file_back(aws_env, gnome_keyring) -> None:
    # The config file is too big to write under the child's file size limit; the
    # credentials file is small enough: the first write succeeds, the second fails.
    with aws_env.config_file.open("a") as fh:
        fh.write("# padding\n" * 1000)
    before = {p: p.read_bytes() for p in (aws_env.config_file, aws_env.credentials_file)}
    done = subprocess.run([sys.executable, "-c", _HALF_FAIL], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.stdout.startswith("failed: File too large"), done.stdout + done.stderr
    after = {p: p.read_bytes() for p in before}
    assert after == before
    profile = load_profiles().require("default")
    assert profile.kind is ProfileKind.STATIC
    assert store.backups_of(aws_env.config_file) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 folder; the "
                    "GitHub runner (not root) runs this")
def test_an_unwritable_config_folder_refuses_before_any_write(tmp_path: Path,
                                                               gnome_keyring) -> None:
    conf_dir, cred_dir = tmp_path / "conf", tmp_path / "cred"
    conf_dir.mkdir()
    cred_dir.mkdir()
    cfg, crd = conf_dir / "config", cred_dir / "credentials"
    cfg.write_text("[default]\nregion = us-east-1\n")
    crd.write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n"
                   "aws_secret_access_key = abc\n")
    conf_dir.chmod(0o500)
    try:
        with pytest.raises(UnwritableDirError):
            ProfileWriter(KeyringStore()).protect_keys(load_profiles(cfg, crd), "default")
        assert load_profiles(cfg, crd).require("default").kind is ProfileKind.STATIC
    finally:
        conf_dir.chmod(0o700)
