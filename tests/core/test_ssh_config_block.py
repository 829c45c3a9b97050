"""The ~/.ssh/config managed block: install/uninstall exactness, Include placement, ssh -G."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ConfigFileError
from app.core.ssh import config_block
from app.core.ssh.config_block import BEGIN, END, Alias, Style

PC = "/opt/gangway proxy --profile default %h %p"
def needs_ssh(test):  # type: ignore[no-untyped-def]
    """OpenSSH (a failure under CI when missing) with POSIX paths."""
    posix = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX paths")
    return posix(pytest.mark.needs_program("ssh")(test))


def _G(cfg: Path, host: str) -> dict[str, str]:
    done = subprocess.run(["ssh", "-G", "-F", str(cfg), host], capture_output=True, text=True,
                          check=True)
    out: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, value)
    return out


@pytest.mark.parametrize(("name", "expected"), [
    ("web-1.prod", "gw-web-1-prod"),
    ("Web 1 (Prod)", "gw-web-1-prod"),
    ("$(touch /tmp/pwned)", "gw-touch-tmp-pwned"),
    ("-oProxyCommand=sh", "gw-oproxycommand-sh"),
    ("émoji-🚀-host", "gw-emoji-host"),
    ("a*b?c!d,e%f", "gw-a-b-c-d-e-f"),
    ("GitHub.com", "gw-github-com"),
    ("日本語サーバー", None),
    ("...", None),
])
def test_sanitize_alias(name: str, expected: str | None) -> None:
    assert config_block.sanitize_alias(name) == expected


def test_render_skips_what_cannot_be_named_safely() -> None:
    r = config_block.render(PC, [
        Alias("web-1.prod", "i-0123456789abcdef0"),
        Alias("WEB-1.prod", "i-0123456789abcdef1"),
        Alias("日本語サーバー", "i-0123456789abcdef2"),
        Alias("i-0123456789abcdef3", "i-0123456789abcdef3"),
        Alias("ok", "not-an-id; rm -rf /"),
        Alias("eu box", "mi-0123456789abcdef0", "/opt/gangway proxy --region eu-west-1 %h %p"),
    ])
    assert [s.name for s in r.skipped] == ["WEB-1.prod", "日本語サーバー", "i-0123456789abcdef3",
                                           "ok"]
    assert all(s.reason for s in r.skipped)
    assert r.text == (
        "Host gw-web-1-prod\n  HostName i-0123456789abcdef0\n  ProxyCommand " + PC + "\n"
        "Host gw-eu-box\n  HostName mi-0123456789abcdef0\n"
        "  ProxyCommand /opt/gangway proxy --region eu-west-1 %h %p\n"
        "Host i-* mi-*\n  ProxyCommand " + PC + "\n")


def test_install_is_idempotent_backed_up_private_and_reversible(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    original = "Host myhost\n  User me\n# no newline at the end"
    cfg.write_text(original)
    rendered = config_block.render(PC, [Alias("web", "i-0123456789abcdef0")])
    res = config_block.install(cfg, rendered)
    assert res.changed and res.backup is not None
    assert res.backup.read_text() == original
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    text = cfg.read_text()
    assert text.startswith(original + "\n" + BEGIN + "\n") and text.endswith(END + "\n")
    again = config_block.install(cfg, rendered)
    assert not again.changed and cfg.read_text() == text
    # An update replaces the block in place.
    config_block.install(cfg, config_block.render(PC + " # v2"))
    assert cfg.read_text().count(BEGIN) == 1 and "# v2" in cfg.read_text()
    res = config_block.uninstall(cfg)
    assert res.changed
    assert cfg.read_bytes() == original.encode()
    assert not config_block.uninstall(cfg).changed


def test_install_into_a_missing_file_and_uninstall_leaves_it_empty(tmp_path: Path) -> None:
    cfg = tmp_path / ".ssh" / "config"
    res = config_block.install(cfg, config_block.render(PC))
    assert res.changed and res.backup is None
    assert config_block.installed_text(cfg) is not None
    config_block.uninstall(cfg)
    assert cfg.read_text() == ""
    assert config_block.installed_text(cfg) is None


def test_include_style_goes_before_the_first_host_or_match(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    original = "# global\nServerAliveInterval 30\n\n  match host x\n  User y\nHost *\n  User z\n"
    cfg.write_text(original)
    res = config_block.install(cfg, config_block.render(PC), Style.INCLUDE)
    assert res.include_file == tmp_path / "gangway.conf"
    assert res.include_file.read_text().startswith("Host i-* mi-*\n")
    assert stat.S_IMODE(res.include_file.stat().st_mode) == 0o600
    text = cfg.read_text()
    head, _, rest = text.partition(BEGIN)
    assert head == "# global\nServerAliveInterval 30\n\n"
    assert f"Include {tmp_path}/gangway.conf\n" in rest.split(END)[0]
    config_block.uninstall(cfg)
    assert cfg.read_text() == original and not res.include_file.exists()


@pytest.mark.parametrize("damaged", [
    f"{BEGIN}\nHost x\n",
    f"Host x\n{END}\n",
    f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n",
    f"{END}\n{BEGIN}\n",
])
def test_damaged_markers_are_refused_and_nothing_is_written(tmp_path: Path, damaged: str) -> None:
    cfg = tmp_path / "config"
    cfg.write_text(damaged)
    with pytest.raises(ConfigFileError, match="damaged Gangway markers"):
        config_block.install(cfg, config_block.render(PC))
    with pytest.raises(ConfigFileError):
        config_block.uninstall(cfg)
    assert cfg.read_text() == damaged
    assert list(tmp_path.iterdir()) == [cfg]


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_bytes(b"Host a\n  User \xff\n")
    with pytest.raises(ConfigFileError, match=r"(?i)utf-8"):
        config_block.install(cfg, config_block.render(PC))
    assert cfg.read_bytes() == b"Host a\n  User \xff\n"


lines = st.lists(st.sampled_from([
    "Host a", "  User b", "", "# comment", "Match all", "  Port 22", "\tIdentityFile ~/x",
    "Include other", "Host *", "ProxyCommand none", "   ", "HostName x # trailing"]),
    max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines, st.booleans(), st.sampled_from(["\n", "\r\n"]), st.sampled_from(list(Style)))
def test_uninstall_restores_any_file_byte_for_byte(tmp_path: Path, body: list[str],
                                                   final_newline: bool, eol: str,
                                                   style: Style) -> None:
    cfg = tmp_path / "config"
    original = eol.join(body) + (eol if final_newline and body else "")
    cfg.write_bytes(original.encode())
    config_block.install(cfg, config_block.render(PC), style)
    config_block.install(cfg, config_block.render(PC), style)
    config_block.uninstall(cfg)
    assert cfg.read_bytes() == original.encode()


@needs_ssh
@pytest.mark.parametrize("style", list(Style))
def test_ssh_G_reads_the_installed_config(tmp_path: Path, style: Style) -> None:
    cfg = tmp_path / "config"
    cfg.write_text("Host mine\n  User me\n")
    config_block.install(cfg, config_block.render(PC, [
        Alias("$(touch /tmp/pwned)", "i-0123456789abcdef0")]), style)
    conf = _G(cfg, "i-0fedcba9876543210")
    assert conf["proxycommand"] == PC
    assert conf["hostname"] == "i-0fedcba9876543210"
    alias = _G(cfg, "gw-touch-tmp-pwned")
    assert alias["hostname"] == "i-0123456789abcdef0"
    assert alias["proxycommand"] == PC
    assert _G(cfg, "mine")["user"] == "me"
    assert "proxycommand" not in _G(cfg, "other.example")
    assert not Path("/tmp/pwned").exists()


@needs_ssh
@pytest.mark.parametrize("name", ["GitHub.com", "github.com.", "db", "localhost",
                                  "10.0.0.1", "*.example.com"])
def test_a_favourite_never_shadows_a_real_host_name(tmp_path: Path, name: str) -> None:
    cfg = tmp_path / "config"
    rendered = config_block.render(PC, [Alias(name, "i-0123456789abcdef0")])
    config_block.install(cfg, rendered)
    host = name.lower().strip("*.")
    real = _G(cfg, host)
    assert real["hostname"] == host and "proxycommand" not in real
    alias = config_block.sanitize_alias(name)
    assert alias is not None and alias.startswith("gw-") and "." not in alias
    assert _G(cfg, alias)["hostname"] == "i-0123456789abcdef0"
