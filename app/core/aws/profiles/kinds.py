"""What a profile of each kind writes, and the shapes its values must have.

The profile editor checks its fields with these patterns; `gangway profiles add` builds the
same keys with `values_for`, so a profile made either way is the same profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from app.core.errors import ProfileError

REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
KEY_ID = re.compile(r"(AKIA|ASIA|[A-Z0-9]{4})[A-Z0-9]{12,124}")
MFA = re.compile(r"arn:aws[\w-]*:iam::\d{12}:mfa/[\w+=,.@/-]+|[\w+=/:,.@-]{9,256}")
ROLE = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
ACCOUNT = re.compile(r"\d{12}")

Values = dict[str, str]


def values_for(kind: str, given: Mapping[str, Any],
               secret: Callable[[], str] | None = None) -> tuple[Values, Values]:
    """(config keys, credentials keys) for a new profile of `kind` (static, role, sso,
    process) from option-style names (`role_arn`, `sso_account_id`, ...); ProfileError
    naming the first value that is missing or malformed. `secret` supplies the secret key."""
    config: Values = {}
    creds: Values = {}

    def take(key: str, pattern: re.Pattern[str] | None, why: str, *, required: bool = False,
             into: Values = config) -> None:
        value = str(given.get(key) or "").strip()
        if not value:
            if required:
                raise ProfileError(f"--{key.replace('_', '-')} is required for a {kind} "
                                   "profile.")
            return
        if pattern is not None and not pattern.fullmatch(value):
            raise ProfileError(f"--{key.replace('_', '-')}: {why}")
        into[key] = value

    take("region", REGION, "not a region name (like eu-west-1).")
    if kind == "static":
        take("access_key_id", KEY_ID, "not an access key id (like AKIA...).", required=True,
             into=creds)
        creds["aws_access_key_id"] = creds.pop("access_key_id")
        value = secret() if secret is not None else ""
        if not value or any(c.isspace() for c in value):
            raise ProfileError("The secret access key is missing or has spaces in it.",
                               "Pipe it on stdin, or type it when asked.")
        creds["aws_secret_access_key"] = value
        take("mfa_serial", MFA, "an MFA device is an ARN like arn:aws:iam::123456789012:mfa/me.")
    elif kind == "role":
        take("role_arn", ROLE, "a role ARN looks like arn:aws:iam::123456789012:role/Name.",
             required=True)
        take("source_profile", None, "")
        take("credential_source", None, "")
        if ("source_profile" in config) == ("credential_source" in config):
            raise ProfileError("A role needs exactly one of --source-profile and "
                               "--credential-source.")
        take("mfa_serial", MFA, "an MFA device is an ARN like arn:aws:iam::123456789012:mfa/me.")
        take("external_id", EXTERNAL_ID, "2 to 1224 letters, digits or +=,.@:/-.")
        duration = given.get("duration_seconds")
        if duration is not None:
            if int(duration) < 900:
                raise ProfileError("--duration-seconds: at least 900 seconds (15 minutes).")
            config["duration_seconds"] = str(int(duration))
    elif kind == "sso":
        take("sso_session", None, "")
        if "sso_session" not in config:
            url = str(given.get("sso_start_url") or "").strip()
            if not url.startswith("https://") or any(c.isspace() for c in url):
                raise ProfileError("--sso-start-url (begins with https://) or --sso-session "
                                   "is required for an sso profile.")
            config["sso_start_url"] = url
            take("sso_region", REGION, "not a region name (like eu-west-1).", required=True)
        take("sso_account_id", ACCOUNT, "an account id is 12 digits.", required=True)
        take("sso_role_name", None, "", required=True)
    elif kind == "process":
        take("credential_process", None, "", required=True)
    else:
        raise ProfileError(f"Unknown profile kind {kind!r}.")
    return config, creds
