"""Profile names as the files spell them: validation, section headers, the credential_process line.

Shared by the writer (`profiles.writer`) and the edit engine (`profiles.edits`).
"""

from __future__ import annotations

import os
import re

from app.core import selfcmd
from app.core.errors import ProfileError

# Keys that belong in the credentials file; everything else goes to the config file.
CREDENTIAL_FILE_KEYS = frozenset({"aws_access_key_id", "aws_secret_access_key",
                                  "aws_session_token", "aws_security_token"})


_SAFE_NAME = re.compile(r"[A-Za-z0-9_.@+=,:/-]+")


_MAX_NAME = 128


def validate_name(name: str) -> str:
    """The profile name, or ProfileError saying why it cannot be one."""
    if not name or name != name.strip():
        raise ProfileError("A profile name cannot be empty or start/end with a space.")
    if len(name) > _MAX_NAME:
        raise ProfileError(f"A profile name can be at most {_MAX_NAME} characters.")
    if any(c in name for c in "[]\r\n\t\0") or any(ord(c) < 32 for c in name):
        raise ProfileError("A profile name cannot contain brackets, tabs or line breaks.")
    if '"' in name and "'" in name:
        raise ProfileError("A profile name cannot contain both kinds of quote.")
    return name


def quote_name(name: str) -> str:
    """A name as it must appear after `profile ` / `sso-session ` in a section header.

    botocore shlex-splits those headers, so a name with spaces or quotes is quoted.
    """
    if _SAFE_NAME.fullmatch(name):
        return name
    quote = "'" if '"' in name else '"'
    return f"{quote}{name}{quote}"


def config_section(name: str) -> str:
    """The config-file section header (without brackets) for a profile."""
    return "default" if name == "default" else f"profile {quote_name(name)}"


def credentials_section(name: str) -> str:
    return name


def credential_process_value(name: str, command: list[str] | None = None) -> str:
    """`credential_process` text that runs `gangway credentials --profile NAME`.

    botocore splits it with shlex on POSIX (and the Go/JS SDKs hand it to `sh -c`), and with
    CommandLineToArgvW rules on Windows, so it is quoted for exactly that parser.
    """
    from app.core import quoting

    argv = [*(command or selfcmd.command()), "credentials", "--profile", name]
    if os.name == "nt":
        return quoting.windows_join(argv)
    return quoting.posix_join(argv)


def sso_profile_name(account_name: str, role_name: str) -> str:
    """A readable default name for an SSO profile ("prod-ReadOnly")."""
    base = re.sub(r"[^A-Za-z0-9_.@+=,:/-]+", "-", f"{account_name}-{role_name}").strip("-")
    return base or role_name
