"""First run: use an AWS config file the user already has (from a colleague, a backup, a
dotfiles repo) as this machine's config, when this machine has no profiles yet.

The picked file is read with the tolerant reader first; it is refused when it has no profile,
when it holds secret keys (those belong in the keyring: "Add access keys" puts them there),
or when the config in place already has profiles (nothing is ever overwritten). The write is
the house write: backup of what was there, atomic replace, 0600, refused if the file changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.aws.profiles.model import ProfileSet
from app.core.aws.profiles.reader import config_paths, load_profiles
from app.core.errors import ProfileError
from app.core.store import Snapshot, atomic_write

_SECRET_KEYS = ("aws_secret_access_key", "aws_session_token")


def import_config(source: Path, config: Path | None = None) -> ProfileSet:
    """Copy `source` to the config file (AWS_CONFIG_FILE or ~/.aws/config); the new set."""
    target = config or config_paths()[0]
    if source.resolve() == target.resolve():
        raise ProfileError(f"{source} is already the config file Gangway reads.")
    picked = load_profiles(source, Path(os.devnull))  # the picked file alone
    if not picked.names():
        detail = f" ({picked.problems[0].message})" if picked.problems else ""
        raise ProfileError(f"{source} has no AWS profiles{detail}.",
                           "Pick an AWS config file, with [profile NAME] sections.")
    text = source.read_text(encoding="utf-8")
    if any(key in text.lower() for key in _SECRET_KEYS):
        raise ProfileError(f"{source} holds secret access keys.",
                           "Use “Add access keys” instead: Gangway keeps keys in the OS "
                           "keyring, not in a file.")
    before = Snapshot.read(target) if target.exists() else None
    current = load_profiles(target)
    if current.names():
        raise ProfileError(f"{target} already has profiles; Gangway will not replace it.",
                           "Copy the profiles you need into it by hand, or use New profile.")
    atomic_write(target, text, expect=before)
    return load_profiles(target)
