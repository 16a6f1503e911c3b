"""Reports of a run: the terminal summary, JSON per case, JUnit XML, one self-contained HTML page."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from .runner import CaseResult, Verdict

__all__ = ["counts_line", "failures_text", "write_reports"]

COLORS = {"PASS": "#2e7d32", "NON-STRICT": "#f9a825", "INFO": "#1565c0", "FAIL": "#c62828", "SKIPPED": "#757575"}


def counts_line(results: list[CaseResult]) -> str:
    """``N passed, N failed, N skipped`` (+ non-strict and info when any)."""
    c = {v: sum(1 for r in results if r.verdict == v) for v in COLORS}
    line = f"{c['PASS']} passed, {c['FAIL']} failed, {c['SKIPPED']} skipped"
    extra = [f"{c['NON-STRICT']} non-strict"] * bool(c["NON-STRICT"]) + [f"{c['INFO']} info"] * bool(c["INFO"])
    return line + (f" ({', '.join(extra)})" if extra else "")


def failures_text(results: list[CaseResult], reproduce: Callable[[CaseResult], str], *, strict: bool = False) -> str:
    """The failures (and with ``strict`` the non-strict ones), each with its minimal example."""
    shown = [r for r in results if r.verdict == Verdict.FAIL or (strict and r.verdict == Verdict.NON_STRICT)]
    notes = [r for r in results if r.verdict in (Verdict.NON_STRICT, Verdict.INFO) and r not in shown]
    out: list[str] = []
    for r in shown:
        out.append(f"{r.verdict} {r.case.id} {r.case.slug} [{r.case.level}] ({r.client})")
        out.append(f"  requirement: {r.case.requirement}")
        for p in r.problems:
            out.append(f"  problem: {p}")
        if r.note:
            out.append(f"  note: {r.note}")
        m = r.minimal or {}
        ex = m.get("example") or {}
        if ex:
            out.append(f"  minimal example: {ex.get('description')}")
            for i, rep in enumerate(ex.get("replies") or [], 1):
                out.append(f"    reply {i}: {rep['label']}, chunk cuts at {rep['chunk_cuts']}")
                out.append("      bytes: " + _clip(json.dumps(rep["body"], ensure_ascii=True), 700))
        for q in m.get("requests") or []:
            out.append(f"    request {q['seq']} at +{q['at_ms']} ms -> {q['status']} ({q['answered']}): "
                       + _clip(json.dumps(q["body"], ensure_ascii=False), 400))
        if m:
            out.append("    client output: " + _clip(json.dumps(m.get("client_output"), ensure_ascii=False), 500))
            if m.get("client_stderr"):
                out.append("    client stderr: " + _clip(m["client_stderr"].strip().replace("\n", "\n      "), 1500))
        out.append(f"  reproduce: {reproduce(r)}")
        out.append("")
    for r in notes:
        first = r.problems[0] if r.problems else r.note
        out.append(f"{r.verdict} {r.case.id} {r.case.slug} ({r.client}): {_clip(first, 300)}")
    return "\n".join(out)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[:n] + f"… ({len(s)} chars)"


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)[:60] or "client"


def write_reports(results: list[CaseResult], directory: str, reproduce: Callable[[CaseResult], str]) -> list[str]:
    """JSON per case (``DIR/json/CLIENT/CASE.json``), ``DIR/junit.xml``, ``DIR/index.html``."""
    os.makedirs(directory, exist_ok=True)
    written = []
    for r in results:
        d = os.path.join(directory, "json", _slug(r.client))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{r.case.id}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(r.to_json(reproduce(r)), f, indent=1, ensure_ascii=False, default=str)
        written.append(path)
    junit = os.path.join(directory, "junit.xml")
    with open(junit, "w", encoding="utf-8") as f:
        f.write(_junit(results, reproduce))
    page = os.path.join(directory, "index.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write(_html(results, reproduce))
    return [*written, junit, page]


def _junit(results: list[CaseResult], reproduce: Callable[[CaseResult], str]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for client in dict.fromkeys(r.client for r in results):
        rs = [r for r in results if r.client == client]
        fails = sum(r.verdict == Verdict.FAIL for r in rs)
        skips = sum(r.verdict == Verdict.SKIPPED for r in rs)
        total = sum(r.elapsed for r in rs)
        out.append(f'<testsuite name={quoteattr("conformance: " + client)} tests="{len(rs)}" failures="{fails}" '
                   f'skipped="{skips}" time="{total:.3f}">')
        for r in rs:
            out.append(f'<testcase classname={quoteattr(r.case.group)} name={quoteattr(r.case.id + " " + r.case.slug)} time="{r.elapsed:.3f}">')
            body = "\n".join(r.problems) + f"\nreproduce: {reproduce(r)}"
            if r.verdict == Verdict.FAIL:
                out.append(f"<failure message={quoteattr(r.problems[0] if r.problems else 'failed')}>{escape(body)}</failure>")
            elif r.verdict == Verdict.SKIPPED:
                out.append(f"<skipped message={quoteattr(r.note)}/>")
            elif r.verdict in (Verdict.NON_STRICT, Verdict.INFO):
                out.append(f"<system-out>{escape(r.verdict + ': ' + body)}</system-out>")
            out.append("</testcase>")
        out.append("</testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _html(results: list[CaseResult], reproduce: Callable[[CaseResult], str]) -> str:
    clients = list(dict.fromkeys(r.client for r in results))
    cases = list({r.case.id: r.case for r in results}.values())
    by = {(r.case.id, r.client): r for r in results}
    e = html.escape
    rows, details = [], []
    for c in cases:
        cells = []
        for ci, cl in enumerate(clients):
            r = by.get((c.id, cl))
            if r is None:
                cells.append("<td></td>")
                continue
            anchor = f"e{ci}-{_slug(c.id)}"
            cells.append(f'<td style="background:{COLORS[r.verdict]}"><a href="#{anchor}">{e(r.verdict)}</a></td>')
            evidence = json.dumps(r.minimal, indent=1, ensure_ascii=False, default=str) if r.minimal else ""
            details.append(
                f'<section id="{anchor}"><h3>{e(c.id)} {e(c.slug)} — {e(cl)}: '
                f'<span style="color:{COLORS[r.verdict]}">{e(r.verdict)}</span></h3>'
                f"<p>{e(c.requirement)} <i>[{e(c.level)}; {e(c.source)}]</i></p>"
                f"<p>{r.examples} examples, seed {r.seed}, {r.elapsed:.2f}s. {e(r.note)}</p>"
                + "".join(f"<p class=p>{e(p)}</p>" for p in r.problems)
                + f"<p>reproduce: <code>{e(reproduce(r))}</code></p>"
                + (f"<details><summary>minimal example and evidence</summary><pre>{e(evidence)}</pre></details>" if evidence else "")
                + '<p><a href="#top">back to the matrix</a></p></section>'
            )
        rows.append(f"<tr><td><b>{e(c.id)}</b></td><td>{e(c.slug)}</td><td>{e(c.level)}</td>{''.join(cells)}"
                    f"<td class=req>{e(c.requirement)}</td></tr>")
    head = "".join(f"<th>{e(cl)}</th>" for cl in clients)
    summary = "".join(f"<li>{e(cl)}: {e(counts_line([r for r in results if r.client == cl]))}</li>" for cl in clients)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockclaude conformance report</title>
<style>
body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}
td a{{color:#fff;text-decoration:none;font-weight:bold}} .req{{color:#444;max-width:40em}} pre{{background:#f4f4f4;padding:8px;overflow:auto;max-height:40em}}
.p{{color:#c62828}} section{{border-top:1px solid #ddd;margin-top:1em}}
</style></head><body id="top">
<h1>mockclaude conformance report</h1><ul>{summary}</ul>
<table><tr><th>case</th><th>name</th><th>level</th>{head}<th>requirement</th></tr>
{''.join(rows)}
</table>
<h2>Evidence</h2>
{''.join(details)}
</body></html>
"""
