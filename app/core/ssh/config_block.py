"""The Gangway part of `~/.ssh/config`: a marked managed block, or an `Include` of our own file.

Two styles:
- BLOCK: `Host i-* mi-*` (+ favourite aliases) between the markers, appended at the end of
  the file, so the user's own earlier settings keep precedence (ssh takes the first value).
- INCLUDE: the same text in a Gangway-owned file (`~/.ssh/gangway.conf`), and in
  `~/.ssh/config` only a marked `Include` line, placed before the first `Host`/`Match` line
  (an Include after one would apply only inside that section).

Install backs up first and replaces atomically (`store.atomic_write`), refuses if the file
changed meanwhile, and is idempotent. Uninstall removes exactly what install added, leaving
the rest byte-identical (a newline we had to add at the end is recorded in the block).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from app.core.errors import ConfigFileError
from app.core.ssh.argv import config_value
from app.core.ssh.proxycommand import Shell, pushing
from app.core.store import Snapshot, atomic_write

BEGIN = "# >>> gangway managed block >>>"
END = "# <<< gangway managed block <<<"
_NOTE = "# Written by Gangway; edits inside this block are replaced. Remove with Gangway."
_ADDED_NL = "# gangway: added a final newline to the line above"
INCLUDE_NAME = "gangway.conf"
INSTANCE_PATTERNS = "i-* mi-*"
ALIAS_PREFIX = "gw-"  # favourite aliases: `ssh gw-web-1-prod` (see sanitize_alias)
EC2_PATTERN = "i-*"  # keyless mode: only EC2 instances have Instance Connect
HYBRID_PATTERN = "mi-*"
_INSTANCE_ID = re.compile(r"(?:i|mi)-[0-9a-f]{8,17}")


class Style(Enum):
    BLOCK = "block"
    INCLUDE = "include"


@dataclass(frozen=True)
class Alias:
    """A favourite: `Host <name>` -> `HostName <instance_id>`, with its own ProxyCommand
    when it needs a different region or profile (`proxy_command`, None = the block's one)."""

    name: str
    instance_id: str
    proxy_command: str | None = None


@dataclass(frozen=True)
class Keyless:
    """Opt-in keyless mode: EC2 hosts get the ephemeral key (and only it) and a ProxyCommand
    that pushes it for ssh's remote user (`%r`) with EC2 Instance Connect."""

    identity_file: str  # the ephemeral private key's path
    shell: Shell | None = None  # how ssh runs the ProxyCommand (default: this OS)

    def lines(self, proxy_command: str) -> list[str]:
        return [f"  IdentityFile {config_value(self.identity_file)}", "  IdentitiesOnly yes",
                f"  ProxyCommand {_one_line(pushing(proxy_command, self.shell))}"]


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True)
class Rendered:
    text: str  # the lines between (and excluding) the markers, or the include file's text
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class Result:
    path: Path
    changed: bool
    backup: Path | None
    include_file: Path | None = None


def sanitize_alias(name: str) -> str | None:
    """A safe ssh Host name from a (hostile) instance name, or None if nothing is left.

    Always `gw-` + letters, digits, `_` and `-` only: no dot, so an alias is never a DNS
    name (a favourite renamed `GitHub.com` must not catch `ssh github.com`, and so `git`),
    and a fixed prefix, so it never takes a bare LAN host name (`db`) or matches `i-*`.
    Runs of anything else (dots, spaces, pattern characters `* ? !`, `%`, quotes) become one
    `-`; accents are stripped; lower case, since ssh matches host names case-insensitively.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", text).lower()
    text = re.sub(r"-{2,}", "-", text).strip("-")[:100].strip("-")
    return ALIAS_PREFIX + text if text else None


def render(proxy_command: str, aliases: Iterable[Alias] = (), *,
           keyless: Keyless | None = None) -> Rendered:
    """The ssh_config text: favourite aliases first (first match wins), then `Host i-* mi-*`
    (keyless: `Host i-*` with the ephemeral key, then `Host mi-*` as before)."""
    lines: list[str] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for alias in aliases:
        safe = sanitize_alias(alias.name)
        if safe is None:
            skipped.append(Skipped(alias.name, "no letters or digits usable in an ssh host name"))
            continue
        if safe in seen:
            skipped.append(Skipped(alias.name, f"another favourite already uses '{safe}'"))
            continue
        if _INSTANCE_ID.fullmatch(safe.removeprefix(ALIAS_PREFIX)):
            skipped.append(Skipped(alias.name, "looks like an instance id; use the id itself"))
            continue
        if not _INSTANCE_ID.fullmatch(alias.instance_id):
            skipped.append(Skipped(alias.name, f"{alias.instance_id!r} is not an instance id"))
            continue
        seen.add(safe)
        # `Host i-* mi-*` is matched against the name typed (the alias), not the HostName,
        # so each alias carries its ProxyCommand itself.
        pc = alias.proxy_command or proxy_command
        lines += [f"Host {safe}", f"  HostName {alias.instance_id}"]
        if keyless is not None and alias.instance_id.startswith("i-"):
            lines += keyless.lines(pc)
        else:
            lines.append(f"  ProxyCommand {_one_line(pc)}")
    if keyless is not None:
        lines += [f"Host {EC2_PATTERN}", *keyless.lines(proxy_command),
                  f"Host {HYBRID_PATTERN}", f"  ProxyCommand {_one_line(proxy_command)}"]
    else:
        lines += [f"Host {INSTANCE_PATTERNS}", f"  ProxyCommand {_one_line(proxy_command)}"]
    return Rendered("\n".join(lines) + "\n", tuple(skipped))


def _one_line(text: str) -> str:
    if any(c in text for c in "\n\r\0"):
        raise ValueError("a ProxyCommand cannot span lines")
    return text


def _find_block(text: str, path: Path) -> tuple[int, int] | None:
    """(start, end) character offsets of our block including its marker lines, or None."""
    lines = text.splitlines(keepends=True)
    begin = [i for i, ln in enumerate(lines) if ln.rstrip("\r\n") == BEGIN]
    end = [i for i, ln in enumerate(lines) if ln.rstrip("\r\n") == END]
    if not begin and not end:
        return None
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        raise ConfigFileError(path, "has damaged Gangway markers (a begin without an end, or "
                              "several blocks)", (begin or end)[0] + 1,
                              "Remove the lines between and including the '# >>> gangway' and "
                              "'# <<< gangway' markers by hand, then install again.")
    start = sum(len(ln) for ln in lines[: begin[0]])
    stop = sum(len(ln) for ln in lines[: end[0] + 1])
    return start, stop


def _first_section(text: str) -> int:
    """Offset of the first `Host`/`Match` line (where an Include must go before), or len."""
    offset = 0
    for ln in text.splitlines(keepends=True):
        if re.match(r"\s*(host|match)(\s|=)", ln, re.IGNORECASE):
            return offset
        offset += len(ln)
    return len(text)


def with_block(text: str, body: str, style: Style, path: Path) -> str:
    """`text` with our block (holding `body`) installed or replaced in place."""
    found = _find_block(text, path)
    if found is not None:
        start, stop = found
        old = text[start:stop]
        added_nl = _ADDED_NL in old
        block = _block(body, added_nl)
        return text[:start] + block + text[stop:]
    pos = _first_section(text) if style is Style.INCLUDE else len(text)
    head, tail = text[:pos], text[pos:]
    added_nl = bool(head) and not head.endswith("\n")
    return head + ("\n" if added_nl else "") + _block(body, added_nl) + tail


def without_block(text: str, path: Path) -> str:
    found = _find_block(text, path)
    if found is None:
        return text
    start, stop = found
    head = text[:start]
    if _ADDED_NL in text[start:stop] and head.endswith("\n"):
        head = head[:-1]
    return head + text[stop:]


def _block(body: str, added_nl: bool) -> str:
    lines = [BEGIN, _NOTE] + ([_ADDED_NL] if added_nl else [])
    return "\n".join(lines) + "\n" + body + END + "\n"


def include_body(include_file: Path) -> str:
    """The Include line: an absolute path (a relative one would be read from ~/.ssh even for
    a config elsewhere), quoted if it has spaces. ssh does not expand %-tokens here."""
    path = str(include_file)
    if any(c in path for c in '"\n\r\0'):
        raise ConfigFileError(include_file, "cannot be named in an ssh Include line")
    return f'Include "{path}"\n' if re.search(r"\s", path) else f"Include {path}\n"


def install(config_path: Path, rendered: Rendered, style: Style = Style.BLOCK) -> Result:
    """Write our block (and for INCLUDE, our own file). No write if nothing would change."""
    include_file = config_path.parent / INCLUDE_NAME if style is Style.INCLUDE else None
    snap = Snapshot.read(config_path)
    if include_file is not None:
        inc = Snapshot.read(include_file)
        if inc.text != rendered.text:
            atomic_write(include_file, rendered.text, make_backup=False, expect=inc)
        body = include_body(include_file)
    else:
        body = rendered.text
    new = with_block(snap.text, body, style, config_path)
    if new == snap.text:
        return Result(config_path, False, None, include_file)
    config_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    saved = atomic_write(config_path, new, expect=snap)
    return Result(config_path, True, saved, include_file)


def uninstall(config_path: Path) -> Result:
    """Remove our block (and our include file); the rest of the file stays byte-identical."""
    snap = Snapshot.read(config_path)
    new = without_block(snap.text, config_path)
    include_file = config_path.parent / INCLUDE_NAME
    removed_include = False
    if include_file.exists():
        include_file.unlink()
        removed_include = True
    if new == snap.text:
        return Result(config_path, removed_include, None,
                      include_file if removed_include else None)
    saved = atomic_write(config_path, new, expect=snap)
    return Result(config_path, True, saved, include_file if removed_include else None)


def installed_text(config_path: Path) -> str | None:
    """What our block currently holds, or None if not installed."""
    snap = Snapshot.read(config_path)
    found = _find_block(snap.text, config_path)
    return None if found is None else snap.text[found[0]:found[1]]
