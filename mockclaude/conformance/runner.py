"""Running cases against a client: Hypothesis generates examples, failures are shrunk, verdicts given.

Determinism: each case's examples come from ``seed`` and the case id alone (``@seed``, no example
database), so the same seed gives the same examples, the same minimal failure and the same verdict
(for a client that behaves the same way twice).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hseed
from hypothesis.errors import Flaky, HypothesisException

from .cases import Case
from .checks import Outcome
from .clients import Client, ClientFailure
from .examples import Example
from .serving import CaseServer

__all__ = ["CaseResult", "Verdict", "run_case", "run_suite"]

DEFAULT_EXAMPLES = 12
SHRINK_BUDGET = 100  # client runs spent shrinking a failure (a count, not a time: reproducible)


class Verdict:
    PASS, NON_STRICT, INFO, FAIL, SKIPPED = "PASS", "NON-STRICT", "INFO", "FAIL", "SKIPPED"


@dataclass
class CaseResult:
    case: Case
    client: str
    verdict: str
    examples: int = 0
    seed: int = 0
    problems: list[str] = field(default_factory=list)
    minimal: dict[str, Any] | None = None  # the example and its evidence
    elapsed: float = 0.0
    note: str = ""

    def to_json(self, reproduce: str = "") -> dict[str, Any]:
        return {**self.case.meta(), "client": self.client, "verdict": self.verdict, "examples": self.examples,
                "seed": self.seed, "problems": self.problems, "minimal_example": self.minimal, "elapsed_s": round(self.elapsed, 3),
                "note": self.note, "reproduce": reproduce}


class _Failed(Exception):
    pass


class _BudgetSpent(BaseException):
    """Ends Hypothesis's shrinking once the budget of client runs is spent (a BaseException, so
    Hypothesis lets it through); every failing candidate it tried was smaller than the one
    before, so the last failure seen is the smallest found."""


def _case_seed(seed: int, case_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{case_id}".encode()).digest()[:8], "big")


def _timeout(ex: Example, base: float = 15.0) -> float:
    waits = 0.0
    for r in ex.replies:
        for k in ("retry-after-ms", "retry-after"):
            if k in r.headers:
                waits += float(r.headers[k]) / (1000 if k.endswith("ms") else 1)
                break
        else:
            waits += 1.0 if r.status != 200 else 0.0  # client back-off without headers
        if r.stall:
            waits += r.stall[1]
    return base + waits * 2


def execute(server: CaseServer, client: Client, ex: Example, api_key: str, timeout: float = 15.0) -> Outcome:
    """Serve one example to the client; collect its answer and the requests the server received."""
    token, base_url = server.register(ex.replies)
    case_line = {"id": f"{token}-{uuid.uuid4().hex[:6]}", "base_url": base_url, "api_key": api_key, "action": ex.action,
                 "request": ex.request, "max_retries": ex.max_retries, "max_rounds": ex.max_rounds}
    t0 = time.monotonic()
    answer = client.run(case_line, _timeout(ex, timeout))
    elapsed = time.monotonic() - t0
    if isinstance(answer, dict) and answer.get("id") != case_line["id"]:
        answer = ClientFailure("garbage", f"answer id {answer.get('id')!r} is not the case's id {case_line['id']!r}")
    time.sleep(0)  # let the server thread finish journaling the last response
    sent, entries = server.release(token)
    return Outcome(answer, sent, entries, api_key, elapsed)


def run_case(case: Case, client: Client, server: CaseServer, *, seed: int = 0, max_examples: int = DEFAULT_EXAMPLES,
             api_key: str = "sk-ant-conformance-key", timeout: float = 15.0, shrink_budget: int = SHRINK_BUDGET) -> CaseResult:
    """Run one case; shrink its failure (with at most ``shrink_budget`` more client runs); give its verdict.
    ``timeout``: seconds a client has to answer one example (plus the waits the example asks for)."""
    t0 = time.monotonic()
    result = CaseResult(case, client.label, Verdict.PASS, seed=seed)
    if case.action != "any" and client.lacks(case.action):
        result.verdict, result.note = Verdict.SKIPPED, f"the client declares it lacks {case.action!r}"
        return result
    n = min(max_examples, case.max_examples or max_examples)
    cache: dict[str, tuple[list[str], dict[str, Any]]] = {}
    state: dict[str, Any] = {"first_fail": None, "last_fail": None, "runs": 0}

    def judge(ex: Example) -> None:
        key = ex.key()
        if key not in cache:
            if state["first_fail"] is not None and state["runs"] - state["first_fail"] >= shrink_budget:
                raise _BudgetSpent
            out = execute(server, client, ex, api_key, timeout)
            state["runs"] += 1
            try:
                probs = case.check(ex, out)
            except Exception as exc:  # a malformed answer the check could not read is the client's failure
                probs = [f"the answer could not be judged: {type(exc).__name__}: {exc}"]
            if isinstance(out.answer, ClientFailure):
                gave = f"the client gave no answer ({out.answer.describe()})"
                probs = [gave, *(p for p in probs if p != gave)]
            cache[key] = (probs, {"example": ex.evidence(), **out.evidence()})
        probs, evidence = cache[key]
        if probs:
            if state["first_fail"] is None:
                state["first_fail"] = state["runs"]
            state["last_fail"] = (probs, evidence)
            raise _Failed("; ".join(probs))

    test = given(case.strategy(server.signer))(judge)
    test = settings(
        max_examples=n,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )(test)
    test = hseed(_case_seed(seed, case.id))(test)
    try:
        test()
    except (_Failed, _BudgetSpent):
        pass
    except Flaky as exc:
        result.note = f"flaky: the client did not fail the same example twice ({type(exc).__name__})"
    except HypothesisException as exc:  # pragma: no cover - reported, never a traceback
        result.note = f"hypothesis: {exc}"
    result.examples = state["runs"]
    result.elapsed = time.monotonic() - t0
    if case.action != "any" and client.lacks(case.action):
        # the capabilities line arrived with the first answer: the case is skipped after all
        result.verdict, result.note = Verdict.SKIPPED, f"the client declares it lacks {case.action!r}"
        return result
    if state["last_fail"] is not None:
        probs, evidence = state["last_fail"]
        result.problems, result.minimal = probs, evidence
        result.verdict = {"MUST": Verdict.FAIL, "SHOULD": Verdict.NON_STRICT}.get(case.level, Verdict.INFO)
    return result


def run_suite(cases: list[Case], clients: list[Client], *, seed: int = 0, max_examples: int = DEFAULT_EXAMPLES,
              progress: Callable[[str], None] | None = None, timeout: float = 15.0,
              shrink_budget: int = SHRINK_BUDGET) -> list[CaseResult]:
    """All ``cases`` against each client, group by group, on one server."""
    results: list[CaseResult] = []
    with CaseServer() as server:
        for client in clients:
            group: str | None = None
            started, done = time.monotonic(), list[CaseResult]()
            for c in cases:
                if c.group != group:
                    if group is not None and progress:
                        progress(_group_line(client.label, group, done, started))
                    group, started, done = c.group, time.monotonic(), []
                r = run_case(c, client, server, seed=seed, max_examples=max_examples, timeout=timeout, shrink_budget=shrink_budget)
                results.append(r)
                done.append(r)
            if group is not None and progress:
                progress(_group_line(client.label, group, done, started))
            client.close()
    return results


def _group_line(label: str, group: str, done: list[CaseResult], started: float) -> str:
    counts: dict[str, int] = {}
    for r in done:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    marks = "".join({"PASS": ".", "FAIL": "F", "NON-STRICT": "n", "INFO": "i", "SKIPPED": "s"}[r.verdict] for r in done)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    ex = sum(r.examples for r in done)
    return f"{label}  {group + '.*':<11} {marks:<14} {summary}  ({ex} examples, {time.monotonic() - started:.1f}s)"
