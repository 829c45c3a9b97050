"""What the Profiles pane and the tray show: one row per profile, worded state, expiry.

Built in a worker thread (it reads both files and the secret store for every profile), then
handed to the UI as frozen data. The wording lives here, without Qt, so the CLI and the tray
say the same thing as the pane.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.aws.credentials.service import CredentialService
from app.core.aws.credentials.status import NOT_CHECKED, advice, is_long_term
from app.core.aws.credentials.types import CredentialState, CredentialStatus, Identity
from app.core.aws.profiles.model import Profile, ProfileKind, ProfileSet
from app.core.errors import ConfigFileError

# Notify this long before temporary credentials expire.
EXPIRY_WARNING = timedelta(minutes=5)


@dataclass(frozen=True)
class ProfileRow:
    """One line of the Profiles table."""

    profile: Profile
    status: CredentialStatus
    identity: Identity | None = None
    active: bool = False

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class ProfilesView:
    """Every readable profile with its state, and the file problems found while reading."""

    profiles: ProfileSet
    rows: tuple[ProfileRow, ...]

    @property
    def problems(self) -> tuple[ConfigFileError, ...]:
        return self.profiles.problems


def load_view(service: CredentialService) -> ProfilesView:
    """Read the files and each profile's state (files + secret store, no AWS call)."""
    profiles = service.profiles()
    rows = tuple(
        ProfileRow(p, service.status(p.name, profiles), service.cached_identity(p.name),
                   p.name == profiles.active)
        for p in profiles)
    return ProfilesView(profiles, rows)


def with_identity(view: ProfilesView, name: str, identity: Identity) -> ProfilesView:
    rows = tuple(ProfileRow(r.profile, r.status, identity, r.active) if r.name == name else r
                 for r in view.rows)
    return ProfilesView(view.profiles, rows)


def remaining_text(left: timedelta) -> str:
    """"2 h 05 min", "14 min", "under a minute"."""
    minutes = int(left.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def state_text(status: CredentialStatus, now: datetime | None = None) -> str:
    """The state column: "valid until 14:05 (2 h 05 min left)", "expired", "broken: why"."""
    now = now or datetime.now(UTC)
    state = status.state
    if state is CredentialState.VALID_UNTIL and status.expires is not None:
        if status.expires <= now:
            return "expired"
        local = status.expires.astimezone()
        return f"valid until {local:%H:%M} ({remaining_text(status.expires - now)} left)"
    if state is CredentialState.EXPIRED:
        return "expired"
    if state is CredentialState.BROKEN:
        return f"broken: {status.reason}" if status.reason else "broken"
    if state is CredentialState.UNKNOWN:
        if status.reason == NOT_CHECKED:
            return NOT_CHECKED
        # Roles without MFA, credential_process, ...: obtained by the AWS tools when used.
        return f"unknown: {status.reason}" if status.reason else "obtained when used"
    return str(state.value)


def row_state_text(row: ProfileRow, now: datetime | None = None) -> str:
    """The state column for a row: like `state_text`, with what only the profile tells."""
    profile = row.profile
    if profile.kind is ProfileKind.NONE and not profile.error:
        return ""  # settings only (region, output): nothing to be valid
    if row.status.state is CredentialState.VALID and profile.kind is ProfileKind.STATIC \
            and profile.get("aws_session_token"):
        # Temporary keys pasted into the file: their expiry is not written anywhere.
        return "temporary keys, expiry unknown"
    return state_text(row.status, now)


def advice_text(row: ProfileRow, now: datetime | None = None) -> str:
    """What to do about the row's state, for its kind ("" when nothing)."""
    return advice(row.profile, row.status, now)


def needs_check(row: ProfileRow) -> bool:
    """Long-term keys nobody has shown to AWS yet: the window checks these quietly."""
    return is_long_term(row.profile) and row.status.reason == NOT_CHECKED \
        and row.identity is None


def refreshed(view: ProfilesView, service: CredentialService, name: str) -> ProfilesView:
    """`view` with `name`'s row re-read from the service (after an identity check)."""
    rows = tuple(ProfileRow(r.profile, service.status(r.name, view.profiles),
                            service.cached_identity(r.name), r.active) if r.name == name else r
                 for r in view.rows)
    return ProfilesView(view.profiles, rows)


def needs_attention(status: CredentialStatus, now: datetime | None = None) -> bool:
    """Whether the row should stand out (the user must act before using it)."""
    now = now or datetime.now(UTC)
    if status.state is CredentialState.VALID_UNTIL:
        return status.expires is not None and status.expires <= now
    return status.state in (CredentialState.EXPIRED, CredentialState.NEEDS_MFA,
                            CredentialState.NEEDS_SSO_LOGIN, CredentialState.BROKEN)


def identity_text(row: ProfileRow) -> str:
    """Account and identity: from sts:GetCallerIdentity when checked, else what files say."""
    if row.identity is not None:
        return f"{row.identity.account} {row.identity.arn.rsplit(':', 1)[-1]}"
    hint = row.profile.account_hint
    return hint or ""


def kind_text(profile: Profile) -> str:
    text = profile.kind.value
    if profile.needs_mfa and profile.kind is not ProfileKind.STATIC_MFA:
        text += " + MFA"
    return text


def expiring(rows: Iterable[ProfileRow], now: datetime | None = None,
             within: timedelta = EXPIRY_WARNING) -> list[ProfileRow]:
    """Rows whose temporary credentials expire within `within` (and have not yet)."""
    now = now or datetime.now(UTC)
    out = []
    for row in rows:
        exp = row.status.expires
        if row.status.state is CredentialState.VALID_UNTIL and exp is not None \
                and now < exp <= now + within:
            out.append(row)
    return out


class ExpiryNotices:
    """Which "expires soon" warnings are due: each (profile, expiry) is told once."""

    def __init__(self, within: timedelta = EXPIRY_WARNING) -> None:
        self.within = within
        self._told: set[tuple[str, datetime]] = set()

    def due(self, rows: Iterable[ProfileRow], now: datetime | None = None
            ) -> list[tuple[str, str]]:
        """(title, text) for each warning not yet given."""
        now = now or datetime.now(UTC)
        out = []
        for row in expiring(rows, now, self.within):
            key = (row.name, row.status.expires or now)
            if key not in self._told:
                self._told.add(key)
                out.append((f"Credentials for {row.name} expire soon",
                            f"{state_text(row.status, now)}. Enter a new MFA code before then "
                            "to keep tunnels and sessions running."))
        return out
