"""Cost of validating a typical request: 10 turns (tool loop included), 3 tools, a cached system prompt.

Run: python benchmarks/bench_validation.py
     python benchmarks/bench_validation.py --against <git ref>   # before/after, side by side

``--against`` checks the ref out in a temporary git worktree and times the same request with that
tree's ``mockclaude`` (in a child process, alternating with the current tree, best of each).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from mockclaude.protocol import parse_body, validate_messages
from mockclaude.signatures import Signer

signer = Signer()
ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> dict[str, object]:
    return {"name": name, "description": f"The {name} tool.",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}


def typical() -> dict[str, object]:
    messages: list[dict[str, object]] = []
    for i in range(4):
        messages.append({"role": "user", "content": f"Question {i}: what about this?"})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": f"Answer {i}, at some length."}]})
    messages.append({"role": "user", "content": "Now look it up."})
    messages.append({"role": "assistant", "content": [
        {"type": "text", "text": "Looking it up."},
        {"type": "tool_use", "id": "toolu_01abc", "name": "search", "input": {"q": "x"}}]})
    messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01abc", "content": "found"}]})
    return {
        "model": "claude-sonnet-4-5-20250929", "max_tokens": 2048,
        "system": [{"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}}],
        "tools": [_tool("search"), _tool("fetch"), _tool("calc")],
        "messages": messages,
    }


def agent_loop(rounds: int) -> dict[str, object]:
    """An agent's tool loop: a task, then ``rounds`` of (assistant text + tool_use, user tool_result);
    166 rounds are 333 messages, about 64 KB, ending with a tool result (``MARK`` in it, as compare.py's)."""
    messages: list[dict[str, object]] = [{"role": "user", "content": "Fix the failing test in the repository."}]
    for i in range(rounds):
        tid = f"toolu_01{i:06d}AbCdEfGhIjKlMnOp"
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": f"Step {i}: let me read the next file."},
            {"type": "tool_use", "id": tid, "name": "read_file", "input": {"path": f"src/module_{i}.py"}}]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tid, "content": "def f(x):\n    return x + 1\n" * 4}]})
    messages[-1]["content"][0]["content"] += "@@VARY@@"  # type: ignore[index]
    return {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024, "tools": [_tool("read_file")],
            "messages": messages}


def measure() -> dict[str, float]:
    """µs per request, best of 5 runs, for each measured call."""
    body = typical()
    raw = json.dumps(body).encode()
    validate_messages(body, version="2023-06-01", signer=signer)  # warm the schema caches
    out = {}
    for label, fn in (
        ("validate_messages", lambda: validate_messages(body, version="2023-06-01", signer=signer)),
        ("parse_body + validate_messages", lambda: validate_messages(parse_body(raw), version="2023-06-01", signer=signer)),
    ):
        n, _total = timeit.Timer(fn).autorange()
        out[label] = min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6
    out.update(measure_workloads())
    return out


def measure_workloads(count: int = 100) -> dict[str, float]:
    """µs to parse and validate the bodies of compare.py's json, heavy, t100 and t500 workloads and of an
    agent's tool loop (:func:`agent_loop`), each body
    new (a counter in the last turn, as ``--bodies vary``), and to answer them (the synthetic message,
    which reads the turns and counts tokens); best of 5 runs over ``count`` bodies."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare import MARK, workloads

    from mockclaude.responders.synthetic import SyntheticResponder

    responder = SyntheticResponder(signer)
    out = {}
    templates = [(w.name, w.template) for w in workloads(32) if w.name in ("json", "heavy", "t100", "t500")]
    templates.append(("agent", json.dumps(agent_loop(166), separators=(",", ":")).encode()))
    for name, template in templates:
        for label, answer in ((f"{name}: parse + validate", False), (f"{name}: ... + answer", True)):
            best = float("inf")
            for r in range(6):  # the first run warms up
                bodies = [template.replace(MARK.encode(), b"%d-%d" % (r, i)) for i in range(count)]
                started = time.process_time()
                for one in bodies:
                    valid = validate_messages(parse_body(one), version="2023-06-01", signer=signer)
                    if answer:
                        responder.message(valid, one)
                if r:
                    best = min(best, (time.process_time() - started) / count * 1e6)
            out[label] = best
    return out


def _child(tree: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import json, bench_validation as b; "
            "print(json.dumps(b.measure()))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def against(ref: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mc-bench-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref], check=True)
        try:
            best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
            for _ in range(rounds):  # alternate, so both see the same machine load
                for name, where in (("before", tree), ("after", ROOT)):
                    for label, us in _child(where).items():
                        best[name][label] = min(us, best[name].get(label, us))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
    print(f"{'µs per request (best of ' + str(rounds) + ' rounds)':32s} {ref[:12]:>12s} {'this tree':>12s} {'speed-up':>9s}")
    for label, before in best["before"].items():
        after = best["after"][label]
        print(f"{label:32s} {before:12.1f} {after:12.1f} {before / after:8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="also time this git ref (in a temporary worktree)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.against:
        against(args.against, args.rounds)
        return
    for label, us in measure().items():
        print(f"{label:32s} {us:8.1f} µs per request")


if __name__ == "__main__":
    main()
