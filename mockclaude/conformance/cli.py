"""``mockclaude conformance``: run the suite against one or more clients.

    mockclaude conformance --client "CMD" [--client-python MODULE:FUNCTION] [--label NAME]...
                           [--cases GLOB] [--case ID] [--max-examples N] [--seed S] [--strict] [--report DIR]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

from .cases import CASES, select
from .clients import AdapterProcess, Client, PythonClient, load_callable
from .runner import DEFAULT_EXAMPLES, SHRINK_BUDGET, CaseResult, Verdict, run_suite

__all__ = ["main"]


class _Ordered(argparse.Action):
    """Keeps --client and --client-python in the order given (labels pair with them by position)."""

    def __call__(self, parser: Any, ns: Any, values: Any, option: Any = None) -> None:
        items = list(getattr(ns, "clients", None) or [])
        items.append(("python" if option == "--client-python" else "cmd", values))
        ns.clients = items


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mockclaude conformance",
        description="Judge a Claude client: generated answers, encodings and faults from a real server on "
        "127.0.0.1; checks on what the client sent and reported. Protocol: conformance/PROTOCOL.md.",
    )
    p.add_argument("--client", action=_Ordered, dest="clients", metavar="CMD",
                   help="an adapter command speaking JSON lines (repeatable)")
    p.add_argument("--client-python", action=_Ordered, dest="clients", metavar="MODULE:FUNCTION",
                   help="an in-process callable fn(case) -> answer; MODULE may be a path/to/file.py (repeatable)")
    p.add_argument("--label", action="append", default=[], help="a name for the n-th client in reports (repeatable)")
    p.add_argument("--cases", default=None, metavar="GLOB", help="comma-separated globs on ids or group.slug, e.g. 'sse.*,retry.2'")
    p.add_argument("--case", default=None, metavar="ID", help="one case (as printed in a reproduce command)")
    p.add_argument("--max-examples", type=int, default=DEFAULT_EXAMPLES, help=f"examples per case (default {DEFAULT_EXAMPLES}; slow cases cap lower)")
    p.add_argument("--seed", type=int, default=0, help="the seed of every case's examples (default 0)")
    p.add_argument("--strict", action="store_true", help="exit 1 on NON-STRICT (a SHOULD missed) too")
    p.add_argument("--report", metavar="DIR", help="write JSON per case, junit.xml and index.html into DIR")
    p.add_argument("--timeout", type=float, default=15.0, metavar="S",
                   help="seconds a client has to answer one example, plus the waits it asks for (default 15)")
    p.add_argument("--shrink-runs", type=int, default=SHRINK_BUDGET, metavar="N",
                   help=f"client runs spent shrinking each failure (default {SHRINK_BUDGET})")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    return p


def _reproducer(args: argparse.Namespace, specs: dict[str, tuple[str, str]]) -> Any:
    def reproduce(r: CaseResult) -> str:
        kind, value = specs[r.client]
        opt = "--client" if kind == "cmd" else "--client-python"
        parts = ["mockclaude", "conformance", opt, value, "--case", r.case.id, "--seed", str(r.seed)]
        if args.max_examples != DEFAULT_EXAMPLES:
            parts += ["--max-examples", str(args.max_examples)]
        if args.shrink_runs != SHRINK_BUDGET:
            parts += ["--shrink-runs", str(args.shrink_runs)]
        return shlex.join(parts)

    return reproduce


def main(argv: Sequence[str] | None = None) -> int:
    from .reports import counts_line, failures_text, write_reports

    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.list:
        for c in CASES:
            print(f"{c.id:<12} {c.level:<6} {c.slug:<24} {c.requirement}")
        return 0
    if not args.clients:
        print("mockclaude conformance: give a client: --client CMD or --client-python MODULE:FUNCTION", file=sys.stderr)
        return 2
    if args.max_examples < 1:
        print("mockclaude conformance: --max-examples must be at least 1", file=sys.stderr)
        return 2
    cases = select(args.case or args.cases)
    if not cases:
        print(f"mockclaude conformance: no case matches {args.case or args.cases!r} (see --list)", file=sys.stderr)
        return 2
    clients: list[Client] = []
    specs: dict[str, tuple[str, str]] = {}
    for i, (kind, value) in enumerate(args.clients):
        label = args.label[i] if i < len(args.label) else value
        if kind == "python":
            try:
                fn = load_callable(value)
            except (ImportError, ValueError, OSError) as exc:
                print(f"mockclaude conformance: --client-python {value}: {exc}", file=sys.stderr)
                return 2
            clients.append(PythonClient(fn, label))
        else:
            clients.append(AdapterProcess(value, label))
        specs[label] = (kind, value)
    t0 = time.monotonic()
    results = run_suite(cases, clients, seed=args.seed, max_examples=args.max_examples, progress=lambda s: print(s, flush=True),
                        timeout=args.timeout, shrink_budget=args.shrink_runs)
    elapsed = time.monotonic() - t0
    reproduce = _reproducer(args, specs)
    text = failures_text(results, reproduce, strict=args.strict)
    if text:
        print()
        print(text)
    if args.report:
        write_reports(results, args.report, reproduce)
        print(f"report: {args.report}/index.html, {args.report}/junit.xml, {args.report}/json/")
    examples = sum(r.examples for r in results)
    print(f"{examples} examples in {elapsed:.1f}s ({examples / elapsed if elapsed else 0:.0f}/s), seed {args.seed}")
    print(counts_line(results))
    bad = {Verdict.FAIL} | ({Verdict.NON_STRICT} if args.strict else set())
    return 1 if any(r.verdict in bad for r in results) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
