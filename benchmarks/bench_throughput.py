"""Requests/second of mockclaude against a bare Starlette app on the same uvicorn, side by side.

    python benchmarks/bench_throughput.py [--seconds 5] [--rounds 3] [--connections 32]

Needs ``wrk`` (Debian: ``apt-get install wrk``). Each server runs in its own process (one uvicorn
worker, uvloop + httptools when installed); wrk runs one thread. Rounds alternate between the two
servers so that noise on this shared machine hits both alike; the median of the rounds is reported.
The request is a typical 10-turn conversation with 3 tools (benchmarks/payloads.py), sent as JSON and
as a streaming request.
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from payloads import typical_request  # noqa: E402

LUA = """
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "sk-bench"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.body = io.open("{body}"):read("*a")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not start")


def start(kind: str, extra: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if kind == "bare":
        cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning",
               "--no-access-log", "--loop", "auto", "--http", "auto"]
    else:
        cmd = [sys.executable, "-m", "mockclaude.cli", "serve", "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(port)
    return proc, port


def wrk(port: int, script: str, seconds: float, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", script, f"http://127.0.0.1:{port}/v1/messages"],
        capture_output=True, text=True, check=True,
    ).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} error answers:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--mock-args", default="", help="extra arguments for mockclaude serve")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="mockclaude-bench-"))
    scripts = {}
    for mode in ("json", "sse"):
        body = tmp / f"{mode}.json"
        body.write_text(json.dumps(typical_request(stream=mode == "sse")))
        script = tmp / f"{mode}.lua"
        script.write_text(LUA.format(body=body))
        scripts[mode] = str(script)
    servers = {"bare": start("bare", []), "mockclaude": start("mock", args.mock_args.split())}
    results: dict[tuple[str, str], list[float]] = {}
    try:
        for mode in ("json", "sse"):
            for _name, (_, port) in servers.items():  # warm-up
                wrk(port, scripts[mode], 1, args.connections)
            for _ in range(args.rounds):
                for name, (_, port) in servers.items():
                    results.setdefault((name, mode), []).append(wrk(port, scripts[mode], args.seconds, args.connections))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    print(f"{'mode':<6}{'bare req/s':>12}{'mockclaude req/s':>18}{'ratio':>8}{'overhead':>10}")
    for mode in ("json", "sse"):
        bare = statistics.median(results[("bare", mode)])
        mock = statistics.median(results[("mockclaude", mode)])
        print(f"{mode:<6}{bare:>12.0f}{mock:>18.0f}{mock / bare:>8.2f}{1 - mock / bare:>10.0%}")
    print(f"(wrk -t1 -c{args.connections}, {args.rounds} x {args.seconds}s rounds, median; pid {os.getpid()})")


if __name__ == "__main__":
    main()
