"""Typed errors: core raises them with a message and a hint; the UI and CLI word them.

Every error a user can cause or fix (bad files, wrong MFA code, expired keys, a port in use,
a missing plugin, a dead network) is a `GangwayError` subclass, never a bare traceback.
"""

from __future__ import annotations

from pathlib import Path


class GangwayError(Exception):
    """An error the user can understand: what happened (`message`) and what to do (`hint`)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message

    def one_line(self) -> str:
        """The form the CLI prints on stderr: one line, control characters escaped."""
        from app.core.display import one_line

        return one_line(str(self))


class ConfigFileError(GangwayError):
    """A file we read is malformed: names the file and, where known, the line."""

    def __init__(self, path: Path, message: str, line: int | None = None, hint: str = "") -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}", hint)
        self.path = path
        self.line = line


class FileTooLargeError(ConfigFileError):
    """A file is far larger than any real one of its kind; it is not read at all."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(path, f"is {size / 1e6:.1f} MB, more than the {limit // (1024 * 1024)} "
                         "MB Gangway reads; it was not read", None,
                         "Check what wrote to it; a real one is a few kilobytes.")
        self.size = size


class FileChangedError(GangwayError):
    """A file changed on disk since we read it; writing now would lose the other change."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} was changed by another program since Gangway read it.",
            "Reload it and make your change again; nothing was written.",
        )
        self.path = path


class ReadOnlyFileError(GangwayError):
    """A file we would replace is read-only: the user asked for it to be left alone."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is read-only; Gangway did not change it.",
                         "Make it writable (chmod u+w) if Gangway should edit it.")
        self.path = path


class UnwritableDirError(GangwayError):
    """The directory a file lives in does not let us create files (temp file, backup)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"Gangway cannot write in {path}; nothing was changed.",
                         "Check the folder's owner and permissions.")
        self.path = path


class InsecurePathError(GangwayError):
    """A directory or socket we would use is not private to this user."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} {why}, so Gangway will not use it.",
                         "Another user may have created it. Remove it (or make it yours with "
                         "mode 700), then retry.")
        self.path = path


class ProfileError(GangwayError):
    """A profile cannot be used (missing or circular source_profile, unknown kind, ...)."""


class ProfileNotFoundError(ProfileError):
    """No profile of that name in ~/.aws/config or ~/.aws/credentials."""

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"Profile '{name}' was not found.",
                         hint or "Check the name with `gangway profiles`, or in ~/.aws/config.")
        self.name = name


class CredentialError(GangwayError):
    """Credentials are missing, rejected, or expired."""


class MfaRequiredError(CredentialError):
    """A profile needs an MFA code before it can be used."""


class MfaCodeRejectedError(CredentialError):
    """AWS rejected the MFA code; the user may retry."""


class SsoLoginRequiredError(CredentialError):
    """The SSO token is missing or expired; the user must log in again."""


class CancelledError(GangwayError):
    """The user cancelled (an MFA prompt, a login)."""

    def __init__(self, message: str = "Cancelled.", hint: str = "") -> None:
        super().__init__(message, hint)


class AwsError(GangwayError):
    """An AWS API call failed; `code` is the AWS error code when there was one."""

    def __init__(self, message: str, hint: str = "", code: str = "") -> None:
        super().__init__(message, hint)
        self.code = code


class NetworkError(GangwayError):
    """AWS could not be reached at all."""


class KeyringUnavailableError(GangwayError):
    """No real OS keyring backend: secrets are kept in memory only."""


class PluginNotFoundError(GangwayError):
    """session-manager-plugin is missing or too old."""


class PortInUseError(GangwayError):
    """A local port is already taken."""
