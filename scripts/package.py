"""`make package`: build what this OS can build, into dist/ (docs/packaging.md).

    python scripts/package.py [--skip-build]

Every OS: icons from resources/icons/gangway.svg, the PyInstaller one-folder build
(dist/gangway, or dist/Gangway.app), its size and ten largest parts (dist/size-report.txt).
Linux:   dist/gangway_VERSION_ARCH.deb and dist/gangway-VERSION-linux-ARCH.tar.gz; and, when
         makensis is installed, the Windows NSIS script compiled over a stand-in payload.
Windows: dist/Gangway-VERSION-setup.exe (NSIS), signed when certificate secrets are set.
macOS:   dist/Gangway-VERSION.dmg via installers/macos/package.sh (signing and notarization
         when their secrets are set).
Then dist/SHA256SUMS over the artifacts.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUILD = ROOT / "build"
ICONS = BUILD / "icons"
INSTALLERS = ROOT / "installers"
sys.path.insert(0, str(ROOT / "installers"))

from linux import deb  # noqa: E402
from windows import nsis  # noqa: E402


def version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def run(argv: list[str], **kw: object) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(argv, check=True, **kw)  # type: ignore[call-overload]


def build_bundle() -> float:
    run([sys.executable, str(ROOT / "scripts" / "make_icons.py"), str(ICONS)])
    started = time.monotonic()
    run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"),
         str(ROOT / "build.spec")])
    return time.monotonic() - started


def bundle_dir() -> Path:
    app = DIST / "Gangway.app"
    return app if sys.platform == "darwin" and app.is_dir() else DIST / "gangway"


def size_report(folder: Path, top: int = 10) -> str:
    files = [(p.stat().st_size, p) for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(size for size, _ in files)
    lines = [f"{folder.name}: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in {len(files)} files",
             f"ten largest parts of {folder.name}:" if top == 10 else f"largest {top}:"]
    for size, path in sorted(files, key=lambda item: item[0], reverse=True)[:top]:
        lines.append(f"  {size / 1e6:6.1f} MB  {path.relative_to(folder)}")
    return "\n".join(lines)


def checksums(paths: list[Path]) -> Path:
    out = DIST / "SHA256SUMS"
    lines = []
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.name}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true",
                        help="reuse dist/gangway (installers only)")
    args = parser.parse_args(argv)
    ver = version()
    if not args.skip_build:
        seconds = build_bundle()
        print(f"PyInstaller build: {seconds:.0f} s", flush=True)
    folder = bundle_dir()
    report = size_report(folder)
    (DIST / "size-report.txt").write_text(report + "\n", encoding="utf-8")
    print(report, flush=True)

    artifacts: list[Path] = []
    system = platform.system()
    if system == "Linux":
        artifacts.append(deb.build_deb(folder, ICONS, DIST, ver))
        artifacts.append(deb.build_tarball(folder, ICONS, DIST, ver))
        if shutil.which("makensis"):
            # Checks the Windows script on every Linux build; the payload is a stand-in.
            nsis.compile_check(BUILD / "nsis-check", ICONS, ver)
        else:
            print("makensis not installed: the Windows installer script was not checked")
    elif system == "Windows":
        artifacts.append(nsis.build_installer(folder, ICONS, DIST, ver))
    elif system == "Darwin":
        env = {**os.environ, "GANGWAY_VERSION": ver}
        run(["bash", str(INSTALLERS / "macos" / "package.sh"), str(folder), str(DIST)], env=env)
        artifacts.append(DIST / f"Gangway-{ver}.dmg")
    for path in artifacts:
        print(f"built {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.1f} MB)")
    if artifacts:
        print(f"checksums in {checksums(artifacts).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
