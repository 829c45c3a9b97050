"""Print line and branch coverage for app/ and app/core from coverage.py's JSON report.

`make test` runs it before `coverage report`; the total's fail-under threshold is coverage.py's
(`[tool.coverage.report] fail_under` in pyproject.toml). Branch coverage has its own floors
here (the goals of issue 14): under them, the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BRANCH_FLOORS = {"app/": 75.0, "app/core/": 85.0}  # per cent of branches taken


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[1] if len(argv) > 1 else "build/coverage.json").read_text())
    status = 0
    for prefix, floor in BRANCH_FLOORS.items():
        lines = covered = branches = taken = 0
        under: list[tuple[float, str]] = []
        for name, data in report["files"].items():
            if not name.startswith(prefix):
                continue
            s = data["summary"]
            lines += s["num_statements"]
            covered += s["covered_lines"]
            branches += s["num_branches"]
            taken += s["covered_branches"]
            if prefix == "app/" and s["percent_covered"] < 70:
                under.append((s["percent_covered"], name))
        print(f"{prefix:<10} lines {100 * covered / max(lines, 1):5.1f}%  "
              f"branches {100 * taken / max(branches, 1):5.1f}%  ({lines} lines, "
              f"{branches} branches)")
        if under:
            print("  under 70%: " + ", ".join(f"{n} {p:.0f}%" for p, n in sorted(under)))
        if 100 * taken / max(branches, 1) < floor:
            print(f"  branch coverage of {prefix} is under its floor of {floor:.0f}%")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
