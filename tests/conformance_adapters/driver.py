"""A small driver for the shipped conformance adapters: one adapter process, one case at a time.

The engine (mockclaude.conformance) is the real harness; this driver only checks, against a real
server, that each adapter speaks conformance/PROTOCOL.md and maps its library's answers faithfully.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ROOT / "conformance" / "adapters"
TIMEOUT = 90.0  # generous: a cold node start or a framework import on a loaded 2-core machine


class AdapterProcess:
    """A running adapter: ``run(case)`` writes one case line and reads its answer line."""

    def __init__(self, command: list[str]) -> None:
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True"}
        for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
            env.pop(name, None)
        # stderr to a file, not a pipe: an adapter that logs a lot must never block on a full pipe.
        fd, self._log_path = tempfile.mkstemp(prefix="adapter-", suffix=".log")
        self._log = os.fdopen(fd, "w")
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )
        self.capabilities: dict[str, Any] | None = None
        self._seq = 0
        # A reader thread, so a timeout never depends on what Python's buffer already holds.
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def _line(self) -> str:
        try:
            line = self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise TimeoutError(f"adapter gave no answer in {TIMEOUT} s; stderr: {self.stderr()}") from None
        if not line:
            raise RuntimeError(f"adapter exited: {self.stderr()}")
        return line

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self._seq += 1
        case = {"id": f"case-{self._seq}", "max_retries": 0, "max_rounds": 5, "api_key": "sk-ant-adapter", **case}
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._line())
        if "capabilities" in answer and "id" not in answer:
            self.capabilities = answer["capabilities"]
            answer = json.loads(self._line())
        assert answer["id"] == case["id"], answer
        return answer

    def stderr(self) -> str:
        # Read through a separate handle: seeking the child's own (shared) file offset would corrupt the log.
        return Path(self._log_path).read_text(encoding="utf-8", errors="replace")[-3000:]

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(timeout=10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self._log.close()
            os.unlink(self._log_path)


PYTHON_ADAPTERS = {
    "anthropic_sdk": [sys.executable, str(ADAPTERS / "anthropic_sdk.py")],
    "tutorial_requests": [sys.executable, str(ADAPTERS / "tutorial_requests.py")],
    "langchain_anthropic_chat": [sys.executable, str(ADAPTERS / "langchain_anthropic_chat.py")],
    "pydantic_ai_agent": [sys.executable, str(ADAPTERS / "pydantic_ai_agent.py")],
}
TYPESCRIPT_ADAPTER = ["node", str(ADAPTERS / "typescript" / "adapter.mjs")]
