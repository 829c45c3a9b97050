"""Plain-text tables for the CLI, safe for hostile cell text (control characters escaped)."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.display import printable as clean


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60,
    *, last_in_full: bool = False,
) -> str:
    """Columns cut at `max_width`; `last_in_full` keeps the last one whole (a reason with
    what to do about it, where nothing comes after it to align)."""
    cells = [[clean(c) for c in row] for row in rows]
    keep = len(headers) - 1 if last_in_full else -1
    for row in cells:
        for i, c in enumerate(row):
            if len(c) > max_width and i != keep:
                row[i] = c[: max_width - 1] + "…"
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    for row in cells:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)
