"""Start at login: the XDG autostart file for real on Linux, the LaunchAgent plist and the
Run key value by their contracts."""

from __future__ import annotations

import configparser
import plistlib
from pathlib import Path

from app.core import autostart

ARGV = ["/opt/My Apps/gangway", "--debug"]


def parse_exec(value: str) -> list[str]:
    """The Desktop Entry specification's reading of Exec: the string value's own escapes
    ("\\\\" is one backslash), then arguments split on spaces, double quotes grouping with
    \\" \\` \\$ \\\\ escaped inside, then "%%" is a literal percent."""
    text = value.replace("\\\\", "\\")
    args, current, quoted, i, started = [], "", False, 0, False
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
            current += text[i + 1]
            i += 2
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if current or started:
                args.append(current)
            current, started = "", False
        else:
            current += ch
        i += 1
    if current or started:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


class DictRegistry:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_xdg_autostart_file_written_and_removed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert not autostart.is_enabled(system="Linux")
    autostart.set_enabled(True, ARGV, system="Linux")
    path = tmp_path / "cfg" / "autostart" / "gangway.desktop"
    assert autostart.is_enabled(system="Linux") and path.stat().st_mode & 0o777 == 0o600
    entry = configparser.ConfigParser(interpolation=None)
    entry.read_string(path.read_text())
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["X-GNOME-Autostart-enabled"] == "true"
    assert parse_exec(section["Exec"]) == [*ARGV, "--minimized"]
    autostart.set_enabled(False, ARGV, system="Linux")
    assert not path.exists() and not autostart.is_enabled(system="Linux")


def test_desktop_exec_quotes_reserved_characters_and_percent() -> None:
    argv = ["/a b/gw", "100%", 'say "hi" $HOME', "back\\slash", "plain"]
    line = autostart.desktop_exec(argv)
    assert "100%%" in line and line.endswith(" plain")
    assert parse_exec(line) == argv


def test_launch_agent_plist(tmp_path: Path) -> None:
    autostart.set_enabled(True, ARGV, system="Darwin", home=tmp_path)
    path = tmp_path / "Library" / "LaunchAgents" / "gangway.plist"
    doc = plistlib.loads(path.read_bytes())
    assert doc == {"Label": "gangway", "ProgramArguments": [*ARGV, "--minimized"],
                   "RunAtLoad": True, "ProcessType": "Interactive"}
    assert autostart.is_enabled(system="Darwin", home=tmp_path)
    autostart.set_enabled(False, ARGV, system="Darwin", home=tmp_path)
    assert not path.exists()


def test_windows_run_value_is_one_command_line() -> None:
    registry = DictRegistry()
    autostart.set_enabled(True, [r"C:\Program Files\Gangway\gangway.exe"], system="Windows",
                          registry=registry)
    assert registry.values == {"Gangway": '"C:\\Program Files\\Gangway\\gangway.exe" --minimized'}
    assert autostart.is_enabled(system="Windows", registry=registry)
    autostart.set_enabled(False, [], system="Windows", registry=registry)
    assert registry.values == {}
