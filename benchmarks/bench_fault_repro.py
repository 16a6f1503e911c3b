"""Seeded faults under concurrency: do two runs of 20 concurrent clients hit the same requests?

    python benchmarks/bench_fault_repro.py [--clients 20] [--per-client 8] [--fault 529:rate=0.2:seed=7] [--root TREE]

Starts ``mockclaude serve --fault SPEC`` (from ``--root``, default this tree), sends the same set of
distinct requests twice from ``--clients`` concurrent clients (``POST /_mockclaude/reset`` between
the runs, and the server restarted for a second pair) and prints how many requests each run hit and
how many hits the runs share. Reproducible: the two sets are equal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_recording import HEADERS, ROOT, start_server, stop  # noqa: E402


async def run(url: str, clients: int, per_client: int) -> set[int]:
    import httpx

    hit: set[int] = set()

    async def one(c: int, http: httpx.AsyncClient) -> None:
        for k in range(per_client):
            i = c * per_client + k
            body = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": f"q {i}"}]}
            r = await http.post("/v1/messages", json=body)
            if r.status_code != 200:
                hit.add(i)

    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30,
                                 limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(one(c, http) for c in range(clients)))
    return hit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--per-client", type=int, default=8)
    ap.add_argument("--fault", default="529:rate=0.2:seed=7")
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args()
    import httpx

    runs = []
    for _server in range(2):  # a fresh server each time: as two CI runs
        proc, url = start_server(["--fault", args.fault], args.root)
        try:
            runs.append(asyncio.run(run(url, args.clients, args.per_client)))
            httpx.post(url + "/_mockclaude/reset", json={}, headers={"content-type": "application/json"})
        finally:
            stop(proc)
    a, b = runs
    print(f"{args.clients} concurrent clients x {args.per_client} requests, --fault {args.fault} (server from {args.root})")
    print(f"run 1 hit {len(a)}, run 2 hit {len(b)}, the same in both: {len(a & b)}, union {len(a | b)}")


if __name__ == "__main__":
    main()
