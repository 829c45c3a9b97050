"""ProxyCommand helper: ``python proxy_helper.py ARGS.json`` execs the argv stored in the file.

ssh runs ProxyCommand through a shell; keeping the real argv in a JSON file means that shell only
ever sees two fixed paths, never text derived from instance names or AWS responses.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        argv: list[str] = json.load(f)["argv"]
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
