"""Recording: the rate at a cassette of 10 vs 5,000 interactions, and SIGKILLs under concurrent clients.

    python benchmarks/bench_recording.py rate  [--sizes 10,5000] [--requests 200] [--syntax yaml|json]
    python benchmarks/bench_recording.py crash [--rounds 3] [--clients 100] [--seconds 2]
    ... [--root /path/to/a/mockclaude/checkout]   # run the recorder from another tree (a before/after)

``rate``: a recorder (``mockclaude serve --record-mode new_episodes``) in front of a synthetic
upstream (a second ``mockclaude serve``), its cassette pre-filled with N recorded interactions;
``--requests`` distinct requests are recorded one after another (sequentially: each waits for its
own save, as a client does) and the rate is interactions/s. Target: the rate at 5,000 within 20% of
the rate at 10.

``crash``: each round starts the recorder on the same cassette, lets ``--clients`` concurrent
clients (half streaming, half JSON, each request distinct) record for ``--seconds``, then SIGKILLs
it. A request counts as *completed* when its client got the whole JSON answer, or the stream's
``message_stop`` event. After each kill the cassette is read (a torn last record is reported, then
repaired with ``mockclaude cassette lint --fix``, as a user would) and every completed request must
be in it. Leftover temporary files are counted. Bounded: rounds x seconds plus start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
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
from mockclaude.errors import CassetteError  # noqa: E402

MODEL = "claude-haiku-4-5"
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}


def request_body(tag: str, *, stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODEL, "max_tokens": 32, "messages": [{"role": "user", "content": f"Say {tag}."}]}
    if stream:
        body["stream"] = True
    return body


def prefilled(path: Path, n: int) -> None:
    """A cassette of n recorded interactions (as the recorder would have written them)."""
    items = []
    for i in range(n):
        msg = {"id": f"msg_{i:08d}", "type": "message", "role": "assistant", "model": MODEL,
               "content": [{"type": "text", "text": f"Answer {i}."}], "stop_reason": "end_turn",
               "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 3}}
        items.append(Interaction(
            RecordedRequest("POST", "/v1/messages", body=request_body(f"prefill {i}"),
                            headers={"content-type": "application/json", "anthropic-version": "2023-06-01"}),
            RecordedResponse(200, {"content-type": "application/json", "request-id": f"req_{i}"}, body=msg),
            recorded_at="2026-01-01T00:00:00Z",
        ))
    Cassette(items, path=path).save()


def start_server(args: list[str], root: Path, timeout: float = 60.0) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen([sys.executable, "-m", "mockclaude", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=root)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    if "listening on" not in line or time.monotonic() > deadline:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        raise SystemExit(f"server did not start: {line!r} (run it by hand to see why)")
    return proc, line.strip().rsplit(" ", 1)[-1]


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# --- rate --------------------------------------------------------------------------------------


def record_rate(url: str, n: int, tag: str) -> float:
    import httpx

    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as c:
        c.post("/v1/messages", json=request_body(f"{tag} warm-up")).raise_for_status()
        t0 = time.perf_counter()
        for i in range(n):
            r = c.post("/v1/messages", json=request_body(f"{tag} {i}"))
            if r.status_code != 200:
                raise SystemExit(f"unexpected {r.status_code}: {r.text[:200]}")
        return n / (time.perf_counter() - t0)


def cmd_rate(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mockclaude-rec-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    up, up_url = start_server([], args.root)
    rates: dict[int, list[float]] = {n: [] for n in sizes}
    try:
        recorders = {}
        for n in sizes:
            path = tmp / f"c{n}.{args.syntax}"
            prefilled(path, n)
            recorders[n] = start_server(["--cassette", str(path), "--record-mode", "new_episodes",
                                         "--upstream", up_url], args.root)
        for rnd in range(args.rounds):  # alternate, so machine noise hits both sizes alike
            for n in sizes:
                rates[n].append(record_rate(recorders[n][1], args.requests, f"r{rnd} n{n}"))
        for proc, _ in recorders.values():
            stop(proc)
    finally:
        stop(up)
    base = max(rates[sizes[0]])
    print(f"{'cassette size':>14}{'recorded/s (best of ' + str(args.rounds) + ')':>28}{'vs ' + str(sizes[0]):>10}")
    for n in sizes:
        best = max(rates[n])
        print(f"{n:>14}{best:>28.1f}{best / base:>10.2f}")
    print(f"({args.requests} sequential recordings per round, {args.syntax}; recorder from {args.root})")


# --- crash -------------------------------------------------------------------------------------


async def clients(url: str, n: int, seconds: float, completed: set[str], round_no: int, victim: Any) -> int:
    """n clients recording until the recorder dies; it is SIGKILLed after ``seconds``, mid-load."""
    import httpx

    sent = 0
    errors: list[str] = []
    stop_at = time.monotonic() + seconds + 30  # a bound in case the kill does not stop them

    async def killer() -> None:
        await asyncio.sleep(seconds)
        give_up = time.monotonic() + 20  # a loaded machine: kill once something completed, at the latest then
        while len(completed) < n and time.monotonic() < give_up:
            await asyncio.sleep(0.05)
        victim.send_signal(signal.SIGKILL)

    async def one(i: int) -> None:
        nonlocal sent
        stream = i % 2 == 0
        async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30) as c:
            k = 0
            while time.monotonic() < stop_at:
                tag = f"round {round_no} client {i} request {k}"
                k += 1
                sent += 1
                try:
                    if stream:
                        async with c.stream("POST", "/v1/messages", json=request_body(tag, stream=True)) as r:
                            async for line in r.aiter_lines():
                                if line == "event: message_stop":
                                    completed.add(tag)
                    else:
                        r = await c.post("/v1/messages", json=request_body(tag))
                        if r.status_code == 200 and r.json().get("type") == "message":
                            completed.add(tag)
                except (httpx.HTTPError, ValueError) as err:
                    errors.append(f"{type(err).__name__}: {err}")
                    return  # the recorder is gone

    await asyncio.gather(killer(), *(one(i) for i in range(n)))
    if os.environ.get("BENCH_DEBUG"):
        print(sorted(set(errors))[:5])
    return sent


def recorded_tags(path: Path) -> tuple[set[str], str]:
    """The requests recorded in the cassette, and what reading it said (ok / torn, repaired)."""
    note = "ok"
    if not path.exists():
        return set(), "no file"
    try:
        cassette = Cassette.load(path)
    except CassetteError as err:
        from mockclaude.cassette.cli import fix_cassette

        note = f"reported: {str(err).split(': ', 1)[-1][:60]}...; lint --fix: {fix_cassette(str(path))}"
        cassette = Cassette.load(path)
    tags = set()
    for it in cassette:
        content = it.request.body["messages"][0]["content"]
        tags.add(content[len("Say "):-1])
    return tags, note


def run_crash(rounds: int, n_clients: int, seconds: float, root: Path, workdir: Path) -> dict[str, Any]:
    """The crash rounds; returns the totals (used by tests/test_record_crash.py too)."""
    path = workdir / "crash.yaml"
    up, up_url = start_server([], root)
    totals: dict[str, Any] = {"completed": 0, "lost": 0, "sent": 0, "recorded": 0, "temp_files": 0, "notes": []}
    try:
        for rnd in range(rounds):
            rec, url = start_server(["--cassette", str(path), "--record-mode", "new_episodes", "--upstream", up_url], root)
            completed: set[str] = set()
            try:
                sent = asyncio.run(clients(url, n_clients, seconds, completed, rnd, rec))
            finally:
                rec.kill()
                rec.wait()
                if rec.stdout is not None:
                    rec.stdout.close()
            tags, note = recorded_tags(path)
            lost = completed - tags
            temps = [p.name for p in workdir.iterdir() if p.name != path.name]
            totals["completed"] += len(completed)
            totals["lost"] += len(lost)
            totals["sent"] += sent
            totals["recorded"] = len(tags)
            totals["temp_files"] += len(temps)
            totals["notes"].append(note)
            print(f"round {rnd + 1}: sent {sent}, completed {len(completed)}, lost {len(lost)}, "
                  f"in cassette {len(tags)}, temp files {len(temps)}, cassette: {note}", flush=True)
    finally:
        stop(up)
    return totals


def cmd_crash(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="mockclaude-crash-"))
    t = run_crash(args.rounds, args.clients, args.seconds, args.root, workdir)
    print(f"total over {args.rounds} SIGKILL rounds ({args.clients} concurrent clients): completed "
          f"{t['completed']}, lost {t['lost']}, temp files left {t['temp_files']} (recorder from {args.root})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rate")
    r.add_argument("--sizes", default="10,5000")
    r.add_argument("--requests", type=int, default=200)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--syntax", choices=("yaml", "json"), default="yaml")
    c = sub.add_parser("crash")
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--clients", type=int, default=100)
    c.add_argument("--seconds", type=float, default=2.0)
    for p in (r, c):
        p.add_argument("--root", type=Path, default=ROOT, help="the mockclaude tree the recorder runs from")
    args = ap.parse_args()
    cmd_rate(args) if args.cmd == "rate" else cmd_crash(args)


if __name__ == "__main__":
    main()
