"""What the user chose for ssh to an instance, remembered per instance and per profile.

Stored in `<data_dir>/ssh_options.json` (0600, via JsonStore). An instance's own choice wins;
otherwise the last choice made for any instance of that profile is the default. Extra options
are validated here: they are split like a shell would (shlex) and anything that would make ssh
run a local command (ProxyCommand, LocalCommand, ...) is refused, because those would run on
this machine with the user's rights.

No Qt here, so the rules are testable and reusable by the dialog and the launcher.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.core.ssh.argv import (
    FORBIDDEN_OPTIONS,
    SshArgumentError,
    SshOptions,
    check_option,
    check_port,
    check_user,
)
from app.core.store import JsonStore

_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def parse_extra_options(text: str) -> tuple[str, ...]:
    """`-o Key=Value -oKey=Value Key=Value` -> ("Key=Value", ...), or SshArgumentError."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise SshArgumentError(f"The extra ssh options cannot be read: {exc}.",
                               "Check the quotes.") from exc
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-o":
            if i + 1 >= len(words):
                raise SshArgumentError("-o needs an option after it.",
                                       "Write e.g. -o ServerAliveInterval=30.")
            word = words[i + 1]
            i += 1
        elif word.startswith("-o"):
            word = word[2:]
        elif word.startswith("-"):
            raise SshArgumentError(
                f"{word!r} is not accepted here; only ssh options (-o Key=Value) are.",
                "Use the fields above for user, key and port.")
        opt = check_option(word)  # refuses the FORBIDDEN_OPTIONS too; checked again here
        key = re.split(r"[\s=]", opt, maxsplit=1)[0]  # in case core's list ever shrinks
        if not _KEY_RE.fullmatch(key) or key.lower() in FORBIDDEN_OPTIONS:
            raise SshArgumentError(
                f"The ssh option {key} is not allowed here: it could run a program on this "
                "computer or replace Gangway's Session Manager proxy.",
                "Remove it, or put it in your own ~/.ssh/config if you really need it.")
        out.append(opt)
        i += 1
    return tuple(out)


@dataclass(frozen=True)
class SshPrefs:
    """The dialog's fields. `identity_file` "" with `use_agent` means the ssh-agent."""

    user: str = ""
    identity_file: str = ""
    use_agent: bool = True
    port: int = 22
    extra: str = ""  # as typed; parsed by parse_extra_options
    remote_command: tuple[str, ...] = field(default=())  # not stored: per launch

    def validate(self) -> SshOptions:
        """The core SshOptions, or SshArgumentError naming the bad field."""
        user = self.user.strip()
        if user:
            check_user(user)
        check_port(self.port)
        key = "" if self.use_agent else self.identity_file.strip()
        if not self.use_agent and not key:
            raise SshArgumentError("No key file chosen.",
                                   "Choose a key file, or tick \"Use ssh-agent\".")
        if key and not Path(key).expanduser().is_file():
            raise SshArgumentError(f"The key file {key} does not exist.",
                                   "Choose an existing private key file.")
        return SshOptions(user=user or None,
                          identity_file=str(Path(key).expanduser()) if key else None,
                          port=int(self.port), extra_options=parse_extra_options(self.extra),
                          identities_only=bool(key))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("remote_command")
        return d

    @classmethod
    def from_json(cls, raw: object) -> SshPrefs:
        if not isinstance(raw, dict):
            return cls()
        try:
            port = int(raw.get("port", 22))
        except (TypeError, ValueError):
            port = 22
        return cls(user=str(raw.get("user", "")), identity_file=str(raw.get("identity_file", "")),
                   use_agent=bool(raw.get("use_agent", True)), port=port,
                   extra=str(raw.get("extra", "")))


class SshPrefsStore:
    """Per-instance choices, with the profile's last choice as the default."""

    def __init__(self, data_dir: Path) -> None:
        self.store = JsonStore(data_dir / "ssh_options.json")

    @staticmethod
    def instance_key(profile: str, region: str, instance_id: str) -> str:
        return f"{profile}\x1f{region}\x1f{instance_id}"

    def get(self, profile: str, region: str, instance_id: str) -> SshPrefs:
        doc = self.store.load()
        instances = doc.get("instances", {})
        profiles = doc.get("profiles", {})
        key = self.instance_key(profile, region, instance_id)
        if isinstance(instances, dict) and key in instances:
            return SshPrefs.from_json(instances[key])
        if isinstance(profiles, dict) and profile in profiles:
            return SshPrefs.from_json(profiles[profile])
        return SshPrefs()

    def put(self, profile: str, region: str, instance_id: str, prefs: SshPrefs) -> None:
        doc = self.store.load()
        instances = doc.get("instances")
        profiles = doc.get("profiles")
        instances = instances if isinstance(instances, dict) else {}
        profiles = profiles if isinstance(profiles, dict) else {}
        instances[self.instance_key(profile, region, instance_id)] = prefs.to_json()
        profiles[profile] = prefs.to_json()
        self.store.save({**doc, "instances": instances, "profiles": profiles})
