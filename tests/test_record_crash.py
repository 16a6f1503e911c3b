"""SIGKILL the recorder under concurrent clients, three times: no interaction a client saw complete is lost.

The crash rounds are benchmarks/bench_recording.py's (``crash``), run small: 3 rounds of 20 mixed
clients (half streaming), killed 2 s in. Bounded: each client stops at its first error, or 30 s.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_recording", ROOT / "benchmarks" / "bench_recording.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_recording", module)
    spec.loader.exec_module(module)
    return module


def test_no_completed_interaction_is_lost_over_three_sigkills(tmp_path: Path) -> None:
    bench: object = _bench()
    totals = bench.run_crash(3, 20, 2.0, ROOT, tmp_path)  # type: ignore[attr-defined]
    assert totals["completed"] > 0  # the clients did record before each kill
    assert totals["lost"] == 0, totals
    assert totals["temp_files"] == 0, totals
