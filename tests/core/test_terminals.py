"""Terminal argv forms per OS, checked against each terminal's documented command line."""

from __future__ import annotations

import base64
import shlex
import sys
from pathlib import Path

import pytest

from app.core import doctor, quoting, terminals
from app.core.errors import GangwayError
from app.core.terminals import CREATE_NEW_CONSOLE, FoundTerminal, LaunchSpec

CMD = ["/usr/bin/ssh", "-o", "ProxyCommand=gw proxy %h %p", "--", "i-0abc12345678"]
HOSTILE = ["/opt/gw", "session", "--reason", "a;b & c | \"d\" 'e' $(f) `g` %PATH% ^ !x! \u2019"]


@pytest.mark.parametrize(("kind", "expected"), [
    ("xdg-terminal-exec", ["/t", *CMD]),
    ("x-terminal-emulator", ["/t", "-T", "T", "-e", *CMD]),
    ("gnome-terminal", ["/t", "--title", "T", "--", *CMD]),
    ("konsole", ["/t", "-p", "tabtitle=T", "-e", *CMD]),
    ("xfce4-terminal", ["/t", "--title", "T", "-x", *CMD]),
    ("kitty", ["/t", "--title", "T", *CMD]),
    ("alacritty", ["/t", "--title", "T", "-e", *CMD]),
    ("wezterm", ["/t", "start", "--", *CMD]),
    ("foot", ["/t", "--title=T", *CMD]),
    ("xterm", ["/t", "-T", "T", "-e", *CMD]),
])
def test_linux_terminals_take_the_argv_as_is(kind: str, expected: list[str]) -> None:
    spec = terminals.terminal_argv(kind, "/t", CMD, "T")
    assert list(spec.argv) == expected
    assert spec.creationflags == 0 and spec.windows_cmdline is None


def test_tilix_gets_one_posix_string_that_splits_back() -> None:
    spec = terminals.terminal_argv("tilix", "/usr/bin/tilix", HOSTILE, "T")
    assert list(spec.argv[:4]) == ["/usr/bin/tilix", "-t", "T", "-e"]
    # tilix splits with g_shell_parse_argv, which follows the POSIX shell word rules.
    assert shlex.split(spec.argv[4]) == HOSTILE


def test_dollar_terminal_uses_the_known_form_or_xterm_convention() -> None:
    assert list(terminals.terminal_argv("$TERMINAL", "/usr/bin/kitty", CMD, "T").argv) == [
        "/usr/bin/kitty", "--title", "T", *CMD]
    assert list(terminals.terminal_argv("$TERMINAL", "/opt/myterm", CMD, "T").argv) == [
        "/opt/myterm", "-T", "T", "-e", *CMD]


def test_title_is_one_line() -> None:
    spec = terminals.terminal_argv("xterm", "/t", CMD, "evil\nname\t\x1b]0;x")
    assert "\n" not in spec.argv[2] and "\t" not in spec.argv[2]


@pytest.mark.parametrize("kind", ["Terminal.app", "iTerm2"])
def test_macos_passes_the_command_as_a_run_argument(kind: str) -> None:
    spec = terminals.terminal_argv(kind, terminals.OSASCRIPT, HOSTILE, "T")
    argv = list(spec.argv)
    assert argv[0] == "/usr/bin/osascript"
    script_lines = argv[2:argv.index("--"):2]
    assert all(a == "-e" for a in argv[1:argv.index("--"):2])
    assert script_lines[0] == "on run argv" and script_lines[-1] == "end run"
    assert "item 1 of argv" in "\n".join(script_lines)
    # The script is fixed text: nothing from the command is spliced into it.
    fixed = terminals.TERMINAL_APP_SCRIPT if kind == "Terminal.app" else terminals.ITERM2_SCRIPT
    assert tuple(script_lines) == fixed
    command = argv[argv.index("--") + 1]
    assert argv[-1] == command
    assert shlex.split(command) == HOSTILE  # what the login shell types and runs


def test_windows_terminal_escapes_semicolons() -> None:
    spec = terminals.terminal_argv("wt", r"C:\wt.exe", [r"C:\ssh.exe", "a;b", "c"], "x;y")
    assert list(spec.argv) == [r"C:\wt.exe", "new-tab", "--title", "x\\;y", "--",
                               r"C:\ssh.exe", "a\\;b", "c"]


@pytest.mark.parametrize("kind", ["powershell", "pwsh"])
def test_powershell_new_console(kind: str) -> None:
    spec = terminals.terminal_argv(kind, "powershell.exe", HOSTILE, "it's")
    assert list(spec.argv[:3]) == ["powershell.exe", "-NoExit", "-Command"]
    assert spec.creationflags == CREATE_NEW_CONSOLE
    script = spec.argv[3]
    # Written out: single quotes (and PowerShell's ’, also a quote) doubled, and the
    # embedded double quotes backslashed for the native command line (Legacy passing).
    assert script == (
        "$Host.UI.RawUI.WindowTitle = 'it''s'; "
        "$PSNativeCommandArgumentPassing = 'Legacy'; & '/opt/gw' 'session' '--reason' "
        "'a;b & c | \\\"d\\\" ''e'' $(f) `g` %PATH% ^ !x! \u2019\u2019'")


def test_cmd_new_console_uses_a_verbatim_command_line() -> None:
    spec = terminals.terminal_argv("cmd", r"C:\Windows\System32\cmd.exe", HOSTILE, "a&b")
    assert spec.creationflags == CREATE_NEW_CONSOLE
    # Every cmd.exe metacharacter caret-escaped, the quotes too, so cmd passes them through.
    assert spec.windows_cmdline == (
        r"C:\Windows\System32\cmd.exe /k title a^&b & "
        r"""/opt/gw session --reason ^"a;b ^& c ^| \^"d\^" 'e' $^(f^) `g` ^%PATH^% ^^ ^!x^! """
        "\u2019^\"")


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(terminals.TerminalNotFoundError, match="Unknown terminal"):
        terminals.terminal_argv("nope", "/x", CMD)


def test_custom_template_whole_word_expands_to_argv() -> None:
    spec = terminals.custom_template_argv("myterm --hold -t {title} -e {command}", HOSTILE,
                                          "web 1", system="Linux")
    assert list(spec.argv) == ["myterm", "--hold", "-t", "web 1", "-e", *HOSTILE]


def test_custom_template_embedded_placeholder_is_quoted_for_the_os() -> None:
    spec = terminals.custom_template_argv('sh -c "{command}; read x"', HOSTILE, system="Linux")
    assert spec.argv[:2] == ("sh", "-c")
    assert shlex.split(spec.argv[2].removesuffix("; read x")) == HOSTILE
    win = terminals.custom_template_argv('wrap.exe "--run={command}"', ["a b", "c"],
                                         system="Windows")
    assert win.argv == ("wrap.exe", '--run="a b" c')


@pytest.mark.parametrize(("template", "message"), [
    ("myterm -e", "no {command}"),
    ("myterm 'unbalanced {command}", "not valid"),
])
def test_bad_templates_are_refused(template: str, message: str) -> None:
    with pytest.raises(GangwayError, match=message):
        terminals.custom_template_argv(template, CMD)


def test_launch_spec_picks_choice_then_first_detected() -> None:
    found = [FoundTerminal("gnome-terminal", Path("/g")), FoundTerminal("xterm", Path("/x"))]
    assert terminals.launch_spec(CMD, "T", found=found, system="Linux").argv[0] == "/g"
    assert terminals.launch_spec(CMD, "T", choice="xterm", found=found,
                                 system="Linux").argv[0] == "/x"
    spec = terminals.launch_spec(CMD, "T", found=found, system="Linux", env={"AWS_PROFILE": "p"})
    assert spec.env == {"AWS_PROFILE": "p"}
    assert spec.full_env({"A": "1"}) == {"A": "1", "AWS_PROFILE": "p"}
    with pytest.raises(terminals.TerminalNotFoundError, match="'konsole' was not found"):
        terminals.launch_spec(CMD, choice="konsole", found=found, system="Linux")
    with pytest.raises(terminals.TerminalNotFoundError, match="No terminal"):
        terminals.launch_spec(CMD, found=[], system="Linux")


@pytest.mark.skipif(sys.platform == "win32", reason="$TERMINAL is a POSIX convention")
def test_detect_keeps_doctor_contract(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "myterm"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TERMINAL", str(fake))
    monkeypatch.setenv("PATH", str(tmp_path))  # no other terminal on this machine
    found = terminals.detect("Linux")
    assert [(t.name, t.kind, t.path) for t in found] == [
        ("$TERMINAL (myterm)", "$TERMINAL", fake)]
    # What `gangway doctor` and the first-run screen show for it.
    def shown(check: doctor.Check) -> tuple[object, ...]:
        return check.name, check.status, check.detail, check.hint, check.essential

    assert shown(doctor.check_terminals("debian")) == (
        "Terminal emulator", doctor.Status.OK, "$TERMINAL (myterm)", "", False)
    monkeypatch.delenv("TERMINAL")
    assert shown(doctor.check_terminals("debian")) == (
        "Terminal emulator", doctor.Status.WARN, "none found",
        "Install a terminal (e.g. gnome-terminal, konsole or xterm) or set a custom terminal "
        "command in Settings.", False)


def test_start_reports_a_missing_terminal() -> None:
    with pytest.raises(terminals.TerminalNotFoundError, match="Could not start"):
        terminals.start(LaunchSpec(("/nonexistent/terminal", "-e", "true")))


def test_powershell_encoded_alternative_round_trips() -> None:
    script = quoting.powershell_command(HOSTILE)
    assert base64.b64decode(quoting.powershell_encoded(script)).decode("utf-16-le") == script
