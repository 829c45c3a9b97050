"""Prerequisite checks for `gangway doctor`, Help > Doctor and the first-run screen.

Each check that is not OK carries a `Fix` for this OS (`fixes.py`): the install command, the
link to read, the GNOME extension to enable.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

from app.core import fixes, terminals
from app.core.aws import policies
from app.core.aws.sessions import plugin
from app.core.checks import Check, Fix, Status
from app.core.procs import output_of, which
from app.core.secrets import backend_info

__all__ = ["Check", "Fix", "Status", "essentials_ok", "run_checks"]


def _version(text: str | None) -> str:
    match = re.search(r"\d+(?:\.\d+)+", text or "")
    return match.group(0) if match else "unknown version"


def check_aws_cli() -> Check:
    path = which("aws")
    link = Fix(links=("https://docs.aws.amazon.com/cli/latest/userguide/"
                      "getting-started-install.html",))
    if path is None:
        return Check("AWS CLI", Status.WARN, "not found",
                     "Optional: Gangway talks to AWS itself. Install AWS CLI v2 for the "
                     "'AWS CLI' ProxyCommand mode.", essential=False, fix=link)
    out = output_of([path, "--version"]) or ""
    ver = _version(out.split("/", 1)[1] if out.startswith("aws-cli/") else out)
    major = ver.split(".")[0]
    if major != "2":
        return Check("AWS CLI", Status.WARN, f"{ver} at {path}",
                     "AWS CLI v1 lacks `configure export-credentials`; v2 is recommended.",
                     essential=False, fix=link)
    return Check("AWS CLI", Status.OK, f"{ver} at {path}", "", essential=False)


# Gangway does not bundle the plugin (docs/packaging.md): the doctor says how to get AWS's.
# The same addresses as the window's fixes (one place: fixes.py).
PLUGIN_GUIDE = fixes.PLUGIN_DOCS
_PLUGIN_DOWNLOADS = fixes.PLUGIN_BASE


def _os_release(path: str = "/etc/os-release") -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            pairs = (line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
            return {k: v.strip('"') for k, v in pairs}
    except OSError:
        return {}


def plugin_install_hint(system: str | None = None, machine: str | None = None,
                        os_release: dict[str, str] | None = None) -> str:
    """AWS's installer for this OS and CPU; on Debian/Ubuntu, the exact commands."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    arm = machine in ("arm64", "aarch64")
    if system == "Windows":
        return (f"Install it with AWS's installer: {_PLUGIN_DOWNLOADS}/windows/"
                f"SessionManagerPluginSetup.exe (guide: {PLUGIN_GUIDE}).")
    if system == "Darwin":
        return (f"Install AWS's signed package: {_PLUGIN_DOWNLOADS}/"
                f"{'mac_arm64' if arm else 'mac'}/session-manager-plugin.pkg, or "
                f"`brew install --cask session-manager-plugin` (guide: {PLUGIN_GUIDE}).")
    release = _os_release() if os_release is None else os_release
    family = {release.get("ID", ""), *release.get("ID_LIKE", "").split()}
    if family & {"debian", "ubuntu"}:
        url = f"{_PLUGIN_DOWNLOADS}/{'ubuntu_arm64' if arm else 'ubuntu_64bit'}/" \
              "session-manager-plugin.deb"
        return (f"Install AWS's package: `curl -fLo /tmp/session-manager-plugin.deb {url}` "
                "then `sudo apt-get install /tmp/session-manager-plugin.deb` "
                f"(guide: {PLUGIN_GUIDE}).")
    url = f"{_PLUGIN_DOWNLOADS}/{'linux_arm64' if arm else 'linux_64bit'}/" \
          "session-manager-plugin.rpm"
    return f"Install AWS's package: {url} (guide: {PLUGIN_GUIDE})."


def check_plugin(family: str) -> Check:
    info = plugin.find_plugin()
    if info is None:
        return Check("session-manager-plugin", Status.MISSING, "not found",
                     "Every shell, SSH connection and tunnel needs AWS's Session Manager "
                     "plugin. Install it:", essential=True, fix=fixes.plugin_fix(family))
    if info.version != "unknown" and info.version_tuple < plugin.MIN_PLUGIN_VERSION:
        return Check("session-manager-plugin", Status.WARN, f"{info.version} at {info.path} (old)",
                     "This plugin is too old for SSH and forwarding to remote hosts; install "
                     "the current one:", essential=True, fix=fixes.plugin_fix(family))
    return Check("session-manager-plugin", Status.OK, f"{info.version} at {info.path}", "",
                 essential=True)


def check_ssh(family: str) -> Check:
    path = which("ssh")
    if path is None:
        hint = ("Enable the 'OpenSSH Client' optional feature (Settings > Apps > Optional "
                "features)." if family == "windows"
                else "SSH, SFTP and SCP need the OpenSSH client; shells work without it.")
        return Check("OpenSSH client", Status.MISSING, "not found", hint, essential=True,
                     fix=fixes.package_fix(family, "ssh"))
    out = output_of([path, "-V"]) or ""
    match = re.search(r"OpenSSH[_\w.]*", out)
    return Check("OpenSSH client", Status.OK, f"{match.group(0) if match else out} at {path}", "",
                 essential=True)


def check_keyring(family: str) -> Check:
    info = backend_info()
    if info.real:
        return Check("Keyring", Status.OK, info.name, "", essential=False)
    # What is missing first; the backend's class name after it, for a bug report.
    return Check("Keyring", Status.WARN, f"no OS keyring found (Python keyring: {info.name})",
                 "Secrets will be kept in memory only (never in plaintext). On Linux, install "
                 "and unlock a Secret Service keyring: GNOME Keyring, or KWallet with its "
                 "Secret Service interface enabled (KDE Frameworks 5.97 or later).",
                 essential=False, fix=fixes.package_fix(family, "keyring"))


def check_terminals(family: str) -> Check:
    found = terminals.detect()
    if not found:
        return Check("Terminal emulator", Status.WARN, "none found",
                     "Install a terminal (e.g. gnome-terminal, konsole or xterm) or set a custom "
                     "terminal command in Settings.", essential=False,
                     fix=fixes.package_fix(family, "terminal"))
    names = ", ".join(t.name for t in found)
    return Check("Terminal emulator", Status.OK, names, "", essential=False)


def check_keyless(data_dir: Path) -> Check:
    """Keyless SSH: ssh-keygen for the ephemeral key, the key's state, the IAM permission."""
    from app.core.ssh.ephemeral import EphemeralKey, EphemeralKeyError

    need = (f"Keyless SSH needs {policies.SEND_SSH_PUBLIC_KEY} (scoped by "
            f"{policies.OS_USER_CONDITION}) and {policies.DESCRIBE_INSTANCES}; the statement "
            "is in the README (Keyless SSH).")
    name = "Keyless SSH (EC2 Instance Connect)"
    if which("ssh-keygen") is None:
        return Check(name, Status.WARN, "ssh-keygen not found",
                     "Install the OpenSSH client, which includes ssh-keygen. " + need,
                     essential=False)
    keys = EphemeralKey(data_dir)
    try:
        pair = keys.load()
    except EphemeralKeyError as exc:
        return Check(name, Status.WARN, exc.message, f"{exc.hint} {need}", essential=False)
    if pair is None:
        return Check(name, Status.OK, "ephemeral key made on first use", need, essential=False)
    hours = pair.age() / 3600
    left = max(0.0, keys.rotate_after / 3600 - hours)
    return Check(name, Status.OK, f"ephemeral {pair.key_type} key, {hours:.1f} h old "
                 f"(replaced in {left:.1f} h)", need, essential=False)


def check_tray(available: bool, family: str, desktop: str | None = None) -> Check:
    """`available` comes from the caller (the window asks Qt; core has no Qt)."""
    if available:
        return Check("Tray icon host", Status.OK, "available", "", essential=False)
    desktop = os.environ.get("XDG_CURRENT_DESKTOP", "") if desktop is None else desktop
    fix = fixes.tray_fix(family, desktop)
    hint = ("GNOME shows tray icons only with the AppIndicator extension; without a tray, "
            "closing the window minimises it while tunnels are on (and quits otherwise)."
            if fix else "No system tray was found: closing the window minimises it while "
            "tunnels are on (and quits otherwise).")
    return Check("Tray icon host", Status.WARN, f"none on {desktop or 'this desktop'}", hint,
                 essential=False, fix=fix)


def run_checks(data_dir: Path | None = None, *, tray_available: bool | None = None,
               family: str | None = None) -> list[Check]:
    """The local checks; the tray only when the caller can tell (the window can), and the
    keyless one when Gangway's data dir is given."""
    family = family or fixes.os_family(platform.system())
    checks = [check_aws_cli(), check_plugin(family), check_ssh(family), check_keyring(family),
              check_terminals(family)]
    if tray_available is not None:
        checks.append(check_tray(tray_available, family))
    if data_dir is not None:
        checks.append(check_keyless(data_dir))
    return checks


def essentials_ok(checks: list[Check]) -> bool:
    return all(c.status is Status.OK for c in checks if c.essential)


def plugin_missing(checks: list[Check]) -> bool:
    return any(c.name == "session-manager-plugin" and c.status is Status.MISSING for c in checks)
