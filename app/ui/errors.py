"""How errors are worded for people: what happened, then what to do. Never a traceback."""

from __future__ import annotations

from app.core.errors import GangwayError


def error_text(exc: BaseException) -> tuple[str, str]:
    """(message, hint) for any exception; unknown ones get a generic, honest hint."""
    if isinstance(exc, GangwayError):
        return exc.message, exc.hint
    return (f"Something unexpected went wrong ({type(exc).__name__}: {exc}).",
            "The details are in the log file (Help > Open log folder).")

