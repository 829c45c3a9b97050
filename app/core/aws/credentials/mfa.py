"""MFA prompts across processes: the window answers for `gangway credentials`, or a dialog does.

`gangway credentials` runs under ssh and the session-manager-plugin, where stdin is not the
user's terminal (aws-cli issue 6218), so it never reads stdin. It asks the running window
over the single-instance socket (`{"cmd": "mfa", "profile": NAME}`; the window runs
`handle_request` in a worker, shows its dialog once however many helpers ask, and replies with
the credentials). With no window it starts a small Qt dialog in a child process. A per-profile
file lock makes concurrent helpers without a window share one dialog as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from app.core import selfcmd
from app.core.errors import (
    CancelledError,
    CredentialError,
    GangwayError,
    MfaCodeRejectedError,
    MfaRequiredError,
)
from app.core.store import exclusive

if TYPE_CHECKING:
    from app.core.aws.credentials.service import CredentialService
    from app.core.aws.credentials.types import Credentials, MfaRequest, Prompt
    from app.core.paths import Paths

IPC_COMMAND = "mfa"
IPC_TIMEOUT = 600.0  # the user may take a while to find their phone
DIALOG_MODULE = "app.ui.dialogs.mfa_prompt_cli"


def handle_request(service: CredentialService, message: dict[str, Any],
                   prompt: Prompt | None) -> dict[str, Any]:
    """The window's answer to an `mfa` IPC message (run it in a worker thread).

    Returns `{"ok": True, "credentials": <Version 1 JSON>}` or
    `{"ok": False, "error": "<one line>", "reason": "cancelled"|"rejected"|"error"}`.
    """
    name = message.get("profile")
    if not isinstance(name, str) or not name:
        return {"ok": False, "error": "no profile named in the request", "reason": "error"}
    try:
        creds = service.get(name, prompt)
    except CancelledError as exc:
        return {"ok": False, "error": exc.one_line(), "reason": "cancelled"}
    except MfaCodeRejectedError as exc:
        return {"ok": False, "error": exc.one_line(), "reason": "rejected"}
    except GangwayError as exc:
        return {"ok": False, "error": exc.one_line(), "reason": "error"}
    return {"ok": True, "credentials": creds.process_json()}


def ask_window(paths: Paths, name: str, timeout: float = IPC_TIMEOUT) -> Credentials | None:
    """Credentials from the running window, None when no window runs; raises its error."""
    from app.core import ipc
    from app.core.aws.credentials.types import Credentials

    reply = ipc.send(paths, {"cmd": IPC_COMMAND, "profile": name}, timeout)
    if reply is None:
        return None
    if reply.get("ok") and isinstance(reply.get("credentials"), dict):
        import json

        try:
            creds = Credentials.from_json(json.dumps(reply["credentials"]))
        except (ValueError, TypeError) as exc:
            raise CredentialError("The Gangway window sent credentials Gangway cannot read."
                                  ) from exc
        # Temporary credentials must carry a real expiry; long-term keys (no expiry) are
        # used for this call only, never cached (`CredentialService.remember`).
        if creds.expiration is not None and not creds.usable_temporary():
            raise CredentialError(
                "The Gangway window sent credentials with an implausible expiry "
                f"({creds.expiration or 'none'}); they were not used.",
                "Quit any Gangway window you did not start yourself, then retry.")
        return creds
    reason = reply.get("reason")
    if reason is None:
        # Not an answer of `handle_request` (which always gives a reason) but of the server
        # itself: a window that does not know the command ("unknown command 'mfa'") or speaks
        # another protocol version. The helper asks on its own, as with no window.
        return None
    error = str(reply.get("error") or "the Gangway window could not get credentials")
    if reason == "cancelled":
        raise CancelledError(error)
    if reason == "rejected":
        raise MfaCodeRejectedError(error)
    raise CredentialError(error)


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def dialog_prompt(request: MfaRequest) -> str | None:
    """A Prompt that shows the standalone Qt dialog in a child process (no stdin involved).

    The child prints the code on stdout (a pipe only we read) and exits 0, or exits 1 when
    the user cancels. Any other end (Qt could not open the display, a missing library) is
    not a cancel: MfaRequiredError with the dialog's last line on stderr.
    """
    if not has_display():
        raise MfaRequiredError(
            f"Profile '{request.profile}' needs an MFA code and there is no display to ask on.",
            "Open the Gangway window first, or refresh the credentials from a desktop session.")
    argv = [*selfcmd.module_command(DIALOG_MODULE, "mfa-prompt"), "--profile", request.profile,
            "--serial", request.serial, "--attempt", str(request.attempt)]
    if request.role_arn:
        argv += ["--role", request.role_arn]
    if request.error:
        argv += ["--error", request.error]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=IPC_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MfaRequiredError(f"The MFA dialog could not be shown ({exc}).") from exc
    if done.returncode == 1:
        return None
    if done.returncode != 0:
        raise MfaRequiredError(f"The MFA dialog could not be shown ({_why(done)}).",
                               "Open the Gangway window first, or check that this desktop "
                               "session can show Qt windows.")
    return done.stdout.strip() or None


def _why(done: subprocess.CompletedProcess[str]) -> str:
    """One line saying why the dialog child failed: a traceback's last line, else Qt's
    first complaint ("could not connect to display :0"), else the exit status."""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {done.returncode}"
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


@contextlib.contextmanager
def profile_lock(paths: Paths, name: str) -> Iterator[None]:
    """Serialise helpers for one profile across processes (one dialog, not one per helper)."""
    from app.core.paths import private_dir

    private_dir(paths.runtime_dir)
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    with exclusive(paths.runtime_dir / f"credentials-{digest}.lock"):
        yield
