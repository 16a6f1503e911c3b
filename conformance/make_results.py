#!/usr/bin/env python3
"""Regenerate conformance/RESULTS.md: every shipped adapter through the whole suite, in one run.

    python conformance/make_results.py [--max-examples N] [--seed S] [--report DIR] [--only LABEL,...]

Runs ``mockclaude conformance`` once with all six shipped adapters (so ``DIR/index.html`` is the
cases x clients matrix), reads the per-case JSON it writes, and renders the matrix, the per-client
summary and every non-PASS cell as a finding: the problem the suite printed, the command that
reproduces it, and the explanation written in conformance/findings.py. A non-PASS cell that has no
explanation is listed as such (and the script says so), never left out.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "conformance"))

from findings import NOTES, SUMMARIES  # noqa: E402

# label, adapter command (run from the repository root; `python` is this interpreter), what it tests.
ADAPTERS: list[tuple[str, str, str]] = [
    ("anthropic-python", "python conformance/adapters/anthropic_sdk.py", "anthropic {anthropic}"),
    ("anthropic-typescript", "node conformance/adapters/typescript/adapter.mjs", "@anthropic-ai/sdk {ts}"),
    ("httpx-raw", "python conformance/adapters/httpx_raw.py", "httpx {httpx} (written from the API docs)"),
    ("tutorial", "python conformance/adapters/tutorial_requests.py", "requests {requests} + the seed tutorial's parse_stream"),
    ("langchain", "python conformance/adapters/langchain_anthropic_chat.py", "langchain-anthropic {langchain-anthropic}"),
    ("pydantic-ai", "python conformance/adapters/pydantic_ai_agent.py", "pydantic-ai-slim {pydantic-ai-slim}"),
]
MARK = {"PASS": "✓", "NON-STRICT": "n-s", "INFO": "info", "FAIL": "**FAIL**", "SKIPPED": "skip"}


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("anthropic", "httpx", "requests", "langchain-anthropic", "pydantic-ai-slim"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "(not installed)"
    lock = ROOT / "conformance" / "adapters" / "typescript" / "package.json"
    out["ts"] = json.loads(lock.read_text())["dependencies"]["@anthropic-ai/sdk"]
    return out


def run_suite(labels: list[str], report: Path, max_examples: int | None, seed: int,
              cases: str | None = None) -> tuple[float, str]:
    """One ``mockclaude conformance`` run over the chosen adapters; returns its time and summary line."""
    cmd = [sys.executable, "-m", "mockclaude", "conformance", "--report", str(report), "--seed", str(seed)]
    if cases:
        cmd += ["--cases", cases]
    if max_examples is not None:
        cmd += ["--max-examples", str(max_examples)]
    for label, command, _ in ADAPTERS:
        if label in labels:
            cmd += ["--client", command, "--label", label]
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS="True")
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        env.pop(name, None)
    print("$", " ".join(cmd[1:]), flush=True)
    started = time.monotonic()
    seen: list[str] = []
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # the suite's progress, as it comes
            sys.stdout.write(line)
            sys.stdout.flush()
            seen.append(line)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1):  # 1 is "some case FAILed": that is the result, not an error
        raise SystemExit(f"mockclaude conformance exited {proc.returncode}")
    tail = [line for line in seen if line.strip()]
    return elapsed, "; ".join(tail[-2:])


def load(report: Path, labels: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """label -> case id -> the case's JSON result."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for label in labels:
        folder = report / "json" / label
        results[label] = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    return results


def _case_order(results: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for per_case in results.values():
        for cid, r in per_case.items():
            seen.setdefault(cid, r)

    def key(cid: str) -> tuple[str, int]:
        group, _, n = cid.partition(".")
        return (group, int(n) if n.isdigit() else 0)

    groups = ["sse", "stream", "errors", "retry", "usage", "tools", "thinking", "request"]
    ordered = sorted(seen, key=lambda c: (groups.index(key(c)[0]) if key(c)[0] in groups else 99, key(c)[1]))
    return [seen[c] for c in ordered]


def _clip(text: str, n: int = 360) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render(results: dict[str, dict[str, dict[str, Any]]], labels: list[str], versions: dict[str, str],
           elapsed: float, summary: str, max_examples: int | None, seed: int,
           cases_glob: str | None = None) -> tuple[str, list[str]]:
    cases = _case_order(results)
    missing: list[str] = []
    lines = [
        "# Conformance results: the shipped adapters",
        "",
        "Generated by `python conformance/make_results.py` (one `mockclaude conformance` run over all the",
        f"adapters below; seed {seed}, {'default' if max_examples is None else max_examples} examples per case"
        + (f"; only the cases {cases_glob}" if cases_glob else "") + ").",
        "Do not edit by hand: explanations live in `conformance/findings.py`. Verdicts: ✓ PASS, **FAIL** (a MUST",
        "missed), n-s NON-STRICT (a SHOULD missed), info (a policy, as observed), skip (the client declares it",
        "lacks the feature). Every non-PASS cell is explained under *Findings*, with the command that reproduces it.",
        "",
        "## Clients",
        "",
        "| label | client | adapter command | PASS | FAIL | n-s | info | skip | examples | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, command, what in ADAPTERS:
        if label not in labels:
            continue
        rs = results[label].values()
        count = {v: sum(r["verdict"] == v for r in rs) for v in MARK}
        examples = sum(int(r.get("examples") or 0) for r in rs)
        secs = sum(float(r.get("elapsed_s") or 0) for r in rs)
        lines.append(f"| {label} | {what.format(**versions)} | `{command}` | {count['PASS']} | {count['FAIL']} | "
                     f"{count['NON-STRICT']} | {count['INFO']} | {count['SKIPPED']} | {examples} | {secs:.0f} s |")
    lines += ["", f"Whole run: {elapsed:.0f} s on a shared 2-core machine ({_clip(summary, 200)}).", ""]
    lines += ["## Matrix", "", "| case | level | " + " | ".join(labels) + " |",
              "|---|---|" + "---|" * len(labels)]
    for c in cases:
        cells = [MARK.get(results[label].get(c["id"], {}).get("verdict", ""), "—") for label in labels]
        lines.append(f"| {c['id']} {c['slug']} | {c['level']} | " + " | ".join(cells) + " |")
    lines += ["", "Requirements, one line each:", ""]
    for c in cases:
        lines.append(f"- **{c['id']} {c['slug']}** ({c['level']}) {c['requirement']}")
    lines += ["", "## Findings", ""]
    for label in labels:
        bad = [results[label][c["id"]] for c in cases
               if c["id"] in results[label] and results[label][c["id"]]["verdict"] != "PASS"]
        lines += [f"### {label}", ""]
        if label in SUMMARIES:
            lines += [SUMMARIES[label], ""]
        if not bad:
            lines += ["Every case passes.", ""]
            continue
        for r in bad:
            key = f"{r['group']}.{r['slug']}"
            note = NOTES.get((label, key)) or NOTES.get(("*", key))
            if note is None:
                missing.append(f"{label} {r['id']} {key}")
                note = "*(no explanation written yet — see the evidence in the report)*"
            problem = _clip("; ".join(r.get("problems") or [r.get("note") or ""]))
            lines += [f"- **{r['id']} {r['slug']}** — {r['verdict']} ({r['level']}). {note}",
                      f"  - suite: {problem}"]
            if r.get("reproduce"):
                lines.append(f"  - reproduce: `{r['reproduce']}`")
        lines.append("")
    return "\n".join(lines) + "\n", missing


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-examples", type=int, default=None, help="examples per case (default: the suite's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", default=str(ROOT / "build" / "conformance-report"),
                   help="where the suite's JSON, JUnit and HTML reports go (default build/conformance-report)")
    p.add_argument("--only", default="", help="comma-separated labels (default: all six)")
    p.add_argument("--cases", default=None, help="a case glob, for a partial run (RESULTS.md is the full run)")
    p.add_argument("--output", default=str(ROOT / "conformance" / "RESULTS.md"))
    args = p.parse_args(argv)
    labels = [label for label, _, _ in ADAPTERS if not args.only or label in args.only.split(",")]
    report = Path(args.report)
    if report.exists():
        shutil.rmtree(report)
    elapsed, summary = run_suite(labels, report, args.max_examples, args.seed, args.cases)
    results = load(report, labels)
    text, missing = render(results, labels, _versions(), elapsed, summary, args.max_examples, args.seed, args.cases)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output}; HTML matrix: {report / 'index.html'}")
    if missing:
        print(f"{len(missing)} non-PASS cells have no explanation in conformance/findings.py:")
        for m in missing:
            print("  ", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
