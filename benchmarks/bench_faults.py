"""What fault injection costs when it does nothing: requests/second, side by side, in one run.

    python benchmarks/bench_faults.py [--seconds 3] [--rounds 3] [--threads 8] [--client httpx|wrk]

Three servers, each in its own process (real uvicorn, one worker, uvloop + httptools when installed):

* ``none``       — no fault configured (the default);
* ``bypassed``   — the fault plan's ``select`` replaced by ``lambda ex: None`` (the module cut out);
* ``nonmatching``— a queued fault that matches no request (``529:model=no-such-model``), so every
  request walks the queue and is let through.

The client is a loop of ``httpx.Client`` requests in ``--threads`` threads for ``--seconds`` per
server and round (or ``wrk`` with ``--client wrk``); rounds alternate between the servers so noise
on a shared machine hits all alike, and the median is reported. The request is a typical 10-turn
conversation with tools (benchmarks/payloads.py), as JSON and as a stream.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

MODES = ("none", "bypassed", "nonmatching")
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}


def serve(mode: str, port: int) -> None:
    """The server side (run in a child process)."""
    import uvicorn

    from mockclaude.app import MockClaudeApp
    from mockclaude.config import Settings
    from mockclaude.server import bind_socket, uvicorn_config

    faults = ("529:model=no-such-model",) if mode == "nonmatching" else ()
    app = MockClaudeApp(Settings.build(faults=faults))
    if mode == "bypassed":
        app.faults.select = lambda ex: None  # type: ignore[method-assign]
    sock = bind_socket("127.0.0.1", port)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(mode: str) -> tuple[subprocess.Popen[bytes], int]:
    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", mode, str(port)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_mockclaude/health", timeout=1)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{mode} server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


def run_httpx(port: int, body: bytes, seconds: float, threads: int) -> float:
    import httpx

    url = f"http://127.0.0.1:{port}/v1/messages"
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        with httpx.Client(headers=HEADERS, timeout=10) as c:
            n = 0
            while time.monotonic() < stop:
                r = c.post(url, content=body)
                if r.status_code != 200:
                    raise SystemExit(f"unexpected {r.status_code}: {r.text[:200]}")
                n += 1
            counts[i] = n

    t0 = time.monotonic()
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / (time.monotonic() - t0)


def run_wrk(port: int, body: bytes, seconds: float, threads: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        bpath = os.path.join(d, "body.json")
        Path(bpath).write_bytes(body)
        lua = os.path.join(d, "post.lua")
        hdrs = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in HEADERS.items())
        Path(lua).write_text(f'wrk.method = "POST"\n{hdrs}wrk.body = io.open("{bpath}"):read("*a")\n')
        out = subprocess.run(
            ["wrk", "-t1", f"-c{threads}", f"-d{max(1, round(seconds))}s", "-s", lua, f"http://127.0.0.1:{port}/v1/messages"],
            capture_output=True, text=True, check=True,
        ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None or "Non-2xx" in out:
        raise SystemExit(f"wrk failed:\n{out}")
    return float(m.group(1))


def micro(n: int = 200_000) -> None:
    """The cost of ``FaultPlan.select`` itself, per request, in-process (no network noise)."""
    from types import SimpleNamespace

    from starlette.requests import Request

    from mockclaude.faults import FaultPlan

    raw = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    req = Request({"type": "http", "method": "POST", "path": "/v1/messages", "headers": raw})
    req.headers  # noqa: B018 - the app has built them by the time select runs
    ex = SimpleNamespace(request=req, stream=False, endpoint="messages", body={"model": "claude-sonnet-4-6"})
    print(f"FaultPlan.select per request (in-process, {n:,} calls):")
    for label, plan in (("no faults", FaultPlan()), ("non-matching fault", FaultPlan(["529:model=no-such-model"]))):
        t0 = time.perf_counter()
        for _ in range(n):
            plan.select(ex)
        print(f"  {label:20} {(time.perf_counter() - t0) / n * 1e6:6.2f} µs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8, help="client threads (wrk: connections)")
    ap.add_argument("--client", choices=("httpx", "wrk"), default="httpx")
    ap.add_argument("--serve", nargs=2, metavar=("MODE", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed; use --client httpx")
    from payloads import typical_request

    runner = run_wrk if args.client == "wrk" else run_httpx
    bodies = {
        "json": json.dumps(typical_request(stream=False)).encode(),
        "stream": json.dumps(typical_request(stream=True)).encode(),
    }
    servers = {m: start(m) for m in MODES}
    results: dict[tuple[str, str], list[float]] = {}
    try:
        for kind, b in bodies.items():
            for _, port in servers.values():  # warm-up
                runner(port, b, 0.5, args.threads)
            for _ in range(args.rounds):
                for mode, (_, port) in servers.items():
                    results.setdefault((kind, mode), []).append(runner(port, b, args.seconds, args.threads))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    micro()
    print(f"client={args.client} threads={args.threads} seconds={args.seconds} rounds={args.rounds} (median req/s)")
    print(f"{'request':8} " + " ".join(f"{m:>12}" for m in MODES) + "   nonmatching/none")
    for kind in bodies:
        med = {m: statistics.median(results[(kind, m)]) for m in MODES}
        print(f"{kind:8} " + " ".join(f"{med[m]:12.0f}" for m in MODES) + f"   {med['nonmatching'] / med['none']:.3f}")


if __name__ == "__main__":
    main()
