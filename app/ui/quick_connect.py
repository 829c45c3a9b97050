"""Quick connect's controller: the persisted inventory of every profile, turned into palette
items with favourites, recent sessions and commands, and what Enter on each one does.

    qc = QuickConnect(tasks, cache, favourites, history, expiry, prefs, credentials, commands)
    qc.open(parent)                       # Ctrl+K, the tray; instant from the cache
    qc.action_requested.connect(actions.trigger)   # (Action, InstanceRow), SessionActions'
    qc.remember(profile, rows)            # after each discovery in the Instances pane

Rows carry no profile, so `profile_of(row)` answers for the SessionActions it feeds.
Background refresh: on open, profiles whose cached list is older than REFRESH_AFTER and whose
credentials need no prompt (no MFA code, no SSO login) are listed again in a worker.
Tunnels: a later `tunnel_items` provider adds Kind.TUNNEL items and handles their Enter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QWidget

from app.core.actions import Action
from app.core.aws.credentials.source import CredentialSource
from app.core.aws.credentials.status import NOT_CHECKED
from app.core.aws.credentials.types import CredentialState, CredentialStatus
from app.core.aws.discovery.cache import Cached, InventoryCache
from app.core.aws.discovery.rows import InstanceRow
from app.core.aws.profiles.model import ProfileKind
from app.core.aws.sessions.history import SessionHistory
from app.core.palette import Item, Kind, PaletteIndex
from app.core.ssh.favourites import Favourites
from app.core.ssh.prefs import SshPrefsStore
from app.ui.bridges.credentials import CredentialsBridge
from app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
REFRESH_AFTER = 300.0  # seconds a cached list is fresh enough
_NO_PROMPT = (CredentialState.VALID, CredentialState.VALID_UNTIL)


def _needs_no_prompt(status: CredentialStatus) -> bool:
    """Valid credentials, or long-term keys not checked yet (using them asks nothing)."""
    return status.state in _NO_PROMPT or (status.state is CredentialState.UNKNOWN
                                          and status.reason == NOT_CHECKED)


@dataclass(frozen=True)
class Commands:
    """What the palette's commands do (the Profiles pane's actions, by profile name)."""

    sso_login: Callable[[str], None]
    protect_keys: Callable[[str], None]
    enter_mfa: Callable[[str], None]


def command_items(rows: Iterable[object], commands: Commands) -> list[Item]:
    out: list[Item] = []
    for row in rows:
        name, kind = getattr(row, "name", ""), getattr(getattr(row, "profile", None), "kind", None)
        state = getattr(getattr(row, "status", None), "state", None)
        if state is CredentialState.NEEDS_SSO_LOGIN or kind is ProfileKind.SSO:
            out.append(Item(Kind.COMMAND, f"Log in to SSO: {name}", "Profiles · SSO login",
                            name, lambda n=name: commands.sso_login(n)))
        if kind in (ProfileKind.STATIC, ProfileKind.STATIC_MFA):
            out.append(Item(Kind.COMMAND, f"Protect keys: {name}",
                            "Profiles · move the keys into the OS keyring", name,
                            lambda n=name: commands.protect_keys(n)))
        if state is CredentialState.NEEDS_MFA:
            out.append(Item(Kind.COMMAND, f"Enter MFA code: {name}", "Profiles · MFA", name,
                            lambda n=name: commands.enter_mfa(n)))
    return out


def instance_items(cached: Iterable[Cached], favourites: set[tuple[str, str]],
                   recent: dict[tuple[str, str, str], float]) -> list[Item]:
    items = []
    for entry in cached:
        for row in entry.rows:
            why = "" if row.connectable else f" · {row.capabilities.why_not(Action.SHELL)}"
            detail = " · ".join(p for p in (row.instance_id, entry.profile, row.region,
                                            row.private_ip) if p) + why
            items.append(Item(
                Kind.INSTANCE, row.name or row.instance_id, detail, entry.profile, row,
                favourite=(row.region, row.instance_id) in favourites,
                recent=recent.get((entry.profile, row.region, row.instance_id), 0.0),
                extra=" ".join(f"{k}={v}" for k, v in row.tags)))
    return items


class QuickConnect(QObject):
    action_requested = Signal(object, object)  # (Action, InstanceRow)
    index_changed = Signal()

    def __init__(self, tasks: TaskRunner, cache: InventoryCache, favourites: Favourites,
                 history: SessionHistory, expiry: CredentialsBridge, prefs: SshPrefsStore,
                 credentials: CredentialSource, commands: Commands,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks, self.cache, self.favourites = tasks, cache, favourites
        self.history, self.expiry, self.prefs = history, expiry, prefs
        self.credentials, self.commands = credentials, commands
        self.cached: dict[str, Cached] = {}
        self.index = PaletteIndex(())
        self.dialog: QWidget | None = None
        self._profiles: dict[tuple[str, str], str] = {}  # (region, id) -> profile
        self._refreshing: set[str] = set()
        self._favs: set[tuple[str, str]] = set()
        self._recent: dict[tuple[str, str, str], float] = {}
        self.loaded = False

    # --- data ------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the cache (and favourites and history) in a worker, then build the index."""
        task = self.tasks.submit(self._read, name="quick-connect cache")
        task.result.connect(self._read_done)

    def _read(self) -> tuple[dict[str, Cached], set[tuple[str, str]], dict[tuple[str, str, str],
                                                                               float]]:
        recent: dict[tuple[str, str, str], float] = {}
        for rec in self.history.records():
            stamp = rec.start.timestamp() if rec.start else 0.0
            key = (rec.profile, rec.region, rec.target)
            recent[key] = max(recent.get(key, 0.0), stamp)
        return self.cache.load(), self.favourites.load(), recent

    def _read_done(self, result: tuple[dict[str, Cached], set[tuple[str, str]],
                                       dict[tuple[str, str, str], float]]) -> None:
        cached, self._favs, self._recent = result
        self.cached = {**cached, **self.cached}  # a discovery meanwhile is newer
        self.loaded = True
        self.rebuild()

    def rebuild(self) -> None:
        entries = list(self.cached.values())
        self._profiles = {(r.region, r.instance_id): e.profile for e in entries for r in e.rows}
        items = instance_items(entries, self._favs, self._recent)
        items += command_items(self.expiry.rows(), self.commands)
        self.index = PaletteIndex(items)
        dialog = self.dialog
        if dialog is not None and hasattr(dialog, "set_index"):
            dialog.set_index(self.index)
        self.index_changed.emit()

    def remember(self, profile: str, rows: Sequence[InstanceRow]) -> None:
        """A discovery finished (pane or background): keep it, on disk too."""
        if not profile:
            return
        self.cached[profile] = Cached(profile, time.time(), tuple(rows))
        self.tasks.submit(self.cache.put, profile, tuple(rows), name="quick-connect save")
        self.rebuild()

    def profile_of(self, row: InstanceRow) -> str:
        return self._profiles.get((row.region, row.instance_id), "")

    def defaults(self, item: Item) -> tuple[Action, Action]:
        """Enter: SSH when an SSH user is remembered for the instance, else a shell."""
        row = item.ref
        if isinstance(row, InstanceRow) and self.prefs.get(item.profile, row.region,
                                                          row.instance_id).user:
            return Action.SSH, Action.SHELL
        return Action.SHELL, Action.SSH

    # --- the dialog ------------------------------------------------------------------------
    def open(self, parent: QWidget | None = None) -> QWidget:
        from app.ui.dialogs.quick_connect import QuickConnectDialog

        if not self.loaded:
            self.load()
        dialog = QuickConnectDialog(self.index, self.defaults, self._menu, parent)
        dialog.chosen.connect(self._chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.edit.setFocus()
        self.refresh_stale()
        return dialog

    def _chosen(self, action: object, item: object) -> None:
        if not isinstance(item, Item):
            return
        if item.kind is Kind.COMMAND and callable(item.ref):
            item.ref()
        elif item.kind is Kind.INSTANCE and isinstance(action, Action):
            self.action_requested.emit(action, item.ref)

    def _menu(self, item: Item, parent: QWidget) -> QMenu | None:
        from app.ui.panes.instances_menu import build_menu

        row = item.ref
        if item.kind is not Kind.INSTANCE or not isinstance(row, InstanceRow):
            return None

        def on_action(action: Action, r: InstanceRow) -> None:
            if self.dialog is not None:
                self.dialog.close()
            self.action_requested.emit(action, r)

        def on_favourite(r: InstanceRow) -> None:
            favs = self.favourites.load() ^ {(r.region, r.instance_id)}
            self.favourites.save(favs)
            self._favs = favs
            self.rebuild()

        return build_menu(parent, row, favourite=item.favourite, on_action=on_action,
                          on_favourite=on_favourite)

    # --- background refresh ----------------------------------------------------------------
    def refresh_stale(self, now: float | None = None) -> list[str]:
        """List again, in workers, the cached profiles that are stale and need no prompt."""
        now = time.time() if now is None else now
        quiet = {r.name for r in self.expiry.rows() if _needs_no_prompt(r.status)}
        stale = [p for p, c in self.cached.items() if c.age(now) > REFRESH_AFTER
                 and p in quiet and p not in self._refreshing]
        for profile in stale:
            self._refreshing.add(profile)
            task = self.tasks.submit(_discover, self.credentials, profile,
                                     name=f"quick-connect {profile}")
            task.result.connect(lambda rows, p=profile: self._refreshed(p, rows))
            task.done.connect(lambda p=profile: self._refreshing.discard(p))
        return stale

    def _refreshed(self, profile: str, rows: object) -> None:
        if isinstance(rows, list):
            self.remember(profile, rows)


def _discover(source: CredentialSource, profile: str) -> list[InstanceRow]:
    """Worker: the profile's default region, as the Instances pane lists it first."""
    from app.core.aws.discovery.inventory import discover, resolve_regions

    session = source.session(profile)
    inventory = discover(session, resolve_regions(session, (), False))
    if not inventory.any_ok:
        raise inventory.errors[0].error or RuntimeError("discovery failed")
    return inventory.rows
