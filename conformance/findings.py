"""Explanations of the shipped adapters' non-PASS verdicts, rendered into conformance/RESULTS.md by
conformance/make_results.py. Keyed by (adapter label, "group.slug"); ("*", key) applies to every
adapter. Each says what the client does and why (with the evidence: the library's source or the
suite's minimal example), so a difference is a finding, not a mystery.
"""

from __future__ import annotations

NOTES: dict[tuple[str, str], str] = {}

SUMMARIES: dict[str, str] = {}
