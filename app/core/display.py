"""Text on its way to a terminal: control characters from AWS or users are shown, not obeyed.

An SSM error message, an instance Name tag or a profile name typed on the command line can
hold `ESC ]0;title BEL` or `ESC [2J`; under ssh, Gangway's stderr is the user's terminal.
Everything the CLI prints goes through `printable` (tables per cell, errors per line).
"""

from __future__ import annotations


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """`text` with every non-printable character (C0/C1 controls, DEL, bidi and other format
    characters, line separators) written as its Python escape, e.g. `\\x1b`, `\\u202e`.

    With `keep_newlines`, "\\n" stays (multi-line output such as a rendered ssh block)."""
    out = []
    for ch in str(text):
        if ch.isprintable() or (keep_newlines and ch == "\n"):
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


def one_line(text: object) -> str:
    """`printable`, on one line: runs of whitespace (newlines included) become one space."""
    return printable(" ".join(str(text).split()))


def json_text(value: object, **kwargs: object) -> str:
    """`json.dumps(value, ensure_ascii=False, ...)` with non-printable characters (which
    JSON leaves raw: C1 controls, bidi overrides) written as `\\uXXXX` escapes."""
    import json

    text = json.dumps(value, ensure_ascii=False, **kwargs)  # type: ignore[arg-type]
    if text.replace("\n", "").isprintable():
        return text  # the common case, checked in C: no per-character pass over 1,000 rows
    return "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
