"""The local tunnels file: `<config>/tunnels.json`, versioned, locked, written atomically (0600).

    book = TunnelBook.default()
    book.add(spec)                       # refuses a duplicate name or local port
    book.all(catalog)                    # local tunnels, then shared ones they do not override
    book.export()                        # a document with no secrets and no local state
    book.import_file(Path("team.json"))  # our export, a list of tunnels, or a .basti.yaml

Entries this Gangway cannot read (a newer version's, or hand-edited) are kept as they are and
written back untouched: bad input loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from app.core.errors import ConfigFileError
from app.core.store import JsonStore, atomic_write
from app.core.tunnels.relay import bind_listener
from app.core.tunnels.spec import TunnelError, TunnelSpec, check_name

SCHEMA_VERSION = 1
FILE_NAME = "tunnels.json"
T = TypeVar("T")


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one sentence each: what and why


class TunnelBook:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = JsonStore(path, SCHEMA_VERSION)

    @classmethod
    def default(cls) -> TunnelBook:
        from app.core.paths import Paths

        return cls(Paths.default().config_dir / FILE_NAME)

    # --- reading ----------------------------------------------------------------------------

    def _raw(self) -> list[Any]:
        doc = self.store.load()
        rows = doc.get("tunnels", [])
        return rows if isinstance(rows, list) else []

    def local(self) -> list[TunnelSpec]:
        out = []
        for row in self._raw():
            try:
                out.append(TunnelSpec.from_json(row))
            except TunnelError:
                continue  # kept in the file, not offered
        return out

    def problems(self) -> list[str]:
        """One sentence per stored entry that cannot be used (for `list` and the pane)."""
        out = []
        for row in self._raw():
            try:
                TunnelSpec.from_json(row)
            except TunnelError as exc:
                out.append(f"{self.path}: {exc.one_line()}")
        return out

    def all(self, catalog: Iterable[TunnelSpec] = ()) -> list[TunnelSpec]:
        """Local tunnels, then the team's shared ones that no local tunnel overrides."""
        local = self.local()
        names = {s.name for s in local}
        return local + [s for s in catalog if s.name not in names]

    def get(self, name: str, catalog: Iterable[TunnelSpec] = ()) -> TunnelSpec:
        for spec in self.all(catalog):
            if spec.name == name:
                return spec
        raise TunnelError(f"No tunnel is named {name!r}.",
                          "See `gangway tunnel list` for the saved tunnels.")

    def select(self, names: Sequence[str], group: str | None,
               catalog: Iterable[TunnelSpec] = ()) -> list[TunnelSpec]:
        """The tunnels named, or every tunnel of `group` (an unknown name is an error)."""
        every = self.all(catalog)
        if group is not None:
            chosen = [s for s in every if s.group == group]
            if not chosen:
                raise TunnelError(f"No tunnel is in the group {group!r}.",
                                  "Give a group with `gangway tunnel add ... --group G`.")
            return chosen
        return [self.get(n, every) for n in dict.fromkeys(names)]

    # --- writing ----------------------------------------------------------------------------

    def _edit(self, fn: Callable[[list[Any]], T]) -> T:
        """Run `fn` on the stored rows (it may change them) and save, under the file's lock;
        an exception from `fn` saves nothing."""
        out: list[T] = []

        def change(doc: dict[str, Any]) -> dict[str, Any]:
            rows = doc.get("tunnels", [])
            rows = rows if isinstance(rows, list) else []
            out.append(fn(rows))
            return {**doc, "tunnels": rows}

        self.store.update(change)
        return out[0]

    def add(self, spec: TunnelSpec, *, replace: bool = False) -> TunnelSpec:
        """Save `spec`; a local port of 0 is picked now (free at this moment) and kept."""
        spec.validate()

        def change(rows: list[Any]) -> TunnelSpec:
            specs = [(i, _parse(r)) for i, r in enumerate(rows)]
            same = [i for i, s in specs if s is not None and s.name == spec.name]
            if same and not replace:
                raise TunnelError(f"A tunnel named {spec.name!r} already exists.",
                                  "Pick another name, or remove it first.")
            others = [s for i, s in specs if s is not None and i not in same]
            taken = {(s.bind, s.local_port) for s in others}
            saved = spec if spec.local_port else spec.with_changes(
                local_port=_free_port(spec.bind, taken))
            if (saved.bind, saved.local_port) in taken:
                owner = next(s.name for s in others
                             if (s.bind, s.local_port) == (saved.bind, saved.local_port))
                raise TunnelError(f"Local port {saved.local_port} is already used by the "
                                  f"tunnel {owner!r}.", "Pick another --local-port.")
            for i in reversed(same):
                del rows[i]
            rows.append(saved.with_changes(shared=False).to_json())
            return saved

        return self._edit(change)

    def remove(self, name: str) -> bool:
        check_name(name)

        def change(rows: list[Any]) -> bool:
            before = len(rows)
            rows[:] = [r for r in rows if not (isinstance(r, dict) and r.get("name") == name)]
            return len(rows) != before

        return self._edit(change)

    # --- import and export ------------------------------------------------------------------

    def export(self, names: Sequence[str] | None = None) -> dict[str, Any]:
        """A document to share: local tunnels only; no secrets (a tunnel holds none: profiles
        are names, credentials stay in the keyring) and no local state."""
        specs = [s for s in self.local() if names is None or s.name in names]
        return {"schema_version": SCHEMA_VERSION, "gangway": "tunnels",
                "tunnels": [s.to_json(with_private=False) for s in specs]}

    def export_to(self, path: Path, names: Sequence[str] | None = None) -> None:
        text = json.dumps(self.export(names), indent=2, ensure_ascii=False) + "\n"
        atomic_write(path, text, make_backup=True)

    def import_file(self, path: Path, *, target: str | None = None,
                    profile: str | None = None) -> ImportResult:
        """Add every tunnel in `path` whose name is free; say what was skipped and why."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise ConfigFileError(path, "is not UTF-8 text") from exc
        result = ImportResult()
        if path.suffix in (".yaml", ".yml") or path.name.startswith(".basti"):
            from app.core.tunnels.basti import parse_basti

            specs, result.skipped = parse_basti(text, path, target=target, profile=profile)
        else:
            specs = self._parse_export(text, path, result)
        for spec in specs:
            try:
                self.add(spec)
                result.added.append(spec.name)
            except TunnelError as exc:
                result.skipped.append(f"{spec.name}: {exc.one_line()}")
        return result

    @staticmethod
    def _parse_export(text: str, path: Path, result: ImportResult) -> list[TunnelSpec]:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise ConfigFileError(path, f"is not valid JSON ({exc})", line,
                                  "Import a file made by `gangway tunnel export`.") from exc
        rows = doc.get("tunnels") if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            raise ConfigFileError(path, "has no list of tunnels",
                                  hint="Import a file made by `gangway tunnel export`.")
        specs = []
        for i, row in enumerate(rows, 1):
            try:
                specs.append(TunnelSpec.from_json(
                    {**row, "shared": False} if isinstance(row, dict) else row))
            except TunnelError as exc:
                result.skipped.append(f"entry {i}: {exc.one_line()}")
        return specs


def _parse(row: Any) -> TunnelSpec | None:
    try:
        return TunnelSpec.from_json(row)
    except TunnelError:
        return None


def _free_port(bind: str, taken: set[tuple[str, int]]) -> int:
    """A port free now and not saved for another tunnel (pick it once, keep it)."""
    for _ in range(50):
        sock = bind_listener(bind, 0)
        port = int(sock.getsockname()[1])
        sock.close()
        if (bind, port) not in taken:
            return port
    raise TunnelError("Could not find a free local port.", "Give one with --local-port.")
