#!/usr/bin/python3
"""Records what Debian's bandit 1.6.2 reports on bandit's own examples, for test/parity/bandit.test.ts.

Run from anywhere: it runs bandit from the repository root over ../shared/corpora/bandit-examples with the
default profile, and keeps only (file relative to the corpus, test id, line), sorted, so the committed file
changes only when bandit's verdicts do.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = "../shared/corpora/bandit-examples"
OUTPUT = REPO_ROOT / "test" / "parity" / "bandit-1.6.2.json"
EXPECTED_VERSION = "bandit 1.6.2"


def main() -> None:
    version = subprocess.run(["bandit", "--version"], capture_output=True, text=True, check=True).stdout
    if not version.startswith(EXPECTED_VERSION):
        sys.exit(f"expected {EXPECTED_VERSION}, found {version.splitlines()[0]}")
    # bandit exits 1 when it finds issues, which is the point here; judge success by the JSON instead.
    run = subprocess.run(
        ["bandit", "-r", CORPUS, "-f", "json", "-q"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    report = json.loads(run.stdout)
    # bandit 1.6.2 cannot parse a few examples (deliberate nonsense, newer syntax); they yield no expectations.
    for error in report["errors"]:
        print(f"bandit skipped {error['filename']}: {error['reason']}", file=sys.stderr)
    prefix = CORPUS + "/"
    expectations = sorted(
        (
            {
                "filename": result["filename"].removeprefix(prefix),
                "test_id": result["test_id"],
                "line_number": result["line_number"],
            }
            for result in report["results"]
        ),
        key=lambda item: (item["filename"], item["line_number"], item["test_id"]),
    )
    OUTPUT.write_text(json.dumps(expectations, indent=2) + "\n")
    print(f"wrote {len(expectations)} expectations to {OUTPUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
