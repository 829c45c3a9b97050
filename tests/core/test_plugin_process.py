"""The plugin as an owned child, against the sandbox's plugin stand-in: finding and refusing
old releases, killing its whole group, the reader thread, a plugin gone from disk; and where
AWS's installers put it on each OS."""

from __future__ import annotations

import platform
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from app.core.aws.credentials.service import CredentialService
from app.core.aws.sessions import connect, plugin
from app.core.aws.sessions.plugin import PluginInfo, PluginProcess
from app.core.errors import PluginNotFoundError
from app.core.secrets import MemoryStore

REGION = "us-east-1"
KILLED = 128 + 9  # SIGKILL
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-ins, killpg")


def _installed(folder: Path, version: str) -> Path:
    """A plugin release on the user's PATH that answers `--version` as the real one does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / plugin.PLUGIN
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


@posix_only
def test_a_plugin_older_than_1_2_is_refused_with_the_install_hint(tmp_path: Path) -> None:
    old = _installed(tmp_path / "bin", "1.1.61.0")
    with pytest.raises(PluginNotFoundError) as err:
        plugin.require_plugin(str(old.parent))
    assert err.value.message == (f"session-manager-plugin 1.1.61.0 at {old} is too old "
                                 "(Gangway needs 1.2.0.0 or later).")
    assert err.value.hint == plugin.install_hint(platform.system())  # texts pinned below


@posix_only
def test_a_plugin_that_needs_the_token_on_argv_is_refused(tmp_path: Path) -> None:
    # 1.2.497.0 is the last release without AWS_SSM_START_SESSION_RESPONSE support.
    last = _installed(tmp_path / "old", "1.2.497.0")
    assert plugin.require_plugin(str(last.parent)).version == "1.2.497.0"  # usable, but...
    with pytest.raises(PluginNotFoundError, match=r"^session-manager-plugin 1\.2\.497\.0 is too "
                       r"old to receive the session securely \(it needs the token on its "
                       r"command line\)\."):
        plugin.require_secure(str(last.parent))
    newer = _installed(tmp_path / "new", "1.2.553.0")
    assert plugin.require_secure(str(newer.parent)) == PluginInfo(newer, "1.2.553.0")


def test_where_each_os_installer_puts_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ProgramFiles", raising=False)
    monkeypatch.setenv("ProgramFiles(x86)", r"D:\Apps (x86)")
    assert plugin.standard_locations("Windows") == [
        Path(r"C:\Program Files") / "Amazon" / "SessionManagerPlugin" / "bin",
        Path(r"D:\Apps (x86)") / "Amazon" / "SessionManagerPlugin" / "bin"]
    assert plugin.standard_locations("Darwin") == [Path(p) for p in (
        "/usr/local/sessionmanagerplugin/bin", "/usr/local/bin", "/opt/homebrew/bin",
        "/usr/local/Caskroom/session-manager-plugin")]
    assert plugin.standard_locations("Linux") == [Path(p) for p in (
        "/usr/local/sessionmanagerplugin/bin", "/usr/local/bin",
        "/home/linuxbrew/.linuxbrew/bin", "/usr/bin")]


def test_each_os_gets_its_own_install_hint() -> None:
    assert plugin.install_hint("Windows") == (
        "Install it with the AWS installer: https://s3.amazonaws.com/session-manager-downloads/"
        "plugin/latest/windows/SessionManagerPluginSetup.exe (or `winget install "
        "Amazon.SessionManagerPlugin`).")
    assert plugin.install_hint("Darwin") == (
        "Install it with `brew install --cask session-manager-plugin`, or the signed package "
        "from https://s3.amazonaws.com/session-manager-downloads/plugin/latest/mac/"
        "session-manager-plugin.pkg.")
    assert "sudo dpkg -i session-manager-plugin.deb" in plugin.install_hint("Linux")


def _open(aws_env, command: str) -> connect.OpenSession:  # type: ignore[no-untyped-def]
    service = CredentialService(MemoryStore(), prompt=None)
    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    way = connect.route(service, "default", REGION, needs_ec2=False)
    return way.start(node.instance_id, "AWS-StartInteractiveCommand", {"command": [command]})


def _until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def _sleeper_below(pid: int) -> psutil.Process | None:
    with_children = psutil.Process(pid).children(recursive=True)
    return next((p for p in with_children if p.cmdline()[:2] == ["sleep", "300"]), None)


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@posix_only
@pytest.mark.parametrize("new_group", [True, False])
def test_kill_takes_the_plugins_group_with_it(aws_env, new_group: bool) -> None:  # type: ignore[no-untyped-def]
    opened = _open(aws_env, "sleep 300")
    lines: list[str] = []
    proc = PluginProcess.start(plugin.require_plugin(), opened.started, opened.credentials,
                               new_group=new_group, on_line=lines.append)  # no on_exit
    sleeper = None
    try:
        _until(lambda: _sleeper_below(proc.pid) is not None)
        sleeper = _sleeper_below(proc.pid)
        assert sleeper is not None and proc.poll() is None
        proc.kill()
        assert proc.wait(10) == KILLED
        assert proc.stop() == KILLED  # already ended: nothing is sent, the code is kept
        assert f"Starting session with SessionId: {opened.started.session_id}" in lines
        if new_group:  # the plugin's whole group: the remote command went with it
            _until(lambda: _gone(sleeper))
        else:  # only the plugin: what it started is not in a group of its own to stop
            assert not _gone(sleeper)
    finally:
        if sleeper is not None and not _gone(sleeper):
            sleeper.kill()
        opened.terminate()


@posix_only
def test_a_plugin_gone_from_disk_is_reported_from_a_worker_thread(aws_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # require_secure is cached per PATH: the plugin can be uninstalled after it was found.
    gone = PluginInfo(tmp_path / "uninstalled" / plugin.PLUGIN, "1.2.694.0")
    opened = _open(aws_env, "true")
    caught: list[BaseException] = []

    def start() -> None:  # as the window's task pool does: spawns go through one thread
        try:
            PluginProcess.start(gone, opened.started, opened.credentials)
        except BaseException as exc:
            caught.append(exc)

    worker = threading.Thread(target=start)
    worker.start()
    worker.join(30)
    opened.terminate()
    assert len(caught) == 1 and isinstance(caught[0], PluginNotFoundError)
    assert caught[0].message == ("Could not run session-manager-plugin: [Errno 2] No such file "
                                 f"or directory: {str(gone.path)!r}")
    assert caught[0].hint == plugin.install_hint(platform.system())
