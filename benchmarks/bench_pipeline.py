"""What one request costs inside the app, without HTTP: the ASGI app called directly, µs per request.

    python benchmarks/bench_pipeline.py [--requests 2000] [--rounds 3]
    python benchmarks/bench_pipeline.py --against main          # before/after, side by side

The workloads of benchmarks/compare.py (json, sse, heavy, t100, t500), each with the ``same`` body on
every request and with a body that ``vary``s (a counter in the last user turn), sent one after the
other through the whole pipeline (headers, body, validation, journal, faults, synthetic answer,
rendering) of one app, whose journal fills as it goes, called the way a server calls it (``receive``
and ``send`` bound to an object that holds the scope, so a reference cycle the app makes per request
shows as the collector's work it is). Every answer is checked (status 200 and an Anthropic message). Less noisy than a load test on a shared machine, and it shows the app's part
of the cost alone; ``--against REF`` runs a git ref's tree in a child process, alternating with this
tree's, and reports the best round of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

MARK = b"@@VARY@@"
HEADERS = [(b"content-type", b"application/json"), (b"x-api-key", b"sk-bench"),
           (b"anthropic-version", b"2023-06-01"), (b"host", b"127.0.0.1")]


def measure(requests: int) -> dict[str, float]:
    """µs per request for each workload and body mode, in this process's mockclaude."""
    from compare import workloads

    from mockclaude.app import create_app

    app = create_app()
    out: dict[str, float] = {}

    class Cycle:
        """One request as a server holds it (uvicorn's RequestResponseCycle): the scope, and receive and
        send bound to this object, so that a reference cycle the app makes through them costs here what
        it costs under a server (garbage for the collector)."""

        def __init__(self, raw: bytes) -> None:
            self.scope = {"type": "http", "method": "POST", "path": "/v1/messages", "raw_path": b"/v1/messages",
                          "query_string": b"", "headers": [*HEADERS, (b"content-length", str(len(raw)).encode())],
                          "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
                          "client": ("127.0.0.1", 1)}
            self.raw: bytes | None = raw
            self.status = 0
            self.chunks: list[bytes] = []

        async def receive(self) -> dict[str, Any]:
            if self.raw is None:
                await asyncio.sleep(3600)
            raw, self.raw = self.raw, None
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(self, message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            else:
                self.chunks.append(message.get("body", b""))

    async def one(raw: bytes, stream: bool) -> None:
        cycle = Cycle(raw)
        await app(cycle.scope, cycle.receive, cycle.send)
        status, body = cycle.status, b"".join(cycle.chunks)
        good = status == 200 and (body.startswith(b"event: message_start") and body.rstrip().endswith(b'"message_stop"}')
                                  if stream else json.loads(body)["type"] == "message")
        if not good:
            raise SystemExit(f"bad answer {status}: {body[:300]!r}")

    async def run() -> None:
        for w in workloads(32):
            template = w.template
            for mode in ("same", "vary"):
                bodies = [template.replace(MARK, b"0" if mode == "same" else b"%d-%d" % (os.getpid(), i))
                          for i in range(requests)]
                for i in range(50):  # warm up (and, for same, let the memo see the body)
                    await one(bodies[0] if mode == "same" else template.replace(MARK, b"warm-%d" % i), w.stream)
                started = time.process_time()
                for raw in bodies:
                    await one(raw, w.stream)
                out[f"{w.name}/{mode}"] = (time.process_time() - started) / requests * 1e6

    asyncio.run(run())
    return out


def _child(tree: Path, requests: int) -> dict[str, float]:
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import json, bench_pipeline as b; "
            f"print(json.dumps(b.measure({requests})))")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="per workload and body mode (default 2000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--against", metavar="REF", help="also measure this git ref (in a temporary worktree)")
    args = ap.parse_args()
    trees: dict[str, Path] = {"this tree": ROOT}
    with tempfile.TemporaryDirectory(prefix="mc-pipeline-") as tmp:
        if args.against:
            old = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old), args.against],
                           check=True)
            trees = {args.against: old, "this tree": ROOT}
        try:
            best: dict[str, dict[str, float]] = {name: {} for name in trees}
            for _ in range(args.rounds):  # alternate, so both see the same machine load
                for name, tree in trees.items():
                    for key, us in _child(tree, args.requests).items():
                        best[name][key] = min(us, best[name].get(key, us))
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees[args.against])],
                               check=False)
    names = list(trees)
    print(f"CPU µs per request inside the app (best of {args.rounds} rounds of {args.requests}; every answer checked)")
    print(f"{'workload':14}" + "".join(f"{n[:14]:>15}" for n in names) + ("   speed-up" if len(names) > 1 else ""))
    for key in best[names[0]]:
        row = f"{key:14}" + "".join(f"{best[n][key]:15.1f}" for n in names)
        if len(names) > 1:
            row += f"   {best[names[0]][key] / best[names[1]][key]:8.2f}x"
        print(row)


if __name__ == "__main__":
    main()
