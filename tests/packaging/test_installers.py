"""The Linux packages install, run and go away cleanly; the Windows script compiles.

The .deb test installs into this machine's /usr with apt-get (root, as in .ci/run), runs the
installed app's smoke test on a private desktop, checks the lines it writes name the stable
/usr/bin/gangway, then purges it and checks every file it brought is gone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import in_ci, require_program
from tests.packaging.conftest import one
from tests.packaging.desktop import desktop
from tests.packaging.helpers import assert_smoke_passed, run, smoke, ssh_through

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.linux_only]


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", "-y", "-q", *args], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


def _installed() -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "gangway"], capture_output=True,
                          text=True, check=False)
    return "install ok installed" in done.stdout


@pytest.fixture
def installed_deb(dist_dir: Path):  # type: ignore[no-untyped-def]
    if os.geteuid() != 0:
        message = "installing the .deb needs root (apt-get)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    require_program("apt-get")
    if _installed():
        pytest.fail("a gangway package is already installed here; remove it first")
    deb = one(dist_dir, "gangway_*.deb")
    done = _apt("install", "--no-install-recommends", str(deb))
    assert done.returncode == 0, done.stdout + done.stderr
    files = subprocess.run(["dpkg-query", "-L", "gangway"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    try:
        yield [Path(f) for f in files if f.strip()]
    finally:
        if _installed():
            _apt("purge", "gangway")


def test_deb_installs_runs_and_purges_cleanly(installed_deb: list[Path], aws_env, sshd,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    owned = [p for p in installed_deb if p.is_file() or p.is_symlink()]
    exe = Path("/usr/bin/gangway")
    assert exe.is_symlink() and exe.resolve() == Path("/usr/lib/gangway/gangway")
    for path in ("/usr/share/applications/gangway.desktop",
                 "/usr/share/icons/hicolor/256x256/apps/gangway.png",
                 "/usr/share/icons/hicolor/scalable/apps/gangway.svg",
                 "/usr/share/metainfo/io.gangway.Gangway.metainfo.xml"):
        assert Path(path) in installed_deb, path
    control = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", "gangway"],
                             capture_output=True, text=True, check=True).stdout
    for needed in ("openssh-client", "libxcb-cursor0", "libxkbcommon-x11-0", "libx11-xcb1"):
        assert needed in control, control
    if shutil.which("appstreamcli"):
        done = run(["appstreamcli", "validate", "--no-net", "--explain",
                    "/usr/share/metainfo/io.gangway.Gangway.metainfo.xml"], dict(os.environ))
        assert done.returncode == 0, done.stdout + done.stderr

    node = aws_env.sandbox.fleet.by_name("web-1.prod")
    with desktop(aws_env.home, aws_env.subprocess_env()) as env:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if Path(p).resolve() != Path(sys.executable).parent)
        done = smoke(exe, env, f"default {node.instance_id} 22")
        assert_smoke_passed(done)
        # What ssh and the AWS CLI will run names the stable path, not /usr/lib/gangway.
        assert "/usr/bin/gangway proxy -> " in done.stdout
        cfg = tmp_path / "ssh_config"
        login = ssh_through(exe, env, cfg, sshd, node.instance_id, tmp_path)
        assert login.returncode == 0, login.stderr
        assert "ProxyCommand /usr/bin/gangway proxy" in cfg.read_text()

    done = _apt("purge", "gangway")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not _installed()
    left = [p for p in owned if p.exists() or p.is_symlink()]
    assert left == [], f"left behind after purge: {left[:10]}"
    assert not Path("/usr/lib/gangway").exists()


def test_tarball_install_sh_installs_and_uninstalls(dist_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".config" / "gangway").mkdir(parents=True)
    (home / ".config" / "gangway" / "settings.json").write_text("{}")
    # The block is for a profile that exists (ssh-config refuses an unknown one).
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text("[default]\nregion = us-east-1\n")
    before = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    with tarfile.open(one(dist_dir, "gangway-*-linux-*.tar.gz")) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    top = next((tmp_path / "unpacked").iterdir())
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "GANGWAY_HOME": str(home / ".gw")}
    done = run(["sh", str(top / "install.sh")], env)
    assert done.returncode == 0, done.stderr
    link = home / ".local" / "bin" / "gangway"
    assert link.is_symlink()
    version = run([str(link), "--version"], env)
    assert version.returncode == 0 and version.stdout.startswith("gangway "), version.stderr
    desktop_file = home / ".local" / "share" / "applications" / "gangway.desktop"
    assert f"Exec={link}" in desktop_file.read_text()
    block = run([str(link), "ssh-config", "--print", "--no-aliases"], env)
    assert f"ProxyCommand {link} proxy" in block.stdout, block.stdout + block.stderr

    shutil.rmtree(home / ".gw", ignore_errors=True)  # what running it wrote, not installed
    done = run(["sh", str(top / "install.sh"), "--uninstall"], env)
    assert done.returncode == 0, done.stderr
    after = sorted(str(p.relative_to(home)) for p in home.rglob("*")
                   if not p.is_dir() or any(p.iterdir()))
    assert [p for p in after if p not in before] == []  # no file, link or filled folder
    assert (home / ".config" / "gangway" / "settings.json").exists()  # user data is kept


@pytest.mark.needs_program("makensis")
def test_nsis_script_compiles_and_uninstalls_exactly_what_it_installs(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "installers"))
    from windows import nsis

    icons = tmp_path / "icons"
    done = run([sys.executable, str(ROOT / "scripts" / "make_icons.py"), str(icons)],
               {**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    out = nsis.compile_check(tmp_path / "nsis", icons, "1.2.3")
    assert out.read_bytes()[:2] == b"MZ" and out.stat().st_size > 50_000
    installed = [line.split('"')[1] for line in (tmp_path / "nsis" / "files.nsh").read_text()
                 .splitlines() if line.startswith("File ")]
    deleted = [line.split('"')[1] for line in (tmp_path / "nsis" / "unfiles.nsh").read_text()
               .splitlines() if line.startswith("Delete ")]
    payload = tmp_path / "nsis" / "payload"
    as_installed = sorted("$INSTDIR\\" + str(Path(p).relative_to(payload)).replace("/", "\\")
                          for p in installed)
    assert sorted(deleted) == as_installed
    script = (ROOT / "installers" / "windows" / "gangway.nsi").read_text()
    for needle in ("RequestExecutionLevel user", '"$LOCALAPPDATA\\Programs\\Gangway"',
                   'Section /o "Desktop shortcut"', 'Section /o "Start Gangway when I sign in"',
                   "RMDir /r \"$LOCALAPPDATA\\gangway\""):
        assert needle in script, needle
