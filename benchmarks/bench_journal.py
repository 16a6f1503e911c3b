"""Is a request's cost flat as the journal fills? µs per request, window by window, to past the bound.

    python benchmarks/bench_journal.py [--requests 30000] [--window 2500] [--journal-size 10000]

One app (the ASGI app called directly, no HTTP) answers ``--requests`` small JSON requests whose
body changes every time (so neither the memo of admitted bodies nor any other cache helps); its
journal records every one and reaches its bound (``--journal-size``, the default 10,000) a third of
the way through, after which each new entry evicts the oldest. The CPU time of each window of
``--window`` requests is printed with the journal's length and the process's resident memory at the
end of the window. Flat means: the windows after the bound cost what the first ones did (within the
noise of a shared machine: compare the median of the windows before the bound with the median after),
and memory stops growing once the journal is full.

Every answer is checked (status 200, an Anthropic message); the run is bounded by ``--requests``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from typing import Any

HEADERS = [(b"content-type", b"application/json"), (b"x-api-key", b"sk-bench"),
           (b"anthropic-version", b"2023-06-01"), (b"host", b"127.0.0.1")]
TEMPLATE = ('{"model":"claude-sonnet-4-5-20250929","max_tokens":256,'
            '"messages":[{"role":"user","content":"What is a random forest, in one sentence? %d"}]}')


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), else the peak (ru_maxrss), in MiB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def run(requests: int, window: int, journal_size: int) -> list[tuple[int, int, float, float]]:
    """(requests so far, journal length, µs per request in the window, RSS MiB) per window."""
    from mockclaude.app import create_app

    app = create_app(journal_size=journal_size)
    rows: list[tuple[int, int, float, float]] = []

    async def one(raw: bytes) -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/messages", "raw_path": b"/v1/messages",
                 "query_string": b"", "headers": [*HEADERS, (b"content-length", str(len(raw)).encode())],
                 "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
        status = 0
        chunks: list[bytes] = []
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != 200 or json.loads(b"".join(chunks))["type"] != "message":
            raise SystemExit(f"bad answer {status}: {b''.join(chunks)[:300]!r}")

    async def main() -> None:
        n = 0
        for i in range(200):  # warm up
            await one((TEMPLATE % -i).encode())
        app.journal.clear()
        while n < requests:
            bodies = [(TEMPLATE % (n + i)).encode() for i in range(window)]
            started = time.process_time()
            for raw in bodies:
                await one(raw)
            spent = time.process_time() - started
            n += window
            rows.append((n, len(app.journal), spent / window * 1e6, _rss_mb()))

    asyncio.run(main())
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=30_000)
    ap.add_argument("--window", type=int, default=2_500)
    ap.add_argument("--journal-size", type=int, default=10_000)
    args = ap.parse_args()
    rows = run(args.requests, args.window, args.journal_size)
    print(f"{'requests':>9} {'journal':>8} {'µs/request':>11} {'RSS MiB':>8}")
    for n, length, us, rss in rows:
        print(f"{n:9,} {length:8,} {us:11.1f} {rss:8.1f}")
    before = [us for n, _, us, _ in rows if n <= args.journal_size]
    after = [us for n, _, us, _ in rows if n > args.journal_size + args.window]
    if before and after:
        b, a = statistics.median(before), statistics.median(after)
        print(f"median µs/request: {b:.1f} while the journal fills, {a:.1f} once it is full and evicting "
              f"({a / b:.2f}x)")
        grow = rows[-1][3] - next(r[3] for r in rows if r[0] > args.journal_size)
        print(f"RSS growth after the journal is full: {grow:+.1f} MiB over {rows[-1][0] - args.journal_size:,} requests")


if __name__ == "__main__":
    main()
