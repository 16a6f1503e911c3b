"""The suite catches real client bugs: every broken variant of the reference client FAILs at least
one MUST case, with exit status 1, while the reference passes the same cases.

In-process (``--client-python``) for speed; a few through the JSON-lines subprocess path.
Reduced example counts: CI speed, not coverage, is the concern here.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from mockclaude.cli import main

HERE = os.path.dirname(__file__)
BROKEN = os.path.join(HERE, "broken.py")
FAST = ["--max-examples", "4", "--shrink-runs", "8"]

# variant -> (the cases it is run against, a MUST case it must FAIL)
CATCHES = {
    "splits_per_chunk": ("sse.6", "sse.6"),
    "utf8_per_chunk": ("sse.2", "sse.2"),
    "lf_only": ("sse.3,sse.4", "sse.4"),
    "needs_data_space": ("sse.10", "sse.10"),
    "crashes_on_unknown": ("sse.7,sse.9", "sse.9"),
    "ignores_input_json": ("tools.1", "tools.1"),
    "error_event_as_success": ("errors.1", "errors.1"),
    "usage_from_start": ("usage.1", "usage.1"),
    "sums_usage": ("usage.1", "usage.1"),
    "drops_redacted": ("thinking.3", "thinking.3"),
    "ignores_retry_after": ("retry.2", "retry.2"),
    "retries_400": ("retry.6", "retry.6"),
    "no_retry_529": ("retry.1", "retry.1"),
    "ignores_should_retry": ("retry.4", "retry.4"),
    "drops_thinking_in_loop": ("thinking.2", "thinking.2"),
    "wrong_tool_ids": ("tools.4", "tools.4"),
    "first_tool_only": ("tools.5", "tools.5"),
    "results_in_separate_turns": ("tools.6", "tools.6"),
    "one_round_only": ("tools.7", "tools.7"),
    "stitches_after_cut": ("retry.9", "retry.9"),
    "cut_is_success": ("stream.8", "stream.8"),
    "drops_error_status": ("errors.4", "errors.4"),
}


def failed_cases(text: str) -> set[str]:
    return set(re.findall(r"^FAIL (\S+) ", text, re.M))


@pytest.mark.parametrize("name", sorted(CATCHES))
def test_broken_variant_fails_a_must_case(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    cases, must = CATCHES[name]
    rc = main(["conformance", "--client-python", f"{BROKEN}:{name}", "--cases", cases, *FAST])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert must in failed_cases(out), out
    assert "reproduce: mockclaude conformance --client-python" in out
    assert re.search(r"^\d+ passed, [1-9]\d* failed, 0 skipped", out, re.M), out


def test_reference_passes_the_cases_that_catch_them(capsys: pytest.CaptureFixture[str]) -> None:
    cases = ",".join(sorted({c for v in CATCHES.values() for c in v[0].split(",")}))
    rc = main(["conformance", "--client-python", f"{BROKEN}:reference", "--cases", cases, *FAST])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert not failed_cases(out)


@pytest.mark.parametrize("name,cases,must", [
    ("exits_on_unknown", "sse.7", "sse.7"),
    ("no_retry_529", "retry.1", "retry.1"),
])
def test_broken_adapter_process(name: str, cases: str, must: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["conformance", "--client", f"{sys.executable} {BROKEN} {name}", "--cases", cases, *FAST])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert must in failed_cases(out), out
    if name == "exits_on_unknown":
        assert "crash" in out and "unexpected event" in out  # its exit and its stderr are evidence
