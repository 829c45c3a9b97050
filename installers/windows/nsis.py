"""Build the Windows installer with NSIS (gangway.nsi), and sign what we ship.

The script installs exactly the payload's files, one `File` line each, and its uninstaller
deletes exactly those (then only folders left empty): files.nsh and unfiles.nsh are written
here from the payload. `compile_check` runs the same script over a stand-in payload, which is
how Linux CI keeps the script valid (Debian's `makensis`).

Signing (signtool) runs when WINDOWS_SIGN_CERT_SHA1 names a certificate already imported
into the user's store (the release workflow imports the PFX from its secrets, so no password
is ever on a command line); otherwise it is skipped, and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PureWindowsPath

HERE = Path(__file__).resolve().parent
SIGN_ENV = "WINDOWS_SIGN_CERT_SHA1"
TIMESTAMP_URL = "http://timestamp.digicert.com"


def _win(rel: Path) -> str:
    return str(PureWindowsPath(*rel.parts)) if rel.parts else ""


def file_lists(payload: Path, out: Path) -> tuple[Path, Path]:
    """files.nsh (install each file) and unfiles.nsh (delete each, then empty folders)."""
    install, remove = [], []
    dirs = sorted({p.parent.relative_to(payload) for p in payload.rglob("*") if p.is_file()},
                  key=lambda d: (len(d.parts), str(d)))
    for folder in dirs:
        target = "$INSTDIR" + ("\\" + _win(folder) if folder.parts else "")
        install.append(f'SetOutPath "{target}"')
        for path in sorted((payload / folder).iterdir()):
            if path.is_file():
                install.append(f'File "{path}"')
                remove.append(f'Delete "$INSTDIR\\{_win(path.relative_to(payload))}"')
    every_dir = {d for f in dirs for d in [f, *f.parents] if d.parts}
    for folder in sorted(every_dir, key=lambda d: len(d.parts), reverse=True):
        remove.append(f'RMDir "$INSTDIR\\{_win(folder)}"')
    out.mkdir(parents=True, exist_ok=True)
    files, unfiles = out / "files.nsh", out / "unfiles.nsh"
    install.append('SetOutPath "$INSTDIR"')
    files.write_text("\n".join(install) + "\n", encoding="utf-8")
    unfiles.write_text("\n".join(remove) + "\n", encoding="utf-8")
    return files, unfiles


def sign_command() -> list[str] | None:
    thumbprint = os.environ.get(SIGN_ENV, "").strip()
    signtool = shutil.which("signtool")
    if not thumbprint or not signtool:
        why = f"{SIGN_ENV} is not set" if not thumbprint else "signtool is not on PATH"
        print(f"Windows signing skipped: {why}", flush=True)
        return None
    return [signtool, "sign", "/sha1", thumbprint, "/fd", "SHA256",
            "/tr", os.environ.get("WINDOWS_SIGN_TIMESTAMP_URL", TIMESTAMP_URL), "/td", "SHA256"]


def makensis(payload: Path, icon: Path, out_file: Path, version: str, work: Path, *,
             sign: list[str] | None) -> Path:
    files, unfiles = file_lists(payload, work)
    argv = ["makensis", "-V2", "-WX", f"-DVERSION={version}", f"-DOUTFILE={out_file}",
            f"-DICON={icon}", f"-DFILES={files}", f"-DUNFILES={unfiles}"]
    if sign:
        # NSIS runs it on the installer and on the uninstaller it embeds (%1: the file).
        argv.append("-DSIGN=" + subprocess.list2cmdline([*sign, "%1"]))
    argv.append(str(HERE / "gangway.nsi"))
    subprocess.run(argv, check=True)
    with out_file.open("rb") as handle:
        if handle.read(2) != b"MZ":
            raise RuntimeError(f"{out_file} is not a Windows executable")
    return out_file


def build_installer(folder: Path, icons: Path, dist: Path, version: str) -> Path:
    sign = sign_command()
    if sign:
        for exe in ("gangway.exe", "gangwayw.exe"):
            subprocess.run([*sign, str(folder / exe)], check=True)
    out = dist / f"Gangway-{version}-setup.exe"
    return makensis(folder, icons / "gangway.ico", out, version, dist.parent / "build" / "nsis",
                    sign=sign)


def compile_check(work: Path, icons: Path, version: str) -> Path:
    """Compile gangway.nsi over a stand-in payload shaped like the real one."""
    payload = work / "payload"
    shutil.rmtree(work, ignore_errors=True)
    for rel in ("gangway.exe", "gangwayw.exe", "_internal/python311.dll",
                "_internal/base_library.zip",
                "_internal/PySide6/Qt/plugins/platforms/qwindows.dll",
                "_internal/botocore/data/endpoints.json"):
        path = payload / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"stand-in for " + rel.encode())
    out = makensis(payload, icons / "gangway.ico", work / "Gangway-check-setup.exe", version,
                   work, sign=None)
    print(f"makensis compiled {HERE.name}/gangway.nsi over a stand-in payload: {out}",
          flush=True)
    return out
