"""``mockclaude serve --workers N``: N processes on one port, a clean stop, bad uses refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mockclaude.workers import can_fork

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 32, "messages": [{"role": "user", "content": "Hi"}]}


def serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in found.read_text().split()] if found.exists() else []


@pytest.mark.skipif(not can_fork(), reason="--workers above 1 needs fork()")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_answer_and_stop_cleanly(sig: signal.Signals) -> None:
    proc = serve("--workers", "2")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
        deadline = time.monotonic() + 20
        answers = []
        with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
            while len(answers) < 20:
                try:
                    answers.append(client.post("/v1/messages", json=BODY, headers={"connection": "close"}))
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
        assert {a.status_code for a in answers} == {200}
        assert len({a.json()["id"] for a in answers}) == 1  # the same answer from whichever worker
        if sys.platform.startswith("linux"):
            assert len(children(proc.pid)) == 2
    finally:
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.parametrize(("args", "said"), [
    (["--workers", "0"], "--workers must be at least 1"),
    (["--workers", "2", "--record-mode", "once", "--cassette", "x.yaml"], "recording needs one worker"),
])
def test_bad_worker_options_are_refused_before_listening(args: list[str], said: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode == 2 and said in proc.stderr and "listening" not in proc.stdout
