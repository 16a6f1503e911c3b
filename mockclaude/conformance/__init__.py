"""The conformance suite: a Hypothesis judge of any Claude client (see docs/conformance.md).

    from mockclaude.conformance import run
    results = run(my_client_function, cases="sse.*")     # fn(case: dict) -> answer dict

The double does not depend on this package; this package drives the double.
"""

from __future__ import annotations

from typing import Any

from .cases import CASES, Case, select
from .clients import AdapterProcess, Client, ClientFailure, PythonClient
from .runner import DEFAULT_EXAMPLES, CaseResult, Verdict, run_case, run_suite

__all__ = [
    "CASES",
    "DEFAULT_EXAMPLES",
    "AdapterProcess",
    "Case",
    "CaseResult",
    "Client",
    "ClientFailure",
    "PythonClient",
    "Verdict",
    "run",
    "run_case",
    "run_suite",
    "select",
]


def run(client: Any, *, cases: str | None = None, seed: int = 0, max_examples: int = DEFAULT_EXAMPLES) -> list[CaseResult]:
    """Run the suite against a callable (``fn(case) -> answer``), an adapter command (a str), or a
    :class:`Client`; returns one :class:`CaseResult` per case."""
    if isinstance(client, str):
        c: Client = AdapterProcess(client)
    elif isinstance(client, Client):
        c = client
    else:
        c = PythonClient(client)
    return run_suite(select(cases), [c], seed=seed, max_examples=max_examples)
