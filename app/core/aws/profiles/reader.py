"""Reading ~/.aws/config and ~/.aws/credentials the way botocore does, but never all-or-nothing.

botocore refuses a whole file when one line is wrong; Gangway must still start and show every
profile it could read. So this reader follows botocore's rules (`[profile NAME]` / `[default]`
in the config file, shlex-split section names, `[NAME]` in the credentials file, indented
continuation lines) and collects each problem as a `ConfigFileError` next to the profiles
instead of raising.

No boto3 here: the credentials helper (`gangway credentials`) loads profiles on a cache hit.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from app.core.aws.profiles.model import (
    KEY_ID,
    SECRET_KEYS,
    Profile,
    ProfileKind,
    ProfileSet,
    SsoSession,
    is_gangway_process,
)
from app.core.errors import ConfigFileError, FileTooLargeError
from app.core.store import Snapshot


def config_paths() -> tuple[Path, Path]:
    """(config, credentials) from AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE or ~/.aws."""
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    creds = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return (Path(os.path.expandvars(config)).expanduser(),
            Path(os.path.expandvars(creds)).expanduser())


@dataclass
class _Section:
    name: str
    line: int
    values: dict[str, str] = field(default_factory=dict)


def _read_text(path: Path, problems: list[ConfigFileError]) -> tuple[Snapshot, str]:
    """The file's snapshot and text; bad encoding is a problem, the readable rest is kept."""
    try:
        return (snap := Snapshot.read(path)), snap.text
    except FileTooLargeError as exc:
        # Not parsed at all; writes re-check the size and refuse the same way.
        problems.append(exc)
        return Snapshot(path, "too-large", ""), ""
    except ConfigFileError as exc:
        problems.append(exc)
    except OSError as exc:
        problems.append(ConfigFileError(path, f"cannot be read ({exc.strerror or exc})"))
        return Snapshot(path, None, ""), ""
    raw = path.read_bytes()
    # The snapshot keeps the real digest so a later write still detects changes.
    import hashlib
    snap = Snapshot(path, hashlib.sha256(raw).hexdigest(), "")
    return snap, raw.decode("utf-8", errors="replace")


def parse_ini(path: Path, text: str, problems: list[ConfigFileError]) -> list[_Section]:
    """Sections in file order; the first of duplicated sections wins (and is reported)."""
    sections: list[_Section] = []
    seen: dict[str, _Section] = {}
    current: _Section | None = None
    last_key: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and current is not None and last_key is not None:
            # Continuation line (botocore's nested `s3 =` blocks): append to the last value.
            prev = current.values.get(last_key, "")
            current.values[last_key] = f"{prev}\n{stripped}" if prev else stripped
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]") or len(stripped) < 3:
                problems.append(ConfigFileError(path, "broken section header", number,
                                                "A section header looks like [profile NAME]."))
                # Its settings are read into a throw-away section: one problem, not many.
                current, last_key = _Section("", number), None
                continue
            name = stripped[1:-1]
            if name in seen:
                problems.append(ConfigFileError(
                    path, f"section [{name}] appears twice (first on line {seen[name].line}); "
                    "the second one is ignored", number, "Merge or delete one of them."))
                current = _Section(name, number)  # read into a throw-away section
            else:
                current = _Section(name, number)
                seen[name] = current
                sections.append(current)
            last_key = None
            continue
        if current is None:
            problems.append(ConfigFileError(path, "a setting outside any section", number,
                                            "Put it under a [profile NAME] header."))
            continue
        sep = _separator(stripped)
        if sep < 1:
            problems.append(ConfigFileError(path, "a line that is not 'key = value'", number,
                                            "Fix or delete this line."))
            last_key = None
            continue
        key, value = stripped[:sep].strip().lower(), stripped[sep + 1:].strip()
        if key in current.values and seen.get(current.name) is current:
            problems.append(ConfigFileError(path, f"'{key}' is set twice in [{current.name}]; "
                                            "the last one is used", number))
        current.values[key] = value
        last_key = key
    return sections


def _separator(line: str) -> int:
    positions = [i for i in (line.find("="), line.find(":")) if i >= 0]
    return min(positions) if positions else -1


def _profile_name(section: str) -> str | None:
    """The profile a config-file section names, by botocore's rule; None if not a profile."""
    if section == "default":
        return "default"
    if section.startswith("profile"):
        try:
            parts = shlex.split(section)
        except ValueError:
            return None
        if len(parts) == 2 and parts[0] == "profile":
            return parts[1]
    return None


def _sso_session_name(section: str) -> str | None:
    if section.startswith("sso-session"):
        try:
            parts = shlex.split(section)
        except ValueError:
            return None
        if len(parts) == 2 and parts[0] == "sso-session":
            return parts[1]
    return None


def _kind(values: Mapping[str, str]) -> ProfileKind:
    # Order follows botocore's provider chain: role, SSO, static keys, process.
    if values.get("role_arn"):
        return ProfileKind.ASSUME_ROLE
    if values.get("sso_session") or values.get("sso_start_url") or values.get("sso_account_id"):
        return ProfileKind.SSO
    if values.get(KEY_ID):
        return ProfileKind.STATIC_MFA if values.get("mfa_serial") else ProfileKind.STATIC
    if values.get("credential_process"):
        ours, _ = is_gangway_process(values["credential_process"])
        return ProfileKind.PROTECTED if ours else ProfileKind.PROCESS
    return ProfileKind.NONE


def load_profiles(config_path: Path | None = None,
                  credentials_path: Path | None = None) -> ProfileSet:
    """Read both files. Never raises for a bad file: problems are in `ProfileSet.problems`."""
    default_config, default_creds = config_paths()
    config_path = config_path or default_config
    credentials_path = credentials_path or default_creds
    problems: list[ConfigFileError] = []
    config_snap, config_text = _read_text(config_path, problems)
    creds_snap, creds_text = _read_text(credentials_path, problems)

    merged: dict[str, dict[str, str]] = {}
    in_config: set[str] = set()
    in_creds: set[str] = set()
    sso_sessions: dict[str, SsoSession] = {}
    for section in parse_ini(config_path, config_text, problems):
        if (sso := _sso_session_name(section.name)) is not None:
            v = section.values
            sso_sessions[sso] = SsoSession(sso, v.get("sso_start_url", ""),
                                           v.get("sso_region", ""),
                                           v.get("sso_registration_scopes", ""))
            continue
        name = _profile_name(section.name)
        if name is None:
            if section.name.startswith("profile "):
                problems.append(ConfigFileError(
                    config_path, f"[{section.name}] is not read by the AWS tools (a name with "
                    "spaces must be quoted)", section.line,
                    'Write it as [profile "NAME"] or rename it in Gangway.'))
            continue
        # Two sections for one profile ([default] and [profile default], or a quoted and an
        # unquoted name): botocore takes the later one, in file order.
        merged[name] = dict(section.values)
        in_config.add(name)
    for section in parse_ini(credentials_path, creds_text, problems):
        merged.setdefault(section.name, {}).update(section.values)
        in_creds.add(section.name)

    profiles: list[Profile] = []
    for name, values in merged.items():
        kind = _kind(values)
        chain, error = _chain(name, merged)
        if error is None:
            error = _own_error(name, kind, values, sso_sessions)
        shown = {k: ("***" if k in SECRET_KEYS else v) for k, v in values.items()}
        profiles.append(Profile(
            name=name, kind=kind, region=values.get("region") or None,
            fields=MappingProxyType(shown), error=error, in_config=name in in_config,
            in_credentials=name in in_creds, source_chain=chain))
    env_profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    active = env_profile or ("default" if "default" in merged else None)
    return ProfileSet(
        profiles=tuple(profiles), sso_sessions=MappingProxyType(sso_sessions),
        problems=tuple(problems), config_path=config_path, credentials_path=credentials_path,
        config_snapshot=config_snap, credentials_snapshot=creds_snap, active=active,
        _by_name=MappingProxyType({p.name: p for p in profiles}),
        _secrets=MappingProxyType({
            name: {k: v for k, v in values.items() if k in SECRET_KEYS or k == KEY_ID}
            for name, values in merged.items()}))


def plain_protected(name: str) -> bool:
    """True when `name` is a protected profile whose keys are its credentials as they are
    (no MFA, no role), judged by the same parser as `load_profiles` but for this one profile.

    For the credentials helper's hot path: it skips building the whole ProfileSet. Any
    problem in either file answers False, and the caller takes the full path, which words it.
    """
    config_path, credentials_path = config_paths()
    problems: list[ConfigFileError] = []
    values: dict[str, str] = {}
    found = False
    for path, is_config in ((config_path, True), (credentials_path, False)):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            return False
        for section in parse_ini(path, text, problems):
            if (_profile_name(section.name) if is_config else section.name) == name:
                values.update(section.values)
                found = True
    if problems or not found:
        return False
    return _kind(values) is ProfileKind.PROTECTED and not values.get("mfa_serial")


def _chain(name: str, merged: Mapping[str, Mapping[str, str]]
           ) -> tuple[tuple[str, ...], str | None]:
    """Follow source_profile links; a missing or circular link is the profile's error."""
    chain: list[str] = []
    seen = {name}
    current = merged[name]
    while current.get("role_arn") and current.get("source_profile"):
        source = current["source_profile"]
        if source not in merged:
            return tuple(chain), (f"source_profile '{source}' does not exist"
                                  + (f" (via {' -> '.join(chain)})" if chain else ""))
        chain.append(source)
        if source in seen:
            # A profile may use its own static keys as source (botocore allows self-reference
            # when the profile has keys); anything else looping is circular.
            if source == name and merged[name].get(KEY_ID) and len(chain) == 1:
                return tuple(chain), None
            return tuple(chain), "circular source_profile: " + " -> ".join([name, *chain])
        seen.add(source)
        current = merged[source]
    return tuple(chain), None


def _own_error(name: str, kind: ProfileKind, values: Mapping[str, str],
               sso_sessions: Mapping[str, SsoSession]) -> str | None:
    if kind is ProfileKind.ASSUME_ROLE:
        if not values.get("source_profile") and not values.get("credential_source") \
                and not values.get("web_identity_token_file"):
            return "role_arn needs source_profile or credential_source"
        if values.get("source_profile") and values.get("credential_source"):
            return "source_profile and credential_source cannot both be set"
    if kind is ProfileKind.SSO:
        session = values.get("sso_session")
        if session and session not in sso_sessions:
            return f"sso_session '{session}' has no [sso-session {session}] section"
        if not session and not values.get("sso_start_url"):
            return "SSO profile without sso_session or sso_start_url"
        missing = [k for k in ("sso_account_id", "sso_role_name") if not values.get(k)]
        if missing:
            return "SSO profile is missing " + ", ".join(missing)
    if kind in (ProfileKind.STATIC, ProfileKind.STATIC_MFA) \
            and not values.get("aws_secret_access_key"):
        return "aws_access_key_id without aws_secret_access_key"
    return None
