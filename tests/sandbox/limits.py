"""Request limits the sandbox enforces, read from the installed botocore's service models.

AWS validates these server-side; boto3 validates only some of them client-side (lengths and
ranges, not patterns), and Gangway's own SigV4 client validates none, so the sandbox must.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any


@functools.cache
def _model(service: str) -> dict[str, Any]:
    import botocore.loaders

    model: dict[str, Any] = botocore.loaders.Loader().load_service_model(service, "service-2")
    return model


@dataclass(frozen=True)
class Member:
    """One input member's constraints: min/max (length or value) and pattern."""

    name: str
    min: int | None
    max: int | None
    pattern: str | None

    def check(self, value: Any) -> str | None:
        """The AWS-style validation message when ``value`` breaks a constraint, else None."""
        field = self.name[:1].lower() + self.name[1:]
        size = value if isinstance(value, int) else len(value)
        what = "value" if isinstance(value, int) else "length"
        if self.min is not None and size < self.min:
            return (f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                    f"constraint: Member must have {what} greater than or equal to {self.min}")
        if self.max is not None and size > self.max:
            return (f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                    f"constraint: Member must have {what} less than or equal to {self.max}")
        # AWS patterns are Java regexes over the whole value: fullmatch, so "." never
        # matches a newline and "$" does not accept a trailing one.
        if self.pattern is not None and isinstance(value, str) and \
                re.fullmatch(self.pattern, value) is None:
            return (f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                    f"constraint: Member must satisfy regular expression pattern: {self.pattern}")
        return None


@functools.cache
def member(service: str, operation: str, name: str) -> Member:
    model = _model(service)
    shapes = model["shapes"]
    request = shapes[model["operations"][operation]["input"]["shape"]]
    shape = shapes[request["members"][name]["shape"]]
    return Member(name, shape.get("min"), shape.get("max"), shape.get("pattern"))
