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


_MFA_WHY = "an MFA device is an ARN like arn:aws:iam::123456789012:mfa/me."
_REGION_WHY = "not a region name (like eu-west-1)."


class _Form:
    """The values being built, and the one way each is taken from `given` and checked."""

    def __init__(self, kind: str, given: Mapping[str, Any]) -> None:
        self.kind, self.given = kind, given
        self.config: Values = {}
        self.creds: Values = {}

    def take(self, key: str, pattern: re.Pattern[str] | None = None, why: str = "", *,
             required: bool = False, as_key: str | None = None, creds: bool = False) -> None:
        value = str(self.given.get(key) or "").strip()
        flag = "--" + key.replace("_", "-")
        if not value:
            if required:
                raise ProfileError(f"{flag} is required for a {self.kind} profile.")
            return
        if pattern is not None and not pattern.fullmatch(value):
            raise ProfileError(f"{flag}: {why}")
        (self.creds if creds else self.config)[as_key or key] = value


def values_for(kind: str, given: Mapping[str, Any],
               secret: Callable[[], str] | None = None) -> tuple[Values, Values]:
    """(config keys, credentials keys) for a new profile of `kind` (static, role, sso,
    process) from option-style names (`role_arn`, `sso_account_id`, ...); ProfileError
    naming the first value that is missing or malformed. `secret` supplies the secret key."""
    def static(form: _Form) -> None:
        _static(form, secret)

    def process(form: _Form) -> None:
        form.take("credential_process", required=True)

    builders: dict[str, Callable[[_Form], None]] = {
        "static": static, "role": _role, "sso": _sso, "process": process}
    build = builders.get(kind)
    if build is None:
        raise ProfileError(f"Unknown profile kind {kind!r}.")
    form = _Form(kind, given)
    form.take("region", REGION, _REGION_WHY)
    build(form)
    return form.config, form.creds


def _static(form: _Form, secret: Callable[[], str] | None) -> None:
    form.take("access_key_id", KEY_ID, "not an access key id (like AKIA...).", required=True,
              as_key="aws_access_key_id", creds=True)
    value = secret() if secret is not None else ""
    if not value or any(c.isspace() for c in value):
        raise ProfileError("The secret access key is missing or has spaces in it.",
                           "Pipe it on stdin, or type it when asked.")
    form.creds["aws_secret_access_key"] = value
    form.take("mfa_serial", MFA, _MFA_WHY)


def _role(form: _Form) -> None:
    form.take("role_arn", ROLE, "a role ARN looks like arn:aws:iam::123456789012:role/Name.",
              required=True)
    form.take("source_profile")
    form.take("credential_source")
    if ("source_profile" in form.config) == ("credential_source" in form.config):
        raise ProfileError("A role needs exactly one of --source-profile and "
                           "--credential-source.")
    form.take("mfa_serial", MFA, _MFA_WHY)
    form.take("external_id", EXTERNAL_ID, "2 to 1224 letters, digits or +=,.@:/-.")
    duration = form.given.get("duration_seconds")
    if duration is not None:
        if int(duration) < 900:
            raise ProfileError("--duration-seconds: at least 900 seconds (15 minutes).")
        form.config["duration_seconds"] = str(int(duration))


def _sso(form: _Form) -> None:
    form.take("sso_session")
    if "sso_session" not in form.config:
        url = str(form.given.get("sso_start_url") or "").strip()
        if not url.startswith("https://") or any(c.isspace() for c in url):
            raise ProfileError("--sso-start-url (begins with https://) or --sso-session "
                               "is required for an sso profile.")
        form.config["sso_start_url"] = url
        form.take("sso_region", REGION, _REGION_WHY, required=True)
    form.take("sso_account_id", ACCOUNT, "an account id is 12 digits.", required=True)
    form.take("sso_role_name", required=True)
