"""Cassette replay: requests/second from a cassette of 200 and of 100,000 interactions, side by side.

    python benchmarks/bench_cassette.py [--small 200] [--large 100000] [--seconds 3] [--rounds 5] [--connections 32]

What it shows: lookup is a hash of the match key, so replay throughput does not depend on the
cassette's size (target: the two within 10%). Both servers are sent the same mix: 200 distinct
recorded requests, cycled (the small cassette holds exactly those 200 by default; a smaller one would
also be a smaller mix of requests, which is a different comparison — with 10 the gap was ~15% on a
fast server for that reason). It also reports, for the large cassette, the time to
load it (parse + index) and the peak memory of the process that loaded it, measured in a fresh
subprocess (peak RSS, ``ru_maxrss``), plus the load rate of the YAML syntax for comparison.

The cassettes are generated (plain JSON answers to distinct questions). The large one is written in
the JSON syntax of the cassette format (the same document; libyaml-backed YAML reads ~1,000
interactions/s, too slow for 100,000 — see docs/cassettes.md). Each server is ``mockclaude serve``
in its own process (uvloop + httptools when installed). Requests are sent with ``wrk`` when it is
installed — cycling through 200 distinct recorded requests (spread over the whole cassette) so that
every request is a real lookup — otherwise with an httpx client loop of a bounded count. Rounds
alternate between the two servers so machine noise hits both alike; the median is reported.
"""

from __future__ import annotations

import argparse
import asyncio
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from mockclaude.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse  # noqa: E402

MODEL = "claude-haiku-4-5"
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}
SAMPLE = 200  # distinct requests the load cycles through


def request_body(i: int) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": f"Question number {i}: what is {i} squared?"}],
    }


def interaction(i: int) -> Interaction:
    message = {
        "id": f"msg_bench{i:012d}",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": f"{i} squared is {i * i}."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 16, "output_tokens": 9},
    }
    return Interaction(
        RecordedRequest(
            "POST",
            "/v1/messages",
            body=request_body(i),
            headers={
                "content-type": "application/json",
                "x-api-key": "[REDACTED]",
                "anthropic-version": "2023-06-01",
            },
        ),
        RecordedResponse(
            200, {"content-type": "application/json", "request-id": f"req_bench{i:012d}"}, body=message
        ),
    )


def generate(path: Path, n: int) -> float:
    started = time.perf_counter()
    Cassette([interaction(i) for i in range(n)], path=path).save()
    return time.perf_counter() - started


LOAD_PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
from mockclaude.cassette import Cassette, Index, Matcher

def hwm():  # peak RSS of this process in kB (VmHWM starts afresh at exec, unlike ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

base = hwm()
t0 = time.perf_counter()
c = Cassette.load({path!r})
t1 = time.perf_counter()
idx = Index(Matcher(), c.interactions)
t2 = time.perf_counter()
peak = hwm()
print(json.dumps({{"n": len(c), "parse": t1 - t0, "index": t2 - t1, "base_kb": base, "peak_kb": peak}}))
"""


def probe_load(path: Path) -> dict[str, Any]:
    code = LOAD_PROBE.format(root=str(ROOT), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(cassette: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockclaude.cli", "serve", "--port", str(port), "--cassette", str(cassette)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"server for {cassette} exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"server for {cassette} did not start")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def sample_indices(n: int) -> list[int]:
    k = min(SAMPLE, n)
    return sorted({i * n // k for i in range(k)})


WRK_LUA = """
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "sk-bench"
wrk.headers["anthropic-version"] = "2023-06-01"
local bodies = {{}}
for line in io.lines("{bodies}") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/messages", nil, bodies[i])
end
"""


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def run_httpx(port: int, bodies: list[bytes], count: int, connections: int) -> tuple[float, int]:
    import httpx

    async def go() -> tuple[float, int]:
        bad = 0
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=HEADERS, limits=limits
        ) as c:
            queue = list(range(count))

            async def worker() -> None:
                nonlocal bad
                while queue:
                    i = queue.pop()
                    r = await c.post("/v1/messages", content=bodies[i % len(bodies)])
                    bad += r.status_code != 200

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            return count / (time.perf_counter() - started), bad

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=SAMPLE, help="interactions of the small cassette (default: as many as the load cycles through)")
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument(
        "--yaml-sample", type=int, default=2_000, help="interactions for the YAML load-rate figure"
    )
    ap.add_argument("--seconds", type=int, default=3, help="per wrk round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--requests", type=int, default=3_000, help="per round, httpx fallback only")
    args = ap.parse_args()

    use_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory(prefix="mockclaude-bench-") as tmp:
        d = Path(tmp)
        small, large, yml = d / "small.json", d / "large.json", d / "sample.yaml"
        gen_small = generate(small, args.small)
        gen_large = generate(large, args.large)
        generate(yml, args.yaml_sample)
        load = probe_load(large)
        yaml_load = probe_load(yml)

        servers: dict[str, tuple[subprocess.Popen[bytes], int, float]] = {}
        try:
            for name, path in (("small", small), ("large", large)):
                servers[name] = start_server(path)
            files: dict[str, Path] = {}
            bodies: dict[str, list[bytes]] = {}
            for name, n in (("small", args.small), ("large", args.large)):
                bodies[name] = [
                    json.dumps(request_body(i), separators=(",", ":")).encode() for i in sample_indices(n)
                ]
                files[name] = d / f"{name}.bodies"
                files[name].write_bytes(b"\n".join(bodies[name]) + b"\n")
                script = d / f"{name}.lua"
                script.write_text(WRK_LUA.format(bodies=files[name]))
            # warm up both (first requests compile validators, fill caches)
            for name in servers:
                run_httpx(servers[name][1], bodies[name], 200, 4)
            results: dict[str, list[float]] = {"small": [], "large": []}
            errors = {"small": 0, "large": 0}
            for _ in range(args.rounds):
                for name in ("small", "large"):
                    port = servers[name][1]
                    if use_wrk:
                        rps, bad = run_wrk(port, d / f"{name}.lua", args.seconds, args.connections)
                    else:
                        rps, bad = run_httpx(port, bodies[name], args.requests, args.connections)
                    results[name].append(rps)
                    errors[name] += bad
            rss = {name: peak_rss_mb(proc.pid) for name, (proc, _, _) in servers.items()}
        finally:
            for proc, _, _ in servers.values():
                proc.terminate()
            for proc, _, _ in servers.values():
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()

    med = {k: statistics.median(v) for k, v in results.items()}
    ratio = med["large"] / med["small"]
    tool = f"wrk -t1 -c{args.connections} -d{args.seconds:g}s" if use_wrk else f"httpx x{args.connections}"
    print(f"\nmockclaude cassette replay ({tool}, {args.rounds} rounds, median; {os.cpu_count()} CPUs)\n")
    print(f"{'cassette':<24}{'req/s':>10}{'rounds':>38}{'non-200':>9}{'server peak RSS':>17}{'startup':>9}")
    for name, n in (("small", args.small), ("large", args.large)):
        rounds = " ".join(f"{r:,.0f}" for r in results[name])
        print(
            f"{f'{n:,} interactions':<24}{med[name]:>10,.0f}{rounds:>38}{errors[name]:>9}"
            f"{rss[name]:>14,.0f} MB{servers[name][2]:>8.1f}s"
        )
    print(
        f"\nlarge/small throughput: {ratio:.1%} ({'within' if abs(1 - ratio) <= 0.10 else 'NOT within'} 10%)"
    )
    print(f"\nload of the {load['n']:,}-interaction cassette (JSON syntax, {large.name}), fresh process:")
    print(f"  parse {load['parse']:.2f}s + index {load['index']:.2f}s = {load['parse'] + load['index']:.2f}s")
    print(
        f"  peak RSS {load['peak_kb'] / 1024:,.0f} MB "
        f"(+{(load['peak_kb'] - load['base_kb']) / 1024:,.0f} MB over the interpreter with mockclaude imported)"
    )
    print(f"  generated in {gen_large:.1f}s ({gen_small * 1000:.0f} ms for the small one)")
    rate_json = load["n"] / (load["parse"] + load["index"])
    rate_yaml = yaml_load["n"] / (yaml_load["parse"] + yaml_load["index"])
    print(
        f"\nload rate: JSON syntax {rate_json:,.0f} interactions/s; YAML syntax {rate_yaml:,.0f} interactions/s "
        f"(measured on {yaml_load['n']:,})"
    )


if __name__ == "__main__":
    main()
