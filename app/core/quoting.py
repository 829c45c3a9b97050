"""Quoting for other shells and parsers, in one place (POSIX sh, PowerShell, cmd.exe, AppleScript).

Every string Gangway hands to another interpreter (an ssh ProxyCommand, a terminal's command
string, `powershell.exe -Command`, `cmd.exe /k`, AppleScript) is built here and nowhere else.
Each function is property-tested: the POSIX one by a real `sh` round trip, the Windows ones
against a reference implementation of the CommandLineToArgvW rules (and for real on the
Windows CI runner).

Instance names and tags are hostile input: nothing here trusts its argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# ----------------------------------------------------------------------------- POSIX sh

_POSIX_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def posix_quote(arg: str) -> str:
    """One argument for a POSIX shell (`sh`, `bash`, `dash`, `zsh`): `'...'` with `'\\''`.

    Safe words are returned bare (so `ssh -G` output and logs stay readable). NUL cannot be
    represented in a shell word and raises ValueError.
    """
    if "\0" in arg:
        raise ValueError("a NUL character cannot be passed to a shell")
    # A leading `=` is expanded by zsh (EQUALS), so such words are quoted too.
    if arg and _POSIX_SAFE.fullmatch(arg) and arg[0] != "=":
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def posix_join(argv: Iterable[str]) -> str:
    """A POSIX shell command line that runs exactly `argv` (like `shlex.join`, but strict)."""
    return " ".join(posix_quote(a) for a in argv)


def portable_shell_quote(arg: str) -> str:
    """One argument typed into an *unknown* interactive shell (sh, bash, zsh or fish).

    Used where a command is typed into the user's login shell (Terminal.app `do script`,
    iTerm2 `write text`). fish treats `\\\\` and `\\'` as escapes even inside single quotes, so
    backslashes and quotes are written outside the single-quoted runs, as `"\\\\"` and `"'"`,
    which every one of those shells reads the same way.
    """
    if "\0" in arg:
        raise ValueError("a NUL character cannot be passed to a shell")
    if arg and _POSIX_SAFE.fullmatch(arg) and arg[0] != "=":
        return arg
    out: list[str] = []
    for piece in re.split(r"(['\\])", arg):
        if piece == "'":
            out.append("\"'\"")
        elif piece == "\\":
            out.append('"\\\\"')
        elif piece:
            out.append("'" + piece + "'")
    return "".join(out) or "''"


def portable_shell_join(argv: Iterable[str]) -> str:
    """`portable_shell_quote` for each argument, joined by spaces."""
    return " ".join(portable_shell_quote(a) for a in argv)


# ----------------------------------------------------------------------------- Windows argv


def _msvc_escape(arg: str, *, wrapped: bool) -> str:
    """`arg` with the MSVC escapes applied: a `"` becomes `\\"` with its preceding
    backslashes doubled; trailing backslashes are doubled only when a closing `"` follows."""
    out: list[str] = []
    backslashes = 0
    for ch in arg:
        if ch == "\\":
            backslashes += 1
            continue
        if ch == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + ch)
        backslashes = 0
    out.append("\\" * (2 * backslashes if wrapped else backslashes))
    return "".join(out)


def windows_arg(arg: str) -> str:
    """One argument for a program that splits its command line with CommandLineToArgvW.

    The MSVC rules: backslashes are literal unless they precede a `"`; `2n` backslashes +
    `"` -> `n` backslashes and a quote toggle, `2n+1` -> `n` backslashes and a literal `"`.
    Unlike `subprocess.list2cmdline`, the empty string and every character are handled.
    """
    if "\0" in arg:
        raise ValueError("a NUL character cannot be passed on a command line")
    if arg and not re.search(r'[\s"]', arg):
        return arg
    return '"' + _msvc_escape(arg, wrapped=True) + '"'


def windows_join(argv: Iterable[str]) -> str:
    """A command line that CommandLineToArgvW splits back into exactly `argv`.

    (The first element, the program, is parsed by simpler rules; a program path contains
    neither `"` nor a trailing backslash, so quoting it the same way is safe.)
    """
    return " ".join(windows_arg(a) for a in argv)


# ----------------------------------------------------------------------------- cmd.exe

_CMD_META = re.compile(r'([()%!^"<>&|])')


def cmd_escape(text: str) -> str:
    """Caret-escape every cmd.exe metacharacter in `text` (including `"`, `%` and `!`).

    Escaping the quotes too means cmd never enters its quoted state, so every `& | < > ( )`
    is escaped the same way, inside or outside what the inner program sees as quotes.
    `%VAR%` becomes `^%VAR^%`, which cmd does not expand on a command line.
    """
    if "\0" in text:
        raise ValueError("a NUL character cannot be passed on a command line")
    if "\n" in text or "\r" in text:
        # cmd.exe ends the command at a line break; there is no escape for it.
        raise ValueError("cmd.exe cannot receive a line break in a command")
    return _CMD_META.sub(r"^\1", text)


def cmd_join(argv: Sequence[str]) -> str:
    """The text after `cmd.exe /c` or `/k` that runs `argv` with every argument intact.

    Two layers, innermost first: the CommandLineToArgvW quoting the program applies, then
    cmd.exe's caret escaping. Every `"` is written `^"`, so the text never starts with a
    bare `"` and cmd's quote-stripping rule for `/c` and `/k` does not apply. Pass it
    verbatim to CreateProcess (a string command line, see
    `terminals.LaunchSpec.windows_cmdline`), never through
    `subprocess.list2cmdline`, which would add its own quotes around it.
    """
    return cmd_escape(windows_join(argv))


# ----------------------------------------------------------------------------- PowerShell

# PowerShell treats the typographic single quotes as quote characters too.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def powershell_quote(arg: str) -> str:
    """A PowerShell single-quoted string literal: `'...'` with each quote character doubled.

    Single-quoted strings are verbatim: no `$` expansion, no backtick escapes. PowerShell
    accepts U+2018..U+201B as single quotes as well, so those are doubled too.
    """
    if "\0" in arg:
        raise ValueError("a NUL character cannot be passed to PowerShell")
    out = []
    for ch in arg:
        out.append(ch + ch if ch in _PS_SINGLE_QUOTES else ch)
    return "'" + "".join(out) + "'"


def _powershell_native_arg(arg: str) -> str:
    """The text PowerShell's legacy native-argument passing must receive for `arg`.

    In legacy mode PowerShell wraps an argument in `"..."` when it contains whitespace and
    escapes nothing, so we pre-apply the MSVC rules the program will undo: `\\"` for a quote
    (with its preceding backslashes doubled), trailing backslashes doubled when wrapped, and
    `""` for the empty string (which PowerShell would otherwise drop).
    """
    if arg == "":
        return '""'
    return _msvc_escape(arg, wrapped=bool(re.search(r"\s", arg)))


def powershell_command(argv: Sequence[str]) -> str:
    """A PowerShell statement that runs the native program `argv[0]` with `argv[1:]`.

    `& 'program' 'arg' ...`, preceded by `$PSNativeCommandArgumentPassing = 'Legacy'` so
    Windows PowerShell 5.1 and PowerShell 7.3+ pass the arguments the same way (a no-op
    variable on 5.1). Each argument is pre-escaped for the program's CommandLineToArgvW.
    """
    if not argv:
        raise ValueError("empty command")
    parts = ["&", powershell_quote(argv[0])]
    parts += [powershell_quote(_powershell_native_arg(a)) for a in argv[1:]]
    return "$PSNativeCommandArgumentPassing = 'Legacy'; " + " ".join(parts)


def powershell_command_arg(script: str) -> str:
    """`script` as the single argv element after `powershell.exe -Command`.

    powershell.exe splits its own command line with the MSVC rules and re-joins the words
    after `-Command` with spaces, so the element is the script itself; the caller's
    `subprocess` (list2cmdline) adds the outer quoting. A script containing `"` survives
    that layer because list2cmdline writes it as `\\"`, which powershell.exe reads back.
    """
    if "\0" in script:
        raise ValueError("a NUL character cannot be passed to PowerShell")
    return script


def powershell_encoded(script: str) -> str:
    """The `-EncodedCommand` form of `script` (base64 of UTF-16LE): immune to all quoting."""
    import base64

    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


# ----------------------------------------------------------------------------- AppleScript


def applescript_string(text: str) -> str:
    """An AppleScript string literal: `"..."` with `\\` and `"` escaped, line breaks as escapes.

    Gangway passes commands to AppleScript as `on run argv` arguments, never spliced into the
    source; this exists for the fixed parts of scripts (titles) and is tested all the same.
    """
    if "\0" in text:
        raise ValueError("a NUL character cannot be passed to AppleScript")
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return '"' + escaped + '"'
