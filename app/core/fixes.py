"""Install commands for the tools Gangway needs, per operating system family.

The family comes from `/etc/os-release` (ID and ID_LIKE) on Linux. Commands are shown to the
user to copy; Gangway never runs them (they need sudo, and the user should see what runs).
"""

from __future__ import annotations

import platform
from pathlib import Path

from app.core.checks import Fix

OS_RELEASE = Path("/etc/os-release")
PLUGIN_DOCS = ("https://docs.aws.amazon.com/systems-manager/latest/userguide/"
               "session-manager-working-with-install-plugin.html")
PLUGIN_BASE = "https://s3.amazonaws.com/session-manager-downloads/plugin/latest"
APPINDICATOR_URL = "https://extensions.gnome.org/extension/615/appindicator-support/"
# The extension's id as each distribution packages it (Debian/Ubuntu rename it).
_APPINDICATOR_UUID = {"debian": "ubuntu-appindicators@ubuntu.com",
                      "rhel": "appindicatorsupport@rgcjonas.gmail.com",
                      "arch": "appindicatorsupport@rgcjonas.gmail.com"}


def _os_release(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip().strip("\"'")
    return out


def os_family(system: str | None = None, os_release: Path = OS_RELEASE) -> str:
    """windows | macos | debian | rhel | suse | arch | linux (unknown distribution)."""
    system = system or platform.system()
    if system == "Windows":
        return "windows"
    if system == "Darwin":
        return "macos"
    info = _os_release(os_release)
    ids = {info.get("ID", "").lower(), *info.get("ID_LIKE", "").lower().split()}
    for family, members in (("debian", {"debian", "ubuntu"}),
                            ("rhel", {"rhel", "fedora", "centos", "amzn"}),
                            ("suse", {"suse", "opensuse", "sles"}), ("arch", {"arch"})):
        if ids & members:
            return family
    return "linux"


def _arm(machine: str) -> bool:
    return machine.lower() in ("aarch64", "arm64")


def plugin_fix(family: str, machine: str | None = None) -> Fix:
    """AWS's own packages for the session-manager-plugin, for this OS and CPU (the same
    addresses `doctor.plugin_install_hint` words for the CLI)."""
    arm = _arm(machine or platform.machine())
    if family == "debian":
        folder = "ubuntu_arm64" if arm else "ubuntu_64bit"
        url = f"{PLUGIN_BASE}/{folder}/session-manager-plugin.deb"
        return Fix((f"curl -fLo /tmp/session-manager-plugin.deb {url}",
                    "sudo apt-get install /tmp/session-manager-plugin.deb"), (PLUGIN_DOCS,))
    if family == "macos":
        pkg = f"{PLUGIN_BASE}/{'mac_arm64' if arm else 'mac'}/session-manager-plugin.pkg"
        return Fix(("brew install --cask session-manager-plugin",), (pkg, PLUGIN_DOCS))
    if family == "windows":
        return Fix(("winget install Amazon.SessionManagerPlugin",),
                   (f"{PLUGIN_BASE}/windows/SessionManagerPluginSetup.exe", PLUGIN_DOCS))
    folder = "linux_arm64" if arm else "linux_64bit"
    rpm = f"{PLUGIN_BASE}/{folder}/session-manager-plugin.rpm"
    if family in ("rhel", "suse"):
        tool = "zypper install" if family == "suse" else "yum install -y"
        return Fix((f"sudo {tool} {rpm}",), (PLUGIN_DOCS,))
    return Fix((), (rpm, PLUGIN_DOCS))  # an unknown distribution: the package, no guess


_PACKAGES = {  # family -> (install command prefix, {tool: package})
    "debian": ("sudo apt install", {"ssh": "openssh-client", "keyring": "gnome-keyring",
                                    "terminal": "gnome-terminal",
                                    "tray": "gnome-shell-extension-appindicator"}),
    "rhel": ("sudo dnf install", {"ssh": "openssh-clients", "keyring": "gnome-keyring",
                                  "terminal": "gnome-terminal",
                                  "tray": "gnome-shell-extension-appindicator"}),
    "suse": ("sudo zypper install", {"ssh": "openssh-clients", "keyring": "gnome-keyring",
                                     "terminal": "gnome-terminal"}),
    "arch": ("sudo pacman -S", {"ssh": "openssh", "keyring": "gnome-keyring",
                                "terminal": "gnome-terminal",
                                "tray": "gnome-shell-extension-appindicator"}),
}


def package_fix(family: str, tool: str) -> Fix:
    """`sudo apt install openssh-client` and the like; empty when we do not know."""
    if family == "windows" and tool == "ssh":
        return Fix(("Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0",),
                   ("https://learn.microsoft.com/windows-server/administration/openssh/"
                    "openssh_install_firstuse",))
    prefix, packages = _PACKAGES.get(family, ("", {}))
    package = packages.get(tool)
    return Fix((f"{prefix} {package}",)) if package else Fix()


def tray_fix(family: str, desktop: str) -> Fix:
    """GNOME shows no tray icons without the AppIndicator extension."""
    if "gnome" not in desktop.lower():
        return Fix()
    install = package_fix(family, "tray").commands
    uuid = _APPINDICATOR_UUID.get(family)
    enable = (f"gnome-extensions enable {uuid}",) if uuid else ()
    return Fix(install + enable, (APPINDICATOR_URL,))
