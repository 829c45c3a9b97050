"""Refuse exactly what botocore refuses, with the file and line.

`reader.load_profiles` is tolerant on purpose (the window shows what it can read). Verbs whose
output another AWS tool consumes (`gangway credentials`, `instances`) must not: botocore reads
both files with `configparser.RawConfigParser` and raises `ConfigParseError` for any
`configparser.Error` or bad encoding, and for an indented sub-setting without `=`
(`botocore.configloader.raw_config_parse`). This module runs the same parser (stdlib only, no
botocore import) and words its refusal as a `ConfigFileError`.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from app.core.errors import ConfigFileError

_HINT = "The AWS CLI and SDKs refuse this file too; fix the line named above."


def refusal(path: Path) -> ConfigFileError | None:
    """Why botocore would refuse `path`, or None (a missing file is not refused)."""
    if not path.is_file():
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return ConfigFileError(path, "is not valid UTF-8 text.", line, _HINT)
    except configparser.Error as exc:
        return ConfigFileError(path, _message(exc) + ".", _line(exc), _HINT)
    for section in parser.sections():
        for option in parser.options(section):
            value = parser.get(section, option)
            if not value.startswith("\n"):
                continue
            for sub in value.splitlines():
                if sub.strip() and "=" not in sub:
                    return ConfigFileError(
                        path, f"'{sub.strip()}' under '{option}' in [{section}] is not "
                        "'key = value'.", _find_line(path, section, sub.strip()), _HINT)
    return None


def require_readable(*paths: Path) -> None:
    """Raise the first refusal among `paths` (in order)."""
    for path in paths:
        found = refusal(path)
        if found is not None:
            raise found


def _line(exc: configparser.Error) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno is None and isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
    return int(lineno) if lineno is not None else None


def _message(exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return "a line before the first [section] header"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"section [{exc.section}] appears twice"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"'{exc.option}' is set twice in [{exc.section}]"
    # What is left of configparser's read errors: ParsingError (read raises no other).
    return "a line that is not 'key = value'"


def _find_line(path: Path, section: str, text: str) -> int | None:
    inside = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        # configparser's own header rule: `[ spaced ]` names the section " spaced ".
        if (header := configparser.RawConfigParser.SECTCRE.match(stripped)) is not None:
            inside = header.group("header") == section
        elif inside and stripped == text:
            return number
    return None
