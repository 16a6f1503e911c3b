"""Server memory under oversized headers: RSS before and after 500 requests with a 1 MiB header.

    python benchmarks/bench_headers_rss.py [--requests 500] [--header-bytes 1048576] [--root TREE]

Starts ``mockclaude serve`` (from ``--root``, default this tree: compare with an older checkout),
sends each request on its own connection (raw socket: a 1 MiB ``x-filler`` header on an otherwise
valid ``POST /v1/messages``), and prints the server's RSS (``/proc/PID/status`` VmRSS) at start,
after the requests, and after ``DELETE /_mockclaude/requests``, with how the requests were answered.
Bounded: ``--requests`` connections, each with a 30 s socket timeout.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_recording import ROOT, start_server, stop  # noqa: E402

BODY = b'{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one(port: int, filler: bytes) -> str:
    head = (b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
            b"content-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\nx-filler: " % len(BODY))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        try:
            s.sendall(head + filler + b"\r\n\r\n" + BODY)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-upload: read what was answered
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return data.split(b"\r\n", 1)[0].decode("latin-1") or "(closed, no answer)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--header-bytes", type=int, default=1 << 20)
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args()
    import httpx

    proc, url = start_server([], args.root)
    port = int(url.rsplit(":", 1)[1])
    try:
        httpx.post(url + "/v1/messages", content=BODY, headers={"x-api-key": "k", "anthropic-version": "2023-06-01",
                                                                "content-type": "application/json"})
        start = rss_mib(proc.pid)
        filler = b"f" * args.header_bytes
        answers = Counter(one(port, filler) for _ in range(args.requests))
        after = rss_mib(proc.pid)
        httpx.delete(url + "/_mockclaude/requests")
        cleared = rss_mib(proc.pid)
        ok = httpx.post(url + "/v1/messages", content=BODY, headers={"x-api-key": "k", "anthropic-version": "2023-06-01",
                                                                     "content-type": "application/json"}).status_code
    finally:
        stop(proc)
    print(f"{args.requests} requests with a {args.header_bytes}-byte header (server from {args.root})")
    print(f"answers: {dict(answers)}; a good request afterwards: {ok}")
    print(f"RSS MiB: start {start:.0f}, after {after:.0f} (+{after - start:.0f}), after DELETE journal {cleared:.0f}")


if __name__ == "__main__":
    main()
