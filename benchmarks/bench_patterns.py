"""Strings for JSON Schema `pattern`: mockclaude's regex walk beside rstr and exrex, when installed.

    python benchmarks/bench_patterns.py          # pip install rstr exrex to compare (not dependencies)

Counts, over a set of patterns tool and output schemas use, how many strings match, how many are the
same on a second call (the double must be deterministic), and the time a call takes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from mockclaude.responders.regex_gen import string_for_pattern

PATTERNS = [r"^[A-Z]{3}-\d{4}$", r"^\S+@\S+\.\S+$", r"^#[0-9a-fA-F]{6}$", r"^(foo|bar)+$", r"\d", r"^[a-z_]+$",
            r"^\+?[1-9]\d{1,14}$", r"^v\d+\.\d+\.\d+(-[a-z]+)?$", r"^[^\s]{2,}$", r"^(?:[01]\d|2[0-3]):[0-5]\d$",
            r"^(a|b)\1$", r"^[^a0Ab1x]$", r"(?i)^abc$", r"^\w{5,}$", r"^(?!x)[a-z]+$", r"^[\u4e00-\u9fff]+$",
            r"^[a-zA-Z0-9_-]{1,128}$", r"^srvtoolu_[a-zA-Z0-9_]+$", r"^\d{4}-\d{2}-\d{2}$",
            r"^https?://[^\s/$.?#].[^\s]*$"]


def ours(pattern: str) -> str | None:
    string_for_pattern.cache_clear()  # time the walk, not the cache
    return string_for_pattern(pattern)


def measure(name: str, fn: Callable[[str], str | None]) -> None:
    valid = same = 0
    start = time.perf_counter()
    for pattern in PATTERNS:
        try:
            a, b = fn(pattern), fn(pattern)
        except Exception:
            continue
        valid += a is not None and re.search(pattern, a) is not None
        same += a == b
    per_call = (time.perf_counter() - start) / (2 * len(PATTERNS)) * 1e6
    print(f"{name:24s} valid {valid}/{len(PATTERNS)}  deterministic {same}/{len(PATTERNS)}  {per_call:8.1f} µs/call")


def main() -> None:
    measure("mockclaude regex_gen", ours)
    try:
        import rstr  # type: ignore[import-not-found]

        measure("rstr.xeger", rstr.xeger)
    except ImportError:
        print("rstr: not installed")
    try:
        import exrex  # type: ignore[import-not-found]

        measure("exrex.getone", exrex.getone)
        measure("exrex.generate (first)", lambda p: next(exrex.generate(p, limit=20)))
    except ImportError:
        print("exrex: not installed")


if __name__ == "__main__":
    main()
