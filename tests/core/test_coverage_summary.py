"""scripts/coverage_summary.py: what `make test` prints, and its branch floors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _file(lines: int, covered: int, branches: int, taken: int) -> dict[str, object]:
    return {"summary": {"num_statements": lines, "covered_lines": covered,
                        "num_branches": branches, "covered_branches": taken,
                        "percent_covered": 100 * (covered + taken) / (lines + branches)}}


def _run(tmp_path: Path, files: dict[str, object]) -> subprocess.CompletedProcess[str]:
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"files": files}))
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "coverage_summary.py"),
                           str(report)], capture_output=True, text=True, check=False)


def test_prints_lines_and_branches_and_passes_above_the_floors(tmp_path: Path) -> None:
    done = _run(tmp_path, {"app/core/a.py": _file(100, 95, 20, 18),
                           "app/ui/b.py": _file(100, 50, 20, 17)})
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines() == [
        "app/       lines  72.5%  branches  87.5%  (200 lines, 40 branches)",
        "  under 70%: app/ui/b.py 56%",
        "app/core/  lines  95.0%  branches  90.0%  (100 lines, 20 branches)",
    ]


def test_fails_when_core_branches_fall_under_85(tmp_path: Path) -> None:
    done = _run(tmp_path, {"app/core/a.py": _file(100, 100, 20, 16),
                           "app/ui/b.py": _file(100, 100, 20, 20)})
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "app/       lines 100.0%  branches  90.0%  (200 lines, 40 branches)",
        "app/core/  lines 100.0%  branches  80.0%  (100 lines, 20 branches)",
        "  branch coverage of app/core/ is under its floor of 85%",
    ]
