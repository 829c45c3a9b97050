"""The Linux packages around the one-folder build: a .deb (dpkg-deb) and a tarball.

.deb layout (everything under /usr, nothing in /etc, no maintainer scripts: dpkg's triggers
refresh the icon cache and the desktop database):
  /usr/lib/gangway/                      the bundle
  /usr/bin/gangway -> ../lib/gangway/gangway   the stable path ssh and AWS config lines name
  /usr/share/applications/gangway.desktop, /usr/share/icons/hicolor/*/apps/gangway.*
  /usr/share/metainfo/io.gangway.Gangway.metainfo.xml, /usr/share/doc/gangway/copyright

Depends: the system libraries the bundle's ELF files load (build.spec leaves them out),
found with ldd and mapped to packages with dpkg -S, as dpkg-shlibdeps would; plus what
Qt's xcb plugin dlopens and the programs Gangway runs (openssh-client).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARCH_NAMES = {"amd64": "x86_64", "arm64": "aarch64"}
# Loaded at run time without a DT_NEEDED entry ldd could see, or run as programs.
EXTRA_DEPENDS = ("openssh-client", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1",
                 "libfontconfig1", "libdbus-1-3")
RECOMMENDS = "gnome-keyring | kwalletmanager"
SUGGESTS = "awscli"


def dpkg_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _needed(elf: Path) -> set[str]:
    out = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True,
                         check=False).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def system_libraries(folder: Path) -> tuple[set[str], set[str]]:
    """(system library paths, sonames not found) that the bundle's ELF files link directly.

    Only direct DT_NEEDED entries count (as with dpkg-shlibdeps): what those libraries need
    in turn is their own packages' Depends.
    """
    folder = folder.resolve()
    internal = folder / "_internal"
    lib_path = os.pathsep.join(str(p) for p in (internal, internal / "PySide6" / "Qt" / "lib",
                                                internal / "PySide6", internal / "shiboken6"))
    env = {**os.environ, "LD_LIBRARY_PATH": lib_path}
    found: set[str] = set()
    missing: set[str] = set()
    for elf in _elf_files(folder):
        needed = _needed(elf)
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env,
                             check=False).stdout
        for line in out.splitlines():
            match = re.match(r"\s*(\S+) => (\S+)", line)
            if not match or match.group(1) not in needed:
                continue
            soname, target = match.groups()
            if target == "not":
                missing.add(soname)
            elif not os.path.realpath(target).startswith(str(folder) + os.sep):
                found.add(target)
    return found, missing


def packages_for(paths: set[str]) -> set[str]:
    """The Debian packages that own these files (dpkg -S), trying /usr-merged spellings."""
    owners: set[str] = set()
    for path in sorted(paths):
        real = os.path.realpath(path)
        spellings = {path, real}
        for p in list(spellings):
            if p.startswith("/usr/lib/"):
                spellings.add(p.removeprefix("/usr"))
            elif p.startswith("/lib/"):
                spellings.add("/usr" + p)
        for spelling in sorted(spellings):
            out = subprocess.run(["dpkg", "-S", spelling], capture_output=True, text=True,
                                 check=False)
            if out.returncode == 0:
                owners.add(out.stdout.split(":", 1)[0].strip())
                break
        else:
            raise RuntimeError(f"no Debian package owns {path}: cannot name it in Depends")
    return owners


def depends(folder: Path) -> list[str]:
    libs, missing = system_libraries(folder)
    if missing:
        raise RuntimeError(f"the bundle needs libraries this machine lacks: {sorted(missing)}")
    # libc6 is implied by everything; keep it, dpkg-shlibdeps would name it too.
    return sorted(packages_for(libs) | set(EXTRA_DEPENDS))


def _copy_icons(icons: Path, share: Path) -> None:
    for path in (icons / "hicolor").rglob("gangway.*"):
        target = share / "icons" / path.relative_to(icons)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _metainfo(version: str) -> str:
    text = (HERE / "io.gangway.Gangway.metainfo.xml").read_text(encoding="utf-8")
    return text.replace("@VERSION@", version).replace("@DATE@", dt.date.today().isoformat())


def build_deb(folder: Path, icons: Path, dist: Path, version: str) -> Path:
    arch = dpkg_arch()
    root = dist.parent / "build" / "deb" / "root"
    shutil.rmtree(root.parent, ignore_errors=True)
    lib = root / "usr" / "lib" / "gangway"
    shutil.copytree(folder, lib, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    os.symlink("../lib/gangway/gangway", root / "usr" / "bin" / "gangway")
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(HERE / "gangway.desktop", share / "applications" / "gangway.desktop")
    _copy_icons(icons, share)
    (share / "metainfo").mkdir()
    (share / "metainfo" / "io.gangway.Gangway.metainfo.xml").write_text(
        _metainfo(version), encoding="utf-8")
    doc = share / "doc" / "gangway"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Gangway: MIT licence, (c) the Gangway developers.\n"
        "Bundled: Python (PSF licence), Qt and PySide6 (LGPL-3.0), boto3/botocore and keyring\n"
        "and their dependencies under their own licences (see /usr/lib/gangway/_internal).\n",
        encoding="utf-8")
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text("\n".join([
        "Package: gangway",
        f"Version: {version}",
        f"Architecture: {arch}",
        "Maintainer: Gangway developers <gangway@users.noreply.github.com>",
        f"Installed-Size: {size_kib}",
        f"Depends: {', '.join(depends(folder))}",
        f"Recommends: {RECOMMENDS}",
        f"Suggests: {SUGGESTS}",
        "Section: net",
        "Priority: optional",
        "Description: SSH, shells and tunnels over AWS Systems Manager Session Manager",
        " Gangway is a desktop app and a `gangway` command for reaching servers through AWS",
        " Systems Manager Session Manager: profiles, MFA and SSO with secrets in the system",
        " keyring, an instance browser, terminals, the ~/.ssh/config block and tunnels.",
        " It needs AWS's session-manager-plugin, which is installed separately.",
        "",
    ]), encoding="utf-8")
    for path in root.rglob("*"):  # dpkg-deb wants 0755 dirs and no group/other write
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022 | (0o755 if path.is_dir() else 0))
    out = dist / f"gangway_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def build_tarball(folder: Path, icons: Path, dist: Path, version: str) -> Path:
    arch = ARCH_NAMES.get(dpkg_arch(), dpkg_arch())
    top = f"gangway-{version}-linux-{arch}"
    stage = dist.parent / "build" / "tarball" / top
    shutil.rmtree(stage.parent, ignore_errors=True)
    shutil.copytree(folder, stage / "gangway", symlinks=True)
    (stage / "share" / "applications").mkdir(parents=True)
    shutil.copyfile(HERE / "gangway.desktop", stage / "share" / "applications" / "gangway.desktop")
    _copy_icons(icons, stage / "share")
    shutil.copyfile(HERE / "install.sh", stage / "install.sh")
    (stage / "install.sh").chmod(0o755)
    out = dist / f"{top}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=top)
    return out
