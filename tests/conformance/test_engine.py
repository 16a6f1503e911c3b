"""The engine itself: the adapter protocol's failure modes, skipping, determinism, reports."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import pytest

from mockclaude.cli import main
from mockclaude.conformance import CASES, PythonClient, run, run_suite, select
from mockclaude.conformance.wire import _targets, split_at

HERE = os.path.dirname(__file__)
BROKEN = os.path.join(HERE, "broken.py")
REFERENCE = os.path.join(HERE, "..", "..", "conformance", "adapters", "httpx_raw.py")
FAST = ["--max-examples", "3", "--shrink-runs", "5"]


def test_cases_are_numbered_grouped_and_described() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 50
    assert {c.group for c in CASES} == {"sse", "stream", "tools", "thinking", "retry", "errors", "usage", "request"}
    for c in CASES:
        assert re.fullmatch(r"[a-z]+\.\d+", c.id)
        assert c.level in ("MUST", "SHOULD", "INFO") and c.requirement.endswith(".") and c.source
    assert [c.id for c in select("retry.2,sse.*")][:2] == ["sse.1", "sse.2"]
    assert select("tools.parallel")[0].slug == "parallel"


def test_split_at_and_targets() -> None:
    raw = "a€\r\n\n".encode()
    t = _targets(raw)
    assert t["utf8"] == [2, 3] and t["crlf"] == [5] and t["separator"] == [6]
    assert split_at(raw, [2, 5]) == [b"a\xe2", b"\x82\xac\r", b"\n\n"]


def test_reference_adapter_process_passes_every_case(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """The reference adapter, through the JSON-lines path, over every case; reports are written."""
    rc = main(["conformance", "--client", f"{sys.executable} {REFERENCE}", "--label", "httpx_raw",
               "--report", str(tmp_path), *FAST])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(r"^\d+ passed, 0 failed, 0 skipped", out, re.M)
    for group in ("sse", "stream", "tools", "thinking", "retry", "errors", "usage", "request"):
        assert re.search(rf"^httpx_raw  {group}\.\*", out, re.M)
    page = (tmp_path / "index.html").read_text()
    assert "http://" not in page.replace("http://127.0.0.1", "") or "<script src" not in page
    assert "<link" not in page and "<script" not in page  # one self-contained file
    assert 'href="#e0-sse.1"' in page
    junit = (tmp_path / "junit.xml").read_text()
    assert f'tests="{len(CASES)}"' in junit
    one = json.loads((tmp_path / "json" / "httpx_raw" / "sse.1.json").read_text())
    assert one["verdict"] == "PASS" and one["requirement"] and one["seed"] == 0


def test_same_seed_same_minimal_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """A failure reproduces with its printed command: same seed, same minimal example."""
    args = ["conformance", "--client-python", f"{BROKEN}:utf8_per_chunk", "--cases", "sse.2", "--seed", "7", *FAST]
    assert main(args) == 1
    first = capsys.readouterr().out
    command = re.search(r"reproduce: (mockclaude conformance .*)", first).group(1)  # type: ignore[union-attr]
    assert "--case sse.2 --seed 7" in command
    assert main(command.split()[1:]) == 1
    second = capsys.readouterr().out

    def minimal(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.strip().startswith(("minimal example", "reply", "bytes", "problem"))]

    assert minimal(first) == minimal(second) and minimal(first)


def test_garbage_and_hangs_are_reported_never_hung(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["conformance", "--client", f"{sys.executable} {BROKEN} garbage", "--cases", "request.1", *FAST])
    out = capsys.readouterr().out
    assert rc == 1 and "garbage: not a JSON line: 'this is not json'" in out
    rc = main(["conformance", "--client", f"{sys.executable} {BROKEN} hang", "--cases", "sse.1", "--timeout", "1.5",
               "--max-examples", "1", "--shrink-runs", "0"])
    out = capsys.readouterr().out
    assert rc == 1 and "timeout: no answer within" in out


def test_declared_capabilities_skip_cases(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["conformance", "--client", f"{sys.executable} {BROKEN} no-stream", "--cases", "sse.1,stream.7", *FAST])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(r"^1 passed, 0 failed, 1 skipped", out, re.M)


def test_in_process_callable_and_exceptions() -> None:
    def raises(case: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    [r] = run(raises, cases="request.1", max_examples=1)
    assert r.verdict == "FAIL" and "the callable raised RuntimeError: boom" in r.problems[0]
    [r] = run_suite(select("stream.2"), [PythonClient(lambda case: {"id": case["id"], "ok": True, "message": {}})], max_examples=2)
    assert r.verdict == "FAIL"


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance"]) == 2
    assert main(["conformance", "--client", "x", "--cases", "nothing.*"]) == 2
    assert main(["conformance", "--client-python", "no_such_module_xyz:f"]) == 2
    assert main(["conformance", "--list"]) == 0
    assert "sse.1" in capsys.readouterr().out
