"""What a cold start costs before any server is involved: a fresh interpreter imports the serve path,
builds the app and answers one ``POST /v1/messages`` in-process (the ASGI app called directly).

    python benchmarks/bench_cold_start.py                  # this tree
    python benchmarks/bench_cold_start.py --against main   # and a git ref, side by side
    python benchmarks/bench_cold_start.py --runs 15 --no-compile

Rows, each a fresh ``python`` per run, the trees' runs interleaved (medians of ``--runs``):

* ``python -c pass`` — the interpreter alone;
* ``first answer`` — import ``mockclaude.cli``, ``.app`` and ``.server``, build the app from the
  environment's settings, answer one request (checked: a 200 with an assistant message);
* ``+ server import`` — the same with the HTTP server's module imported too (``mockclaude.httpserver``,
  or uvicorn in a tree without it): what the server adds before it runs (``mockclaude serve``'s
  launch → first 200 over HTTP is compare.py's cold start column).

Wall and CPU (user + system, POSIX) milliseconds, and the modules loaded. CPU is the steadier figure
on a shared machine. Like compare.py, the trees are byte-compiled first, as an install would be.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from compare import MODEL, checkout  # noqa: E402

BODY = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "What is a random forest?"}]}

# The child: {extra} is an import line (or nothing); prints the answer's check and the module count.
CHILD = """
import asyncio, json, sys
{extra}
import mockclaude.cli, mockclaude.server
from mockclaude.app import MockClaudeApp
from mockclaude.config import Settings

app = MockClaudeApp(Settings.from_env())
body = {body!r}
sent = []

async def receive():
    return {{"type": "http.request", "body": body, "more_body": False}}

async def send(message):
    sent.append(message)

scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1", "method": "POST", "scheme": "http",
         "path": "/v1/messages", "raw_path": b"/v1/messages", "query_string": b"", "root_path": "",
         "server": ("127.0.0.1", 8088), "client": ("127.0.0.1", 40000),
         "headers": [(b"host", b"127.0.0.1:8088"), (b"content-type", b"application/json"), (b"x-api-key", b"sk-bench"),
                     (b"anthropic-version", b"2023-06-01"), (b"content-length", str(len(body)).encode())]}}
asyncio.run(app(scope, receive, send))
status = sent[0]["status"]
answer = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
ok = status == 200 and answer.get("type") == "message" and answer.get("role") == "assistant"
print(json.dumps({{"ok": ok, "status": status, "modules": len(sys.modules)}}))
"""


def run(cmd: list[str], cwd: Path) -> tuple[float, float, dict[str, object]]:
    """Wall and CPU milliseconds of one child, and what it printed (JSON), or {}."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKCLAUDE_", "ANTHROPIC_"))}
    env["PYTHONPATH"] = str(cwd)  # this tree's package, not the editable install's
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:2])} in {cwd} failed:\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    out = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    if out and not out.get("ok"):
        raise SystemExit(f"{cwd}: the first answer was not an assistant message: {out}")
    return 1000 * wall, 1000 * cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9, help="launches per row (default 9)")
    ap.add_argument("--against", metavar="REF", help="also a git ref's mockclaude (temporary worktree)")
    ap.add_argument("--no-compile", action="store_true", help="do not byte-compile the trees first")
    args = ap.parse_args()
    body = json.dumps(BODY, separators=(",", ":")).encode()

    with checkout(args.against) if args.against else nullcontext() as old:
        trees = {"this tree": ROOT} | ({args.against: old} if old is not None else {})
        if not args.no_compile:
            for tree in trees.values():
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "mockclaude")], check=True,
                               stdout=subprocess.DEVNULL)
        rows: dict[str, tuple[Path, list[str]]] = {"python -c pass": (ROOT, [sys.executable, "-c", "pass"])}
        for label, tree in trees.items():
            server = "try:\n    import mockclaude.httpserver\nexcept ImportError:\n    import uvicorn"
            for name, extra in (("first answer", ""), ("+ server import", server)):
                rows[f"{name} ({label})"] = (tree, [sys.executable, "-c", CHILD.format(extra=extra, body=body)])
        walls: dict[str, list[float]] = {k: [] for k in rows}
        cpus: dict[str, list[float]] = {k: [] for k in rows}
        modules: dict[str, object] = {}
        for _ in range(args.runs):
            for label, (where, cmd) in rows.items():
                wall, cpu, out = run(cmd, where)
                walls[label].append(wall)
                cpus[label].append(cpu)
                modules[label] = out.get("modules", "")

    load = os.getloadavg()[0]
    print(f"\nmedian of {args.runs} fresh interpreters; {os.cpu_count()} CPUs, load {load:.1f}"
          f"{'' if args.no_compile else '; trees byte-compiled first'}\n")
    print(f"| {'what':36} | {'wall ms':>8} | {'CPU ms':>8} | {'modules':>7} |")
    print("|---|---|---|---|")
    for label in rows:
        print(f"| {label:36} | {statistics.median(walls[label]):8.1f} | {statistics.median(cpus[label]):8.1f} "
              f"| {modules[label]!s:>7} |")


if __name__ == "__main__":
    main()
