"""The user's session launch settings: ProxyCommand mode, the reason prompt, the terminal.

Kept under the "sessions" key of the shared settings JsonStore, read-modify-written so other
keys in the same file (other panes' settings) are left as they were.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.core.ssh.proxycommand import Mode
from app.core.store import JsonStore

KEY = "sessions"


@dataclass(frozen=True)
class LaunchSettings:
    mode: Mode = Mode.BUILTIN
    ask_reason: bool = False
    terminal: str = ""  # a FoundTerminal kind/name; "" = the first detected
    template: str = ""  # custom terminal command with {command}; wins over `terminal`

    @classmethod
    def load(cls, store: JsonStore) -> LaunchSettings:
        raw = store.load().get(KEY)
        if not isinstance(raw, dict):
            return cls()
        try:
            mode = Mode(raw.get("mode", Mode.BUILTIN.value))
        except ValueError:
            mode = Mode.BUILTIN
        return cls(mode=mode, ask_reason=bool(raw.get("ask_reason", False)),
                   terminal=str(raw.get("terminal", "") or ""),
                   template=str(raw.get("template", "") or ""))

    def save(self, store: JsonStore) -> None:
        doc = store.load()
        body = asdict(self)
        body["mode"] = self.mode.value
        doc[KEY] = body
        store.save(doc)
