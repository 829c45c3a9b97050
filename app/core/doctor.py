"""Prerequisite checks for `gangway doctor` and the first-run screen."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from app.core import terminals
from app.core.aws import policies
from app.core.aws.sessions import plugin
from app.core.procs import output_of, which
from app.core.secrets import backend_info


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    MISSING = "missing"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    hint: str
    essential: bool


def _version(text: str | None) -> str:
    match = re.search(r"\d+(?:\.\d+)+", text or "")
    return match.group(0) if match else "unknown version"


def check_aws_cli() -> Check:
    path = which("aws")
    if path is None:
        return Check("AWS CLI", Status.WARN, "not found",
                     "Optional: Gangway talks to AWS itself. Install AWS CLI v2 for the "
                     "'AWS CLI' ProxyCommand mode: https://docs.aws.amazon.com/cli/latest/"
                     "userguide/getting-started-install.html", essential=False)
    out = output_of([path, "--version"]) or ""
    ver = _version(out.split("/", 1)[1] if out.startswith("aws-cli/") else out)
    major = ver.split(".")[0]
    if major != "2":
        return Check("AWS CLI", Status.WARN, f"{ver} at {path}",
                     "AWS CLI v1 lacks `configure export-credentials`; v2 is recommended.",
                     essential=False)
    return Check("AWS CLI", Status.OK, f"{ver} at {path}", "", essential=False)


# Gangway does not bundle the plugin (docs/packaging.md): the doctor says how to get AWS's.
PLUGIN_GUIDE = ("https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                "session-manager-working-with-install-plugin.html")
_PLUGIN_DOWNLOADS = "https://s3.amazonaws.com/session-manager-downloads/plugin/latest"


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


def check_plugin() -> Check:
    info = plugin.find_plugin()
    if info is None:
        return Check("session-manager-plugin", Status.MISSING, "not found",
                     plugin_install_hint(), essential=True)
    if info.version != "unknown" and info.version_tuple < plugin.MIN_PLUGIN_VERSION:
        return Check("session-manager-plugin", Status.WARN, f"{info.version} at {info.path} (old)",
                     plugin_install_hint(), essential=True)
    return Check("session-manager-plugin", Status.OK, f"{info.version} at {info.path}", "",
                 essential=True)


def check_ssh() -> Check:
    path = which("ssh")
    if path is None:
        hint = ("Enable the 'OpenSSH Client' optional feature (Settings > Apps > Optional "
                "features)." if platform.system() == "Windows"
                else "Install the OpenSSH client (Debian/Ubuntu: "
                "`sudo apt install openssh-client`).")
        return Check("OpenSSH client", Status.MISSING, "not found", hint, essential=True)
    out = output_of([path, "-V"]) or ""
    match = re.search(r"OpenSSH[_\w.]*", out)
    return Check("OpenSSH client", Status.OK, f"{match.group(0) if match else out} at {path}", "",
                 essential=True)


def check_keyring() -> Check:
    info = backend_info()
    if info.real:
        return Check("Keyring", Status.OK, info.name, "", essential=False)
    return Check("Keyring", Status.WARN, f"{info.name}: {info.detail}",
                 "Secrets will be kept in memory only (never in plaintext). On Linux, install "
                 "and unlock a Secret Service keyring: GNOME Keyring, or KWallet with its "
                 "Secret Service interface enabled (KDE Frameworks 5.97 or later).",
                 essential=False)


def check_terminals() -> Check:
    found = terminals.detect()
    if not found:
        return Check("Terminal emulator", Status.WARN, "none found",
                     "Install a terminal (e.g. gnome-terminal, konsole or xterm) or set a custom "
                     "terminal command in Settings.", essential=False)
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


def run_checks(data_dir: Path | None = None) -> list[Check]:
    """Every check; the keyless one when Gangway's data dir is given."""
    checks = [check_aws_cli(), check_plugin(), check_ssh(), check_keyring(), check_terminals()]
    if data_dir is not None:
        checks.append(check_keyless(data_dir))
    return checks


def essentials_ok(checks: list[Check]) -> bool:
    return all(c.status is Status.OK for c in checks if c.essential)
