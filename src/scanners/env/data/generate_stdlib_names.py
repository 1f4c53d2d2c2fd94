"""Writes stdlib-3.11.json: the standard-library and built-in module names of the running interpreter.

Run with /usr/bin/python3 (3.11) from any folder. Nothing is imported besides `sys`: the names come from
`sys.stdlib_module_names` (3.10+) and `sys.builtin_module_names`. The lists for 3.10, 3.12 and 3.13 are derived
from this one in stdlib-names.ts, from the per-version additions and removals recorded in the notes.
"""

import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if sys.version_info[:2] != (3, 11):
        raise SystemExit(f"run with Python 3.11, not {platform.python_version()}")
    data = {
        "generated-by": "src/scanners/env/data/generate_stdlib_names.py",
        "python": platform.python_version(),
        "stdlib": sorted(sys.stdlib_module_names),
        "builtin": sorted(sys.builtin_module_names),
    }
    with open(os.path.join(HERE, "stdlib-3.11.json"), "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
