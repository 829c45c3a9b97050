"""The doctor's checks and fixes: install commands per OS, per-instance reasons with the IAM
statement or agent update to apply (no Qt)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from app.core import doctor, fixes
from app.core.aws.discovery.diagnose import instance_checks
from app.core.aws.discovery.permissions import Access
from app.core.aws.sessions import plugin
from app.core.checks import Status
from tests.ui.instances_factory import make_row


@pytest.fixture(autouse=True)
def _no_keyring_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyring check names the backend; a probe here would make keyring remember, for
    the whole process, which backends were viable in this test's environment (keyring's
    get_all_keyring runs once), and a later test with a real gnome-keyring would not find
    it. An explicit backend skips the probe."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def _os_release(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "os-release"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "family"), [
    ('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n', "debian"),
    ("ID=debian\n", "debian"),
    ('ID="linuxmint"\nID_LIKE="ubuntu debian"\n', "debian"),
    ('ID="fedora"\n', "rhel"),
    ('ID="amzn"\nID_LIKE="centos rhel fedora"\n', "rhel"),
    ('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n', "suse"),
    ("ID=arch\n", "arch"),
    ("ID=gentoo\n", "linux"),
])
def test_os_family_from_os_release(tmp_path: Path, text: str, family: str) -> None:
    assert fixes.os_family("Linux", _os_release(tmp_path, text)) == family


def test_os_family_without_os_release_and_other_systems(tmp_path: Path) -> None:
    assert fixes.os_family("Linux", tmp_path / "absent") == "linux"
    assert fixes.os_family("Darwin") == "macos"
    assert fixes.os_family("Windows") == "windows"


def test_plugin_fix_is_aws_install_steps_per_os() -> None:
    deb = fixes.plugin_fix("debian", "x86_64")
    assert deb.commands == (
        "curl -fLo /tmp/session-manager-plugin.deb https://s3.amazonaws.com/"
        "session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb",
        "sudo apt-get install /tmp/session-manager-plugin.deb")
    # The CLI's worded hint names the same commands (doctor.plugin_install_hint).
    hint = doctor.plugin_install_hint("Linux", "x86_64", {"ID": "ubuntu"})
    assert all(f"`{c}`" in hint for c in deb.commands)
    assert "ubuntu_arm64" in fixes.plugin_fix("debian", "aarch64").commands[0]
    assert fixes.plugin_fix("rhel", "x86_64").commands == (
        "sudo yum install -y https://s3.amazonaws.com/session-manager-downloads/plugin/latest/"
        "linux_64bit/session-manager-plugin.rpm",)
    assert fixes.plugin_fix("macos").commands == ("brew install --cask session-manager-plugin",)
    for family in ("debian", "rhel", "macos", "windows", "linux"):
        assert fixes.PLUGIN_DOCS in fixes.plugin_fix(family).links
    assert fixes.plugin_fix("linux", "x86_64").links[0].endswith("linux_64bit/"
                                                                 "session-manager-plugin.rpm")
    assert "mac_arm64" in fixes.plugin_fix("macos", "arm64").links[0]
    # Each command is one a POSIX shell can split (no stray quoting).
    for command in deb.commands:
        assert shlex.split(command)[0] in ("curl", "sudo")


def test_package_and_tray_fixes_on_debian() -> None:
    assert fixes.package_fix("debian", "ssh").commands == ("sudo apt install openssh-client",)
    assert fixes.package_fix("rhel", "ssh").commands == ("sudo dnf install openssh-clients",)
    assert fixes.package_fix("debian", "keyring").commands == ("sudo apt install gnome-keyring",)
    tray = fixes.tray_fix("debian", "ubuntu:GNOME")
    assert tray.commands == ("sudo apt install gnome-shell-extension-appindicator",
                             "gnome-extensions enable ubuntu-appindicators@ubuntu.com")
    assert tray.links == (fixes.APPINDICATOR_URL,)
    assert not fixes.tray_fix("debian", "KDE")  # KDE has a tray: nothing to fix


def _no_plugin_installed() -> None:
    found = [d for d in plugin.standard_locations() if (d / plugin.PLUGIN).exists()]
    if found:
        pytest.skip(f"a real plugin is installed at {found[0]}; cannot test its absence")


def test_missing_plugin_is_essential_with_the_install_command(tmp_path, monkeypatch) -> None:
    _no_plugin_installed()
    monkeypatch.setenv("PATH", str(tmp_path))
    checks = doctor.run_checks(tray_available=False, family="debian")
    by_name = {c.name: c for c in checks}
    check = by_name["session-manager-plugin"]
    assert check.status is Status.MISSING and check.essential
    assert check.fix.commands[-1] == "sudo apt-get install /tmp/session-manager-plugin.deb"
    assert doctor.plugin_missing(checks) and not doctor.essentials_ok(checks)
    assert by_name["OpenSSH client"].fix.commands == ("sudo apt install openssh-client",)
    assert "Tray icon host" in by_name


def test_plugin_found_on_path_is_ok(aws_env) -> None:
    checks = doctor.run_checks(family="debian")
    check = next(c for c in checks if c.name == "session-manager-plugin")
    assert check.status is Status.OK, check
    assert not check.fix and not doctor.plugin_missing(checks)
    assert all(c.name != "Tray icon host" for c in checks)  # the CLI cannot tell


def test_instance_checks_for_a_healthy_instance_are_all_ok() -> None:
    checks = instance_checks(make_row("web-1"), account="123456789012")
    assert [c.status for c in checks] == [Status.OK] * len(checks)
    assert {c.name for c in checks} >= {"Running", "Managed by Systems Manager", "Agent online",
                                        "Agent supports SSH", "Permission (simulated)",
                                        "Agent multiplexes forwarded connections"}


def test_old_agent_gets_the_update_command() -> None:
    row = make_row("legacy", agent="2.3.50.0", n=5, region="eu-west-1")
    by_name = {c.name: c for c in instance_checks(row)}
    ssh = by_name["Agent supports SSH"]
    assert ssh.status is Status.WARN and "2.3.50.0" in ssh.detail
    assert ssh.fix.commands == (
        f"aws ssm send-command --region eu-west-1 --instance-ids {row.instance_id} "
        "--document-name AWS-UpdateSSMAgent",)
    assert by_name["Agent multiplexes forwarded connections"].status is Status.WARN
    # 3.0.222.0 multiplexes but cannot forward to a remote host yet.
    mid = {c.name: c for c in instance_checks(make_row("mid", agent="3.0.222.0"))}
    assert mid["Agent multiplexes forwarded connections"].ok
    assert not mid["Agent supports forwarding to a remote host"].ok


def test_denied_instance_gets_the_statement_to_add() -> None:
    row = make_row("db-1", access=Access.DENIED, n=9, region="us-east-2")
    perm = next(c for c in instance_checks(row, account="123456789012")
                if c.name == "Permission (simulated)")
    assert perm.status is Status.MISSING
    statement = perm.fix.statement
    assert statement is not None and statement["Action"] == "ssm:StartSession"
    assert (f"arn:aws:ec2:us-east-2:123456789012:instance/{row.instance_id}"
            in statement["Resource"])
    assert "arn:aws:ssm:*::document/AWS-StartSSHSession" in statement["Resource"]
    json.dumps(statement)  # serialisable as shown


def test_unmanaged_and_stopped_instances_say_what_to_do() -> None:
    unmanaged = {c.name: c for c in instance_checks(make_row("bare", ping=""))}
    managed = unmanaged["Managed by Systems Manager"]
    assert managed.status is Status.MISSING
    assert any("AmazonSSMManagedInstanceCore" in c for c in managed.fix.commands)
    assert managed.fix.statement is not None
    assert "Agent supports SSH" not in unmanaged  # no agent: its version means nothing
    stopped = instance_checks(make_row("off", state="stopped"))[0]
    assert stopped.name == "Running" and stopped.status is Status.MISSING
    assert stopped.fix.commands[0].startswith("aws ec2 start-instances")
    lost = {c.name: c for c in instance_checks(make_row("lost", ping="ConnectionLost"))}
    assert lost["Agent online"].fix.commands == ("sudo systemctl restart amazon-ssm-agent",)
    assert lost["Agent online"].detail == "its SSM agent lost its connection"
