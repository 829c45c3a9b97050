"""Property tests for app.core.quoting: POSIX against a real `sh`, the rest against references."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import quoting

# ---- Reference parsers, written from the documentation:
# Reference parsers for the Windows and AppleScript forms, written from their documentation.
#
# - CommandLineToArgvW / the MSVC runtime (learn.microsoft.com, "Parsing C++ command-line
#   arguments"): whitespace separates words outside quotes; 2n backslashes + `"` -> n backslashes
#   and a quote toggle; 2n+1 backslashes + `"` -> n backslashes and a literal `"`; other
#   backslashes are literal; inside quotes `""` is a literal `"`.
# - cmd.exe: `^` escapes the next character; an unescaped metacharacter would be interpreted.
# - PowerShell single-quoted strings: a doubled quote character is one literal quote.
# - AppleScript string literals: `\\`, `\"`, `\n`, `\r`, `\t` escapes.

PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def command_line_to_argv(line: str) -> list[str]:
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        cur: list[str] = []
        in_quotes = False
        while i < n:
            ch = line[i]
            if ch in " \t" and not in_quotes:
                break
            if ch == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and line[j] == '"':
                    cur.append("\\" * (count // 2))
                    if count % 2:
                        cur.append('"')
                        i = j + 1
                    else:
                        i = j
                    continue
                cur.append("\\" * count)
                i = j
                continue
            if ch == '"':
                if in_quotes and i + 1 < n and line[i + 1] == '"':
                    cur.append('"')
                    i += 2
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            cur.append(ch)
            i += 1
        args.append("".join(cur))


CMD_META = set('()%!^"<>&|')


def cmd_unescape(text: str) -> str:
    """What cmd.exe hands the program; AssertionError on any unescaped metacharacter."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "^":
            assert i + 1 < len(text), "dangling caret"
            out.append(text[i + 1])
            i += 2
            continue
        assert ch not in CMD_META, f"unescaped {ch!r} at {i} in {text!r}"
        out.append(ch)
        i += 1
    return "".join(out)


def powershell_single_quoted(literal: str) -> str:
    assert literal[0] in PS_QUOTES and literal[-1] in PS_QUOTES
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in PS_QUOTES:
            assert i + 1 < len(body) and body[i + 1] in PS_QUOTES, "lone quote ends the string"
            out.append(ch)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def powershell_legacy_native(words: list[str]) -> str:
    """PowerShell's legacy native-argument passing: wrap words containing whitespace in quotes."""
    return " ".join(f'"{w}"' if any(c.isspace() for c in w) else w for w in words)


def applescript_literal(literal: str) -> str:
    assert literal[0] == '"' and literal[-1] == '"'
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    escapes = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            out.append(escapes[body[i + 1]])
            i += 2
            continue
        assert ch != '"', "unescaped quote ends the literal"
        out.append(ch)
        i += 1
    return "".join(out)


# Arbitrary text without NUL (which no shell or command line can carry), biased towards the
# characters that matter to shells.
SPECIAL = [*list("'\"\\$`()!;&|<>*?[]{}~#%^=, \t\n\r-"), "$(touch x)", "`id`", "''", "’", "é", "🚀"]
_piece = st.one_of(st.sampled_from(SPECIAL),
                   st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))
text = st.lists(_piece, max_size=25).map("".join)
argvs = st.lists(text, min_size=1, max_size=5)

# Windows runners may have Git's MSYS sh on PATH, which rewrites arguments: POSIX only.
def needs_sh(test):  # type: ignore[no-untyped-def]
    """A POSIX sh (a failure under CI when missing); not Windows' MSYS one."""
    posix = pytest.mark.skipif(sys.platform == "win32", reason="no POSIX sh on Windows")
    return posix(pytest.mark.needs_program("sh")(test))


def _sh_output(shell: str, script: str) -> bytes:
    return subprocess.run([shell, "-c", script], capture_output=True, check=True).stdout


@needs_sh
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text)
def test_posix_quote_round_trips_through_real_sh(s: str) -> None:
    script = "printf %s " + quoting.posix_quote(s)
    assert _sh_output("sh", script) == s.encode("utf-8", "surrogatepass")


@needs_sh
@settings(max_examples=80, deadline=None)
@given(argvs)
def test_posix_join_keeps_every_argument(argv: list[str]) -> None:
    script = "printf '%s\\0' " + quoting.posix_join(argv)
    out = _sh_output("sh", script)
    assert out.split(b"\0")[:-1] == [a.encode() for a in argv]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shells")
@pytest.mark.parametrize("shell", [
    pytest.param(name, marks=pytest.mark.needs_program(name)) for name in ("sh", "bash", "zsh", "fish")])
@settings(max_examples=60, deadline=None)
@given(s=text)
def test_portable_quote_is_read_the_same_by_every_shell(shell: str, s: str) -> None:
    script = "printf %s " + quoting.portable_shell_quote(s)
    assert _sh_output(shell, script) == s.encode()


def test_posix_quote_examples() -> None:
    assert quoting.posix_quote("i-0abc") == "i-0abc"
    assert quoting.posix_quote("") == "''"
    assert quoting.posix_quote("it's") == "'it'\\''s'"
    assert quoting.posix_quote("$(touch /tmp/x)") == "'$(touch /tmp/x)'"
    assert quoting.posix_quote("=cmd") == "'=cmd'"


@pytest.mark.parametrize("fn", [quoting.posix_quote, quoting.portable_shell_quote,
                                quoting.windows_arg, quoting.cmd_escape, quoting.powershell_quote,
                                quoting.applescript_string])
def test_nul_is_refused(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="NUL"):
        fn("a\0b")


@settings(max_examples=400)
@given(argvs)
def test_windows_join_round_trips_through_commandlinetoargvw(argv: list[str]) -> None:
    assert command_line_to_argv(quoting.windows_join(argv)) == argv


def test_windows_arg_documented_examples() -> None:
    # The table in "Parsing C++ command-line arguments", read backwards.
    assert quoting.windows_arg('a"b') == '"a\\"b"'
    assert quoting.windows_arg("a\\\\b") == "a\\\\b"
    assert quoting.windows_arg("C:\\Program Files\\") == '"C:\\Program Files\\\\"'
    assert quoting.windows_arg("") == '""'


no_newline_text = text.filter(lambda s: "\n" not in s and "\r" not in s)


@settings(max_examples=400)
@given(st.lists(no_newline_text, min_size=1, max_size=5))
def test_cmd_join_survives_cmd_then_commandlinetoargvw(argv: list[str]) -> None:
    line = quoting.cmd_join(argv)
    assert not line.startswith('"')
    assert command_line_to_argv(cmd_unescape(line)) == argv


def test_cmd_join_escapes_variables_and_operators() -> None:
    line = quoting.cmd_join(["ssh.exe", "%PATH% & calc"])
    assert line == 'ssh.exe ^"^%PATH^% ^& calc^"'


@pytest.mark.parametrize("bad", ["a\nb", "a\rb"])
def test_cmd_refuses_line_breaks(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        quoting.cmd_join(["x", bad])


@settings(max_examples=400)
@given(text)
def test_powershell_quote_round_trips(s: str) -> None:
    assert powershell_single_quoted(quoting.powershell_quote(s)) == s


def test_powershell_quote_examples() -> None:
    assert quoting.powershell_quote("it's") == "'it''s'"
    assert quoting.powershell_quote("$env:PATH `n") == "'$env:PATH `n'"
    assert quoting.powershell_quote("a\u2019b") == "'a\u2019\u2019b'"


def _split_ps_command(cmd: str) -> list[str]:
    """Split `& 'p' 'a' ...` (our own output) into its single-quoted literals."""
    prefix = "$PSNativeCommandArgumentPassing = 'Legacy'; & "
    assert cmd.startswith(prefix)
    rest = cmd[len(prefix):]
    literals: list[str] = []
    i = 0
    while i < len(rest):
        assert rest[i] in PS_QUOTES
        j = i + 1
        while True:
            if rest[j] in PS_QUOTES:
                if j + 1 < len(rest) and rest[j + 1] in PS_QUOTES:
                    j += 2
                    continue
                break
            j += 1
        literals.append(rest[i:j + 1])
        i = j + 2  # skip the closing quote and the space
    return literals


@settings(max_examples=300)
@given(argvs)
def test_powershell_command_reaches_the_native_program_intact(argv: list[str]) -> None:
    argv = ["C:\\Windows\\System32\\OpenSSH\\ssh.exe", *argv]
    words = [powershell_single_quoted(lit)
             for lit in _split_ps_command(quoting.powershell_command(argv))]
    assert words[0] == argv[0]
    line = powershell_legacy_native(words[1:])
    assert command_line_to_argv(line) == argv[1:]


def test_powershell_encoded_is_utf16le_base64() -> None:
    import base64

    enc = quoting.powershell_encoded("Write-Output 'hé'")
    assert base64.b64decode(enc).decode("utf-16-le") == "Write-Output 'hé'"


@settings(max_examples=400)
@given(text)
def test_applescript_string_round_trips(s: str) -> None:
    lit = quoting.applescript_string(s)
    assert "\n" not in lit
    assert applescript_literal(lit) == s


@pytest.mark.skipif(sys.platform != "darwin", reason="osascript is macOS-only")
@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
def test_applescript_string_with_real_osascript(s: str) -> None:
    out = subprocess.run(["osascript", "-e", "return " + quoting.applescript_string(s)],
                         capture_output=True, text=True, check=True).stdout
    assert out.rstrip("\n") == s


@pytest.mark.skipif(sys.platform != "win32", reason="needs Windows")
@settings(max_examples=30, deadline=None)
@given(st.lists(no_newline_text, min_size=1, max_size=3))
def test_cmd_and_powershell_for_real_on_windows(argv: list[str]) -> None:
    import json

    probe = [sys.executable, "-c", "import sys, json; print(json.dumps(sys.argv[1:]))", *argv]
    out = subprocess.run(f"cmd.exe /d /c {quoting.cmd_join(probe)}", capture_output=True,
                         text=True, encoding="utf-8", check=True).stdout
    assert json.loads(out) == argv
    ps = subprocess.run(["powershell.exe", "-NoProfile", "-Command",
                         quoting.powershell_command_arg(quoting.powershell_command(probe))],
                        capture_output=True, text=True, encoding="utf-8", check=True).stdout
    assert json.loads(ps) == argv
