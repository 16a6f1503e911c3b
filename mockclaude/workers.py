"""``mockclaude serve --workers N``: N processes serving one listening socket, for load tests that
need more than one core.

The socket is bound once, by the first process, which then forks the workers (POSIX only: on
Windows, where there is no ``fork``, ``--workers`` above 1 is refused at start-up). The kernel hands
each new connection to one of them. Each worker is a whole mockclaude with its own state: the
journal, queued faults and their counters, rate-limit buckets, the prompt cache, threads and batches
are *per worker* — so ``/_mockclaude/*`` and a ``times=N`` fault answer for the worker that got the
connection. Use one worker (the default) for tests that look at the journal or count faults;
recording (a record mode other than ``none``) is refused with more than one worker, since the
processes would write the same cassette.

SIGINT or SIGTERM to the first process is passed on to every worker; each shuts down cleanly, and the
first process exits 0 once they all have (non-zero if a worker failed).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["can_fork", "run_workers"]


def can_fork() -> bool:
    """Whether ``--workers`` above 1 is possible here."""
    return hasattr(os, "fork") and sys.platform != "win32"


def run_workers(n: int, serve_one: Callable[[], int]) -> int:
    """Fork ``n`` processes running ``serve_one`` (which serves until signalled and returns an exit
    status); wait for all of them. Returns 0, or the first non-zero status of a worker."""
    children: list[int] = []
    stopping = False

    def forward(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:  # already gone
                pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:  # a worker: its own signal handling (uvicorn's), then serve
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                code = 1
                try:
                    code = serve_one()
                finally:
                    os._exit(code)
            children.append(pid)
        status = 0
        for pid in children:
            _, raw = os.waitpid(pid, 0)  # retried on EINTR (PEP 475) while signals are forwarded
            code = os.waitstatus_to_exitcode(raw)
            if code != 0 and status == 0 and not (stopping and code in (-signal.SIGTERM, -signal.SIGINT)):
                status = code if code > 0 else 1
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
