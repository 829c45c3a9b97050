"""Run every benchmark in bench/ (`make bench`); each prints Gangway beside its baseline.

    .venv/bin/python bench/run.py [NAME ...]     e.g. bench/run.py startup credentials
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def main() -> int:
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    wanted = sys.argv[1:] or names
    failed = 0
    for name in wanted:
        print(f"\n=== {name} " + "=" * max(0, 60 - len(name)), flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench_{name}")
            saved, sys.argv = sys.argv, [f"bench_{name}.py"]
            try:
                module.main()
            finally:
                sys.argv = saved
        except Exception:
            failed += 1
            traceback.print_exc()
        print(f"({name}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
