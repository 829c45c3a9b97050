"""The frozen one-folder build (dist/gangway), run as a user and as ssh/the AWS CLI run it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.packaging.desktop import desktop
from tests.packaging.helpers import assert_smoke_passed, run, smoke, ssh_through

pytestmark = [pytest.mark.linux_only, pytest.mark.needs_program("ssh")]


def test_smoke_test_passes_on_a_desktop(frozen_app: Path, aws_env, sshd) -> None:  # type: ignore[no-untyped-def]
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    with desktop(aws_env.home, aws_env.subprocess_env()) as env:
        done = smoke(frozen_app, env, f"default {node.instance_id} 22")
    assert_smoke_passed(done)
    assert f"{frozen_app} proxy -> {node.instance_id}:22" in done.stdout


def test_smoke_test_names_what_failed(frozen_app: Path, aws_env) -> None:  # type: ignore[no-untyped-def]
    # No session bus, no display tray: the real failures, each said, and a non-zero exit.
    env = {k: v for k, v in aws_env.subprocess_env().items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "PYTHON_KEYRING_BACKEND")}
    done = run([str(frozen_app), "--smoke-test"], {**env, "QT_QPA_PLATFORM": "offscreen"},
               timeout=120)
    assert done.returncode == 1, done.stdout
    assert "keyring   FAILED  keyring.backends.fail.Keyring" in done.stdout
    assert "tray      FAILED" in done.stdout
    assert "ipc       ok" in done.stdout and "botocore  ok" in done.stdout
    assert done.stdout.rstrip().endswith("smoke test FAILED: keyring, tray")


def test_credential_process_and_proxy_helpers(frozen_app: Path, aws_env, sshd,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    with desktop(aws_env.home, aws_env.subprocess_env()) as env:
        done = run([str(frozen_app), "credentials", "--profile", "default"], env)
        assert done.returncode == 0, done.stderr
        creds = json.loads(done.stdout)
        assert creds["Version"] == 1
        assert creds["AccessKeyId"] == aws_env.sandbox.identities["default"].access_key_id

        node = aws_env.sandbox.fleet.by_name("web-1.prod")
        cfg = tmp_path / "ssh_config"
        done = ssh_through(frozen_app, env, cfg, sshd, node.instance_id, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "via-frozen-proxy"
    assert f"ProxyCommand {frozen_app} proxy" in cfg.read_text()


@pytest.mark.needs_program("xdotool")
def test_mfa_prompt_dialog_from_the_frozen_build(frozen_app: Path, aws_env) -> None:  # type: ignore[no-untyped-def]
    with desktop(aws_env.home, aws_env.subprocess_env(), tray=False) as env:
        proc = subprocess.Popen([str(frozen_app), "mfa-prompt", "--profile", "prod",
                                 "--serial", "arn:aws:iam::1:mfa/me"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            window = ""
            deadline = time.monotonic() + 60
            while not window and time.monotonic() < deadline and proc.poll() is None:
                window = run(["xdotool", "search", "--onlyvisible", "--name", "MFA"],
                             env).stdout.split("\n")[0].strip()
                time.sleep(0.2)
            assert window, "the MFA dialog did not appear"
            run(["xdotool", "windowfocus", "--sync", window], env)
            run(["xdotool", "type", "--delay", "20", "123456"], env)
            run(["xdotool", "key", "Return"], env)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    assert out == "123456\n"


def test_the_bundle_leaves_out_secretstorage_and_cryptography(frozen_app: Path) -> None:
    # The Secret Service is Gangway's own client (jeepney only): neither module may be frozen
    # in, as a file or inside the executable's Python archive.
    from PyInstaller.archive.readers import CArchiveReader

    folder = frozen_app.parent
    files = [str(p.relative_to(folder)) for p in folder.rglob("*")]
    assert not [f for f in files if "cryptography" in f or "secretstorage" in f]
    archive = CArchiveReader(str(frozen_app))
    (pyz,) = [name for name in archive.toc if name.endswith(".pyz")]
    modules = set(archive.open_embedded_archive(pyz).toc)
    assert "app.core.secret_service" in modules and "jeepney.io.blocking" in modules
    assert not [m for m in modules if m.split(".")[0] in ("cryptography", "secretstorage")]


def test_frozen_app_reads_keyring_items_and_keyring_reads_its_own(  # type: ignore[no-untyped-def]
        frozen_app: Path, aws_env, monkeypatch) -> None:
    import keyring
    import keyring.core

    from app.core.aws.credentials.types import CACHE_PREFIX
    from app.core.aws.profiles.reader import load_profiles
    from app.core.aws.profiles.writer import ProfileWriter
    from app.core.secrets import SERVICE, KeyringStore

    with desktop(aws_env.home, aws_env.subprocess_env(), tray=False) as env:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        previous = keyring.get_keyring()
        keyring.core.init_backend()
        try:
            # Keys protected through keyring's SecretService backend, as Gangway 0.x did.
            ProfileWriter(KeyringStore()).protect_keys(load_profiles(), "default")
            alice = aws_env.sandbox.identities["default"]
            done = run([str(frozen_app), "credentials", "--profile", "default"], env)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["SecretAccessKey"] == alice.secret_access_key
            # A role on top: the frozen app caches the session it got; keyring reads it.
            done = run([str(frozen_app), "credentials", "--profile", "role"], env)
            assert done.returncode == 0, done.stderr
            token = json.loads(done.stdout)["SessionToken"]
            cached = keyring.get_password(SERVICE, CACHE_PREFIX + "role")
            assert cached is not None and json.loads(cached)["SessionToken"] == token
        finally:
            keyring.set_keyring(previous)
