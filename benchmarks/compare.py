"""mockclaude against bare Starlette and aimock, side by side in one run: requests/s and cold start.

    python benchmarks/compare.py                       # everything, ~6 minutes on an idle 2-core box
    python benchmarks/compare.py --against main        # also the mockclaude of a git ref (before/after)
    python benchmarks/compare.py --variant "w2=--workers 2" --only json,heavy --bodies vary
    python benchmarks/compare.py --command "granian=granian --interface asgi --runtime-mode st --port {port} app:app"
    python benchmarks/compare.py --seconds 2 --rounds 1 --cold-runs 2     # a quick look

Servers, each in its own process, one worker:

* ``bare``       — benchmarks/bare_app.py on the same uvicorn (uvloop + httptools): parses the body,
  answers a constant message; the ceiling of a Python ASGI app on this machine;
* ``mockclaude`` — ``mockclaude serve`` from this tree (full validation, journal, synthetic answers);
* ``mockclaude@REF`` — the same from a git ref checked out in a temporary worktree (``--against``);
* extra ``--variant LABEL=ARGS`` — this tree's ``mockclaude serve`` with extra arguments, and
  ``--command LABEL=CMD`` — any other server (``{port}`` in CMD: its port; run in benchmarks/);
* ``aimock``     — ``@copilotkit/aimock`` (Node), pinned in benchmarks/node/package.json and its lockfile,
  installed there with ``npm ci`` when npm is present (else skipped, with a note), serving one
  catch-all fixture.

Workloads (``POST /v1/messages``): ``json`` and ``sse`` (one user turn), ``heavy`` (10 turns with two
tool round trips, 3 tools, JSON), ``t100`` and ``t500`` (100 and 500 plain user/assistant turns, about
22 KB and 110 KB). Each is sent twice: the ``same`` body on every request, and a body that ``vary``s on
every request (a counter in the last user turn), so no cache of answers can make a figure.

Load: ``wrk`` (Debian: ``apt-get update && apt-get install -y wrk``; without it this script stops with
that message), one thread, ``-c32`` (``-c16`` for t100/t500). Every answer is checked in wrk's Lua
``response`` hook — status 200 and the shape of an Anthropic message (JSON: ``"type":"message"``,
``content`` list, ``usage``; SSE: ``message_start`` first, ``message_stop`` last) — and one answer per
server and workload is also fully parsed here. Rounds alternate between the servers, so machine noise
hits all alike; the median of the rounds is reported. Cold start is launch → first 200 to a real
``POST /v1/messages``, median of ``--cold-runs``, with the mockclaude trees byte-compiled first as an
install would be (``--no-compile``: not). Everything is bounded: each wrk run lasts
``--seconds``, servers are killed at the end.

Two tables: requests/s (wall clock), and on Linux requests per CPU-second of the server (its
process and its children, from /proc, during the same runs). On a machine shared with other work the
second is the steadier measure of what a request costs: time spent waiting for a core is not CPU
time. Its cold start row is likewise the CPU seconds a server spent from launch to its first 200. (Node's helper threads count in aimock's CPU time, as they should.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_DIR = HERE / "node"
sys.path.insert(0, str(HERE))

from payloads import typical_request  # noqa: E402

MARK = "@@VARY@@"
MODEL = "claude-sonnet-4-5-20250929"
HEADERS = {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"}
AIMOCK_TEXT = "A random forest is an ensemble of decision trees trained on random subsets."


# --------------------------------------------------------------------------- workloads


def _turns(n: int) -> dict[str, Any]:
    """``n`` plain turns (user first and last), about 220 bytes each."""
    messages = []
    for i in range(n):
        if i % 2 == 0:
            text = f"Question {i}: how does step {i} of the pipeline change the features before training? " * 2
        else:
            text = f"Answer {i}: step {i} rescales the columns and drops the ones with no variance at all. " * 2
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text.strip()})
    if n % 2 == 0:
        messages.append({"role": "user", "content": "And then?"})
    messages[-1]["content"] += f" {MARK}"
    return {"model": MODEL, "max_tokens": 1024, "messages": messages}


def _one_turn(stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": f"What is a random forest, in one sentence? {MARK}"}],
    }
    if stream:
        body["stream"] = True
    return body


def _heavy() -> dict[str, Any]:
    body = typical_request(stream=False)
    body["messages"][-1]["content"] += f" {MARK}"
    return body


@dataclass
class Workload:
    name: str
    body: dict[str, Any]
    connections: int
    stream: bool = False

    @property
    def template(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


def workloads(connections: int) -> list[Workload]:
    return [
        Workload("json", _one_turn(False), connections),
        Workload("sse", _one_turn(True), connections, stream=True),
        Workload("heavy", _heavy(), connections),
        Workload("t100", _turns(99), max(1, connections // 2)),
        Workload("t500", _turns(499), max(1, connections // 2)),
    ]


# --------------------------------------------------------------------------- wrk

LUA = r"""
wrk.method = "POST"
wrk.path = "/v1/messages"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "sk-bench"
wrk.headers["anthropic-version"] = "2023-06-01"
local f = assert(io.open("__TEMPLATE__", "rb"))
local template = f:read("*a")
f:close()
local s, e = string.find(template, "__MARK__", 1, true)
local head, tail = string.sub(template, 1, s - 1), string.sub(template, e + 1)
local stream = __STREAM__
ok, bad, first = 0, 0, nil
local threads = {}
function setup(thread) table.insert(threads, thread) end

__REQUEST__

local function good(status, body)
  if status ~= 200 or body == nil then return false end
  if stream then
    return string.find(body, "^event: message_start\ndata: {") ~= nil
      and string.find(body, '"type"%s*:%s*"message"') ~= nil
      and string.find(body, 'event: message_stop\ndata: {"type"%s*:%s*"message_stop"}%s*$') ~= nil
  end
  return string.find(body, '^{') ~= nil
    and string.find(body, '"type"%s*:%s*"message"') ~= nil
    and string.find(body, '"role"%s*:%s*"assistant"') ~= nil
    and string.find(body, '"content"%s*:%s*%[%s*{%s*"type"%s*:%s*"text"') ~= nil
    and string.find(body, '"usage"%s*:%s*{') ~= nil
    and string.find(body, '}%s*$') ~= nil
end

function response(status, headers, body)
  if good(status, body) then
    ok = ok + 1
  else
    bad = bad + 1
    if first == nil then first = tostring(status) .. " " .. string.sub(tostring(body), 1, 300) end
  end
end

function done(summary, latency, requests)
  local tok, tbad, tfirst = 0, 0, nil
  for _, t in ipairs(threads) do
    tok = tok + t:get("ok")
    tbad = tbad + t:get("bad")
    tfirst = tfirst or t:get("first")
  end
  io.write(string.format("CHECK ok=%d bad=%d\n", tok, tbad))
  if tfirst then io.write("FIRSTBAD " .. string.gsub(tfirst, "\n", "\\n") .. "\n") end
end
"""

SAME = r"""
function init(args)
  wrk.body = head .. "0" .. tail
  req = wrk.format()
end
function request() return req end
"""

VARY = r"""
local n = 0
local id = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  id = math.random(1, 1000000000)
end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, head .. id .. "-" .. n .. tail)
end
"""


def lua_script(template: Path, stream: bool, vary: bool) -> str:
    return (
        LUA.replace("__TEMPLATE__", str(template))
        .replace("__MARK__", MARK)
        .replace("__STREAM__", "true" if stream else "false")
        .replace("__REQUEST__", VARY if vary else SAME)
    )


@dataclass
class Run:
    rps: float
    ok: int
    bad: int
    first_bad: str | None
    errors: str | None  # wrk's socket errors line, if any
    per_cpu: float | None = None  # requests per CPU-second of the server (Linux), None if unknown


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process and its live descendants so far (Linux /proc; None
    elsewhere). Requests per CPU-second of the server is the figure a shared machine cannot blur:
    waiting for a core costs no CPU time."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            if p == pid:
                return None
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        todo += [int(k) for k in kids]
    return total


def run_wrk(port: int, script: Path, seconds: int, connections: int, pid: int | None = None) -> Run:
    cpu_before = cpu_seconds(pid) if pid is not None else None
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
           f"http://127.0.0.1:{port}/v1/messages"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps_m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    check = re.search(r"CHECK ok=(\d+) bad=(\d+)", out)
    first = re.search(r"FIRSTBAD (.*)", out)
    errs = re.search(r"Socket errors:.*", out)
    if rps_m is None or check is None:
        raise SystemExit(f"wrk gave no figures:\n{out}")
    cpu_after = cpu_seconds(pid) if pid is not None else None
    ok, bad = int(check.group(1)), int(check.group(2))
    per_cpu = None
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        per_cpu = (ok + bad) / (cpu_after - cpu_before)
    return Run(float(rps_m.group(1)), ok, bad, first.group(1) if first else None,
               errs.group(0) if errs else None, per_cpu)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(port: int, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a fresh connection: (status, body); raises OSError when refused."""
    head = (
        f"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"x-api-key: sk-bench\r\nanthropic-version: 2023-06-01\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ConnectionResetError("empty answer")
    header, _, payload = data.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in header.lower():
        payload = _dechunk(payload)
    return status, payload


def _dechunk(data: bytes) -> bytes:
    out, pos = [], 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def full_check(status: int, payload: bytes, stream: bool) -> str | None:
    """None when ``payload`` is an Anthropic-shaped 200 answer, else what is wrong."""
    if status != 200:
        return f"status {status}: {payload[:200]!r}"
    try:
        if stream:
            events = []
            for frame in payload.decode().split("\n\n"):
                if not frame.strip():
                    continue
                lines = dict(line.split(": ", 1) for line in frame.split("\n"))
                data = json.loads(lines["data"])
                if data["type"] != lines["event"]:
                    return f"event {lines['event']} carries {data['type']}"
                events.append(data)
            if events[0]["type"] != "message_start" or events[-1]["type"] != "message_stop":
                return "stream does not run message_start .. message_stop"
            message = events[0]["message"]
            if not any(e["type"] == "content_block_delta" for e in events):
                return "stream has no content delta"
        else:
            message = json.loads(payload)
            if not message.get("content") or message["content"][0]["type"] != "text":
                return "no text content"
            if message.get("stop_reason") not in ("end_turn", "max_tokens", "tool_use", "stop_sequence"):
                return f"stop_reason {message.get('stop_reason')!r}"
        if message["type"] != "message" or message["role"] != "assistant":
            return "not an assistant message"
        if not isinstance(message["usage"]["input_tokens"], int):
            return "usage.input_tokens is not an integer"
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return f"unparsable answer ({type(exc).__name__}: {exc}): {payload[:200]!r}"
    return None


@dataclass
class Server:
    label: str
    cmd: list[str]  # with {port} placeholders
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    note: str = ""

    def command(self, port: int) -> list[str]:
        return [c.replace("{port}", str(port)) for c in self.cmd]

    def launch(self) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        proc = subprocess.Popen(self.command(port), cwd=self.cwd, env={**os.environ, **self.env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return proc, port

    def start(self, probe: bytes) -> float:
        """Launch and wait for the first 200 to ``probe``; returns seconds from launch."""
        started = time.perf_counter()
        self.proc, self.port = self.launch()
        wait_first_200(self.proc, self.port, probe, self.label)
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


def wait_first_200(proc: subprocess.Popen[bytes], port: int, probe: bytes, label: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"{label} exited with {proc.returncode}: {err[-2000:]}")
        try:
            status, payload = post(port, probe)
        except OSError:
            time.sleep(0.002)
            continue
        if status == 200:
            return
        raise SystemExit(f"{label} answered {status} to the probe: {payload[:300]!r}")
    stop_process(proc)
    raise SystemExit(f"{label} gave no 200 within {timeout}s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def mockclaude_server(label: str, tree: Path, extra: list[str]) -> Server:
    return Server(
        label,
        [sys.executable, "-m", "mockclaude", "serve", "--port", "{port}", *extra],
        cwd=tree,
        env={"PYTHONPATH": str(tree)},  # beats the editable install's path: this tree's package
    )


def aimock_server(tmp: Path) -> Server | None:
    """aimock from benchmarks/node (``npm ci`` when missing), or None with the reason printed."""
    cli = NODE_DIR / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    if not cli.exists():
        if shutil.which("npm") is None or shutil.which("node") is None:
            print("note: aimock skipped: npm/node not found (install Node.js to compare with it)")
            return None
        print("installing aimock (npm ci in benchmarks/node) ...", flush=True)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not cli.exists():
            print(f"note: aimock skipped: npm ci failed: {(r.stderr or r.stdout)[-500:]}")
            return None
    fixture = tmp / "aimock-fixtures.json"
    fixture.write_text(json.dumps({"fixtures": [{"match": {}, "response": {"content": AIMOCK_TEXT}}]}))
    return Server("aimock", ["node", str(cli), "-p", "{port}", "-f", str(fixture), "--log-level", "silent"],
                  cwd=NODE_DIR)


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mc-compare-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


# --------------------------------------------------------------------------- the run


def cold_starts(servers: list[Server], probe: bytes, runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds from launch to the first 200, and median CPU seconds the server spent by then
    (Linux; the steadier figure on a shared machine: it leaves out waiting for a core)."""
    times: dict[str, list[float]] = {s.label: [] for s in servers}
    cpu: dict[str, list[float]] = {s.label: [] for s in servers}
    for _ in range(runs):
        for s in servers:
            started = time.perf_counter()
            proc, port = s.launch()
            try:
                wait_first_200(proc, port, probe, s.label)
                times[s.label].append(time.perf_counter() - started)
                used = cpu_seconds(proc.pid)
                if used is not None:
                    cpu[s.label].append(used)
            finally:
                stop_process(proc)
    walls = {k: statistics.median(v) for k, v in times.items()}
    cpus = {k: statistics.median(v) for k, v in cpu.items() if len(v) == runs}
    return walls, cpus


def fmt_rps(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=4, help="per wrk run (default 4)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per workload, servers alternating (default 2)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (t100/t500: half; default 32)")
    ap.add_argument("--cold-runs", type=int, default=5, help="launches per server for cold start (default 5)")
    ap.add_argument("--only", default="", help="comma-separated workloads (json,sse,heavy,t100,t500)")
    ap.add_argument("--bodies", default="same,vary", help="same, vary or both (default same,vary)")
    ap.add_argument("--against", metavar="REF", help="also run the mockclaude of this git ref")
    ap.add_argument("--variant", action="append", default=[], metavar="LABEL=ARGS",
                    help="also this tree's mockclaude serve with extra arguments (repeatable)")
    ap.add_argument("--mock-args", default="", help="extra arguments for this tree's mockclaude serve")
    ap.add_argument("--command", action="append", default=[], metavar="LABEL=CMD",
                    help="also any server started by CMD ({port}: its port), run in benchmarks/ (repeatable)")
    ap.add_argument("--no-aimock", action="store_true")
    ap.add_argument("--no-bare", action="store_true")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not byte-compile the mockclaude trees first (cold start then includes compiling the "
                         "modules that have no .pyc yet: --against's fresh checkout, this tree's edited files)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk (Debian/Ubuntu), "
                         "or brew install wrk (macOS)")
    chosen = workloads(args.connections)
    if args.only:
        names = [n.strip() for n in args.only.split(",")]
        unknown = set(names) - {w.name for w in chosen}
        if unknown:
            raise SystemExit(f"unknown workload(s) {sorted(unknown)}; valid: {[w.name for w in chosen]}")
        chosen = [w for w in chosen if w.name in names]
    modes = [m.strip() for m in args.bodies.split(",")]
    if not set(modes) <= {"same", "vary"}:
        raise SystemExit("--bodies takes same, vary or same,vary")

    with tempfile.TemporaryDirectory(prefix="mc-compare-") as tmp_s, contextlib_ref(args.against) as old_tree:
        tmp = Path(tmp_s)
        servers: list[Server] = []
        if not args.no_bare:
            servers.append(Server("bare", [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", "{port}",
                                           "--log-level", "warning", "--no-access-log", "--lifespan", "off"],
                                  cwd=HERE, env={"PYTHONPATH": str(ROOT)}))
        servers.append(mockclaude_server("mockclaude", ROOT, shlex.split(args.mock_args)))
        if old_tree is not None:
            servers.append(mockclaude_server(f"mockclaude@{args.against}", old_tree, shlex.split(args.mock_args)))
        for v in args.variant:
            label, _, extra = v.partition("=")
            servers.append(mockclaude_server(label, ROOT, shlex.split(extra)))
        for c in args.command:
            label, _, cmd = c.partition("=")
            servers.append(Server(label, shlex.split(cmd), cwd=HERE, env={"PYTHONPATH": str(ROOT)}))
        if not args.no_aimock:
            aim = aimock_server(tmp)
            if aim is not None:
                servers.append(aim)

        if not args.no_compile:
            # pip byte-compiles a package it installs; a source tree has no .pyc until Python writes them,
            # and never under PYTHONDONTWRITEBYTECODE: compiling ~1 MB of mockclaude's source on every
            # launch would be timed as cold start. (The other servers' packages are installed: compiled.)
            for tree in [ROOT] + ([old_tree] if old_tree is not None else []):
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "mockclaude")], check=True,
                               stdout=subprocess.DEVNULL)
        probe = json.dumps(_one_turn(False), separators=(",", ":")).replace(MARK, "probe").encode()
        print(f"cold start: {args.cold_runs} launches per server ...", flush=True)
        cold, cold_cpu = cold_starts(servers, probe, args.cold_runs)

        results: dict[tuple[str, str, str], list[float]] = {}
        per_cpu: dict[tuple[str, str, str], list[float]] = {}
        bad_notes: list[str] = []
        try:
            for s in servers:
                s.start(probe)
            for w in chosen:
                template = tmp / f"{w.name}.json"
                template.write_bytes(w.template)
                for mode in modes:
                    script = tmp / f"{w.name}-{mode}.lua"
                    script.write_text(lua_script(template, w.stream, mode == "vary"))
                    sample = w.template.replace(MARK.encode(), b"sample")
                    for s in servers:
                        problem = full_check(*post(s.port, sample, timeout=30), w.stream)
                        if problem:
                            bad_notes.append(f"{s.label} {w.name}: full check: {problem}")
                        run_wrk(s.port, script, 1, w.connections)  # warm-up
                    for _ in range(args.rounds):
                        for s in servers:
                            r = run_wrk(s.port, script, args.seconds, w.connections,
                                        s.proc.pid if s.proc is not None else None)
                            results.setdefault((s.label, w.name, mode), []).append(r.rps)
                            if r.per_cpu is not None:
                                per_cpu.setdefault((s.label, w.name, mode), []).append(r.per_cpu)
                            if r.bad or r.ok == 0:
                                bad_notes.append(f"{s.label} {w.name}/{mode}: {r.bad} bad of {r.ok + r.bad}"
                                                 f"{': ' + r.first_bad if r.first_bad else ''}")
                            if r.errors:
                                bad_notes.append(f"{s.label} {w.name}/{mode}: wrk {r.errors}")
                    print(f"  {w.name}/{mode}: " + "  ".join(
                        f"{s.label} {fmt_rps(statistics.median(results[(s.label, w.name, mode)]))}" for s in servers),
                        flush=True)
        finally:
            for s in servers:
                s.stop()

    report(servers, chosen, modes, results, cold, bad_notes, args, "req/s")
    if len(per_cpu) == len(results):
        if len(cold_cpu) == len(cold):
            report(servers, chosen, modes, per_cpu, cold_cpu, [], args, "requests per CPU-second of the server",
                   "cold start CPU")
        else:
            report(servers, chosen, modes, per_cpu, cold, [], args, "requests per CPU-second of the server")


@contextmanager
def contextlib_ref(ref: str | None) -> Iterator[Path | None]:
    if ref is None:
        yield None
        return
    with checkout(ref) as tree:
        yield tree


def report(servers: list[Server], chosen: list[Workload], modes: list[str],
           results: dict[tuple[str, str, str], list[float]], cold: dict[str, float],
           bad_notes: list[str], args: argparse.Namespace, what: str, cold_label: str = "cold start") -> None:
    labels = [s.label for s in servers]
    ref = "aimock" if "aimock" in labels else None
    extra = {v.partition("=")[0] for v in [*args.variant, *args.command]}
    others = [lab for lab in labels if lab.startswith("mockclaude") or lab in extra]
    load = os.getloadavg()
    print(f"\n{what}, median of {args.rounds} x {args.seconds}s wrk -t1 (-c{args.connections}; t100/t500 "
          f"-c{max(1, args.connections // 2)}); {os.cpu_count()} CPUs, load {load[0]:.1f}; "
          f"every answer checked\n")
    head = f"| {'workload':14} | {'body':4} | " + " | ".join(f"{lab:>14}" for lab in labels)
    if ref:
        head += " | " + " | ".join(f"{lab + '/aimock':>18}" for lab in others)
    print(head + " |")
    print("|" + "|".join("---" for _ in range(head.count("|"))) + "|")
    for w in chosen:
        for mode in modes:
            med = {lab: statistics.median(results[(lab, w.name, mode)]) for lab in labels}
            row = f"| {w.name + ' (' + _size(w.template) + ')':14} | {mode:4} | " + " | ".join(
                f"{fmt_rps(med[lab]):>14}" for lab in labels)
            if ref:
                row += " | " + " | ".join(f"{med[lab] / med[ref]:>18.2f}" for lab in others)
            print(row + " |")
    row = f"| {cold_label:14} | {'s':4} | " + " | ".join(f"{cold[lab]:>14.3f}" for lab in labels)
    if ref:
        row += " | " + " | ".join(f"{cold[lab] / cold[ref]:>18.2f}" for lab in others)
    print(row + " |")
    if len(others) > 1:
        base = others[1]
        print(f"\n{others[0]} / {base}: " + ", ".join(
            f"{w.name}/{m} {statistics.median(results[(others[0], w.name, m)]) / statistics.median(results[(base, w.name, m)]):.2f}"
            for w in chosen for m in modes) + f", {cold_label} {cold[others[0]] / cold[base]:.2f}")
    if what != "req/s":
        return
    if bad_notes:
        print("\nanswers that failed the check:")
        for note in bad_notes:
            print("  " + note)
    else:
        print("\nall answers passed the check (status 200, Anthropic message shape)")


def _size(body: bytes) -> str:
    n = len(body)
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


if __name__ == "__main__":
    main()
