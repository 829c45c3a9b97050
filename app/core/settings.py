"""Typed settings: one frozen dataclass per section, with defaults, in one file.

    store = SettingsStore(paths.settings_file)
    settings = store.load()                       # Settings, never raises on a bad file
    store.update(sessions=replace(settings.sessions, ask_reason=True))
    store.subscribe(apply)                        # called with the new Settings after a save

A value of the wrong type or out of range falls back to its default (and is logged); keys
this version does not know are kept on save, so a newer Gangway's settings survive an older
one. Each field declares its range or choices in `metadata`, once, for the dialog and the
doctor. A new section is a dataclass here and a field of `Settings`.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from app.core.aws.credentials.types import Durations
from app.core.ssh.proxycommand import Mode
from app.core.store import JsonStore

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2


def _range(low: float, high: float, help_text: str) -> dict[str, Any]:
    return {"min": low, "max": high, "help": help_text}


@dataclass(frozen=True)
class CredentialSettings:
    """How long temporary credentials last (AWS: GetSessionToken 15 min-36 h, roles 15 min-12 h;
    a profile's own duration_seconds wins for its role)."""

    session_token_hours: float = field(default=12.0, metadata=_range(
        0.25, 36, "After an MFA code (session token)"))
    role_hours: float = field(default=1.0, metadata=_range(0.25, 12, "Assumed roles"))

    def durations(self) -> Durations:
        return Durations(int(self.session_token_hours * 3600), int(self.role_hours * 3600))


@dataclass(frozen=True)
class SessionSettings:
    """How sessions start: the ProxyCommand mode, the reason prompt, the terminal."""

    mode: Mode = field(default=Mode.BUILTIN, metadata={
        "label": "ProxyCommand mode", "help": "How ssh reaches the instance: Gangway's own "
        "plugin runner, or `aws ssm start-session` (needs the AWS CLI v2)."})
    ask_reason: bool = field(default=False, metadata={
        "label": "Ask for a reason before each shell session",
        "help": "Session Manager records it for audit."})
    # a FoundTerminal kind/name; "" = the first detected
    terminal: str = field(default="", metadata={"label": "Terminal"})
    # custom terminal command with {command}; wins over `terminal`
    template: str = field(default="", metadata={
        "label": "Custom terminal command",
        "help": "e.g. myterm --hold -e {command}; when set, it is used instead of Terminal."})
    keyless: bool = field(default=False, metadata={
        "label": "Keyless SSH",
        "help": "SSH, SFTP and SCP push Gangway's ephemeral key with EC2 Instance Connect "
                "(also done when no key is named for the instance)"})


@dataclass(frozen=True)
class TunnelSettings:
    """Saved tunnels: the team catalog in Parameter Store, and what happens when one drops."""

    catalog_path: str = field(default="", metadata={
        "label": "Team catalog path",
        "help": "Parameter Store path of the team's shared tunnels (e.g. /team/tunnels)"})
    catalog_profile: str = field(default="", metadata={
        "label": "Catalog profile", "help": "Profile that reads the catalog (default: default)"})
    reconnect: bool = field(default=True, metadata={
        "label": "Reconnect at once",
        "help": "Start a new session at once when one ends (else on the next connection)"})


class Theme(enum.StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def _label(text: str, help_text: str = "") -> dict[str, Any]:
    return {"label": text, "help": help_text}


@dataclass(frozen=True)
class GeneralSettings:
    """The app around the window: login, tray, notifications."""

    start_at_login: bool = field(default=False, metadata=_label(
        "Start Gangway when I log in", "In the tray, without opening the window."))
    close_to_tray: bool = field(default=True, metadata=_label(
        "Closing the window keeps Gangway in the tray",
        "Tunnels keep running; Quit in the tray menu ends Gangway."))
    notifications: bool = field(default=True, metadata=_label(
        "Notify when credentials are about to expire or a session fails"))


@dataclass(frozen=True)
class AppearanceSettings:
    theme: Theme = field(default=Theme.SYSTEM, metadata=_label(
        "Theme", "Light and Dark use Gangway's own colours everywhere, icons included; "
        "Follow the system takes your desktop's. Applied at once."))


@dataclass(frozen=True)
class InstanceSettings:
    """How the Instances pane searches."""

    default_regions: str = field(default="", metadata=_label(
        "Regions to search by default", "Comma-separated, e.g. eu-west-1, us-east-1; empty: "
        "each profile's own region."))
    refresh_minutes: float = field(default=0.0, metadata={
        **_range(0, 240, "0: only when asked"), "label": "Refresh instances every (minutes)"})

    def regions(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.default_regions.split(",") if r.strip())


@dataclass(frozen=True)
class Settings:
    credentials: CredentialSettings = field(default_factory=CredentialSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    tunnels: TunnelSettings = field(default_factory=TunnelSettings)
    general: GeneralSettings = field(default_factory=GeneralSettings)
    appearance: AppearanceSettings = field(default_factory=AppearanceSettings)
    instances: InstanceSettings = field(default_factory=InstanceSettings)


def _coerce(kind: Any, value: Any, meta: Any) -> Any:
    """`value` as `kind`, or raise ValueError."""
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError("not true or false")
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        number = kind(value)
        if "min" in meta and not meta["min"] <= number <= meta["max"]:
            raise ValueError(f"outside {meta['min']}..{meta['max']}")
        return number
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("not text")
        return value
    raise ValueError(f"unsupported setting type {kind!r}")


def _section(cls: type[Any], raw: object, name: str) -> Any:
    if not isinstance(raw, dict):
        return cls()
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        try:
            values[f.name] = _coerce(hints[f.name], raw[f.name], f.metadata)
        except (ValueError, TypeError) as exc:
            log.warning("setting %s.%s ignored (%s); using the default", name, f.name, exc)
    return cls(**values)


def _plain(section: Any) -> dict[str, Any]:
    out = dataclasses.asdict(section)
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in out.items()}


def _migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept the credential durations at the top level."""
    if "credentials" not in doc:
        creds = {k: doc.pop(k) for k in ("session_token_hours", "role_hours") if k in doc}
        if creds:
            doc["credentials"] = creds
    return doc


class SettingsStore:
    """settings.json as typed `Settings`; thread-safe; observers see every save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store = JsonStore(path, schema_version=SCHEMA_VERSION)
        self._lock = threading.Lock()
        self._observers: list[Callable[[Settings], None]] = []

    def load(self) -> Settings:
        doc = _migrate(self._store.load())
        hints = get_type_hints(Settings)
        return Settings(**{f.name: _section(hints[f.name], doc.get(f.name), f.name)
                           for f in dataclasses.fields(Settings)})

    def save(self, settings: Settings) -> None:
        with self._lock:
            doc = _migrate(self._store.load())  # keep sections and keys we do not know
            for f in dataclasses.fields(Settings):
                known = _plain(getattr(settings, f.name))
                old = doc.get(f.name)
                doc[f.name] = {**(old if isinstance(old, dict) else {}), **known}
            self._store.save(doc)
            observers = list(self._observers)
        for notify in observers:
            notify(settings)

    def update(self, **sections: Any) -> Settings:
        """Replace whole sections (`sessions=SessionSettings(...)`) and save."""
        new = dataclasses.replace(self.load(), **sections)
        self.save(new)
        return new

    def subscribe(self, observer: Callable[[Settings], None]) -> None:
        with self._lock:
            self._observers.append(observer)
