"""The hostile-input campaign at a bigger size, with the number of inputs each part ran.

    python benchmarks/bench_hostile.py [--examples 1000]

Runs tests/test_hostile_campaign.py with ``MOCKCLAUDE_CAMPAIGN_EXAMPLES`` Hypothesis examples per
property (bodies mutated at every level, fields from the published /_mockclaude/openapi.json,
adversarial headers, raw bodies) plus every raw-socket abuse case, and prints the counts. Any 5xx,
hang (no answer and no close within 15-30 s) or unanswered good request afterwards fails it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=1000)
    args = ap.parse_args()
    report = Path(tempfile.mkdtemp(prefix="mockclaude-hostile-")) / "counts.json"
    env = dict(os.environ, MOCKCLAUDE_CAMPAIGN_EXAMPLES=str(args.examples), MOCKCLAUDE_CAMPAIGN_REPORT=str(report))
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly",
                          str(ROOT / "tests" / "test_hostile_campaign.py")], cwd=ROOT, env=env)
    counts = json.loads(report.read_text()) if report.exists() else {}
    print(f"inputs sent: {counts} (total {sum(counts.values())}); pytest exit status {rc}")
    sys.exit(rc)


if __name__ == "__main__":
    main()
