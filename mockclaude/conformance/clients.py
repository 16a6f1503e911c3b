"""Clients under test: an adapter process speaking JSON lines, or an in-process Python callable.

Both take one case (a dict: id, base_url, api_key, action, request, max_retries, max_rounds) and
give back one answer (a dict: id, ok, message/rounds or error), or a :class:`ClientFailure` saying
why there is none (timeout, crash, garbage) with the adapter's stderr. See conformance/PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import json
import os
import queue
import signal
import subprocess

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AdapterProcess", "Client", "ClientFailure", "PythonClient", "load_callable"]

ACTIONS = ("create", "stream", "tool_loop")


@dataclass
class ClientFailure:
    """No usable answer: ``kind`` is timeout | crash | garbage | exception."""

    kind: str
    detail: str
    stderr: str = ""

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class Client:
    """Base: a label, declared capabilities, and :meth:`run`."""

    label: str
    capabilities: dict[str, Any] = field(default_factory=dict)

    def lacks(self, action: str) -> bool:
        return self.capabilities.get(action) is False

    def run(self, case: dict[str, Any], timeout: float) -> dict[str, Any] | ClientFailure:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        return None


class PythonClient(Client):
    """A callable ``fn(case) -> answer`` (sync, or async returning a coroutine), run in a worker
    thread so a hang is a timeout, not a hung suite. ``fn.capabilities`` (a dict) is read if set."""

    def __init__(self, fn: Callable[[dict[str, Any]], Any], label: str | None = None) -> None:
        super().__init__(str(label or getattr(fn, "__qualname__", "python")), dict(getattr(fn, "capabilities", {}) or {}))
        self.fn = fn

    def run(self, case: dict[str, Any], timeout: float) -> dict[str, Any] | ClientFailure:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                result = self.fn(dict(case))
                if inspect.isawaitable(result):
                    result = asyncio.run(_await(result))
                box["answer"] = result
            except BaseException as exc:  # the client's bug, reported as evidence
                box["error"] = f"{type(exc).__name__}: {exc}"

        t = threading.Thread(target=work, name=f"conformance:{case['id']}", daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            return ClientFailure("timeout", f"no answer within {timeout:g}s")
        if "error" in box:
            return ClientFailure("exception", f"the callable raised {box['error']}")
        answer = box.get("answer")
        if not isinstance(answer, dict):
            return ClientFailure("garbage", f"the callable returned {answer!r:.200} (expected a dict)")
        return answer


async def _await(x: Any) -> Any:
    return await x


def load_callable(spec: str) -> Callable[[dict[str, Any]], Any]:
    """``module:function`` (or ``path/to/file.py:function``) -> the callable."""
    mod_name, sep, attr = spec.partition(":")
    if not sep or not attr:
        raise ValueError(f"--client-python wants MODULE:FUNCTION, got {spec!r}")
    if mod_name.endswith(".py"):

        s = importlib.util.spec_from_file_location(os.path.basename(mod_name)[:-3], mod_name)
        if s is None or s.loader is None:
            raise ValueError(f"cannot load {mod_name}")
        module = importlib.util.module_from_spec(s)
        s.loader.exec_module(module)
    else:
        module = importlib.import_module(mod_name)
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ValueError(f"{spec}: no callable {attr!r} in {mod_name}")
    return fn  # type: ignore[no-any-return]


class AdapterProcess(Client):
    """One long-running adapter process: cases on its stdin, answers on its stdout (JSON lines).

    A crash or a timeout ends the process (its whole process group); the next case starts a new
    one. Lines answering an earlier (timed-out) case are skipped.
    """

    def __init__(self, command: str, label: str | None = None, env: dict[str, str] | None = None) -> None:
        super().__init__(label or command)
        self.command = command
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self.starts = 0
        self._readers: list[threading.Thread] = []

    # --- the process ------------------------------------------------------------------------------

    def _start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(self.env or {}))
        self.proc = subprocess.Popen(
            self.command,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: a timeout ends the children too
        )
        self.starts += 1
        self._lines = queue.Queue()
        lines = self._lines
        out, err = self.proc.stdout, self.proc.stderr
        assert out is not None and err is not None

        def read_out() -> None:
            with out:
                for line in iter(out.readline, b""):
                    lines.put(line)
            lines.put(None)

        def read_err() -> None:
            with err:
                for chunk in iter(lambda: err.read1(4096), b""):  # type: ignore[attr-defined]
                    with self._stderr_lock:
                        self._stderr += chunk
                        del self._stderr[: max(0, len(self._stderr) - 65536)]

        self._readers = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
        for t in self._readers:
            t.start()

    def _stderr_since(self, mark: int) -> str:
        with self._stderr_lock:
            data = bytes(self._stderr[mark:]) if mark <= len(self._stderr) else bytes(self._stderr)
        return data.decode("utf-8", "replace")[-8000:]

    def _stderr_mark(self) -> int:
        with self._stderr_lock:
            return len(self._stderr)

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for t in self._readers:  # they close the pipes at EOF
            t.join(2)

    def close(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()  # EOF: a well-behaved adapter exits
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    # --- one case -------------------------------------------------------------------------------

    def run(self, case: dict[str, Any], timeout: float) -> dict[str, Any] | ClientFailure:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        proc = self.proc
        assert proc is not None and proc.stdin is not None
        mark = self._stderr_mark()
        try:
            proc.stdin.write(json.dumps(case, ensure_ascii=False).encode() + b"\n")
            proc.stdin.flush()
        except OSError as exc:
            code = proc.poll()
            self._kill()
            return ClientFailure("crash", f"cannot write the case ({exc}); exit status {code}", self._stderr_since(mark))
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.0, left)) if left > 0 else None
            except queue.Empty:
                line = None
                left = 0
            if line is None:
                if left <= 0:
                    self._kill()
                    return ClientFailure("timeout", f"no answer within {timeout:g}s (adapter restarted)", self._stderr_since(mark))
                try:
                    code = proc.wait(1)
                except subprocess.TimeoutExpired:
                    code = None
                self._kill()
                return ClientFailure("crash", f"the adapter closed its stdout (exit status {code})", self._stderr_since(mark))
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                answer = json.loads(text)
            except ValueError:
                self._kill()
                return ClientFailure("garbage", f"not a JSON line: {text[:300]!r}", self._stderr_since(mark))
            if isinstance(answer, dict) and "capabilities" in answer and "id" not in answer:
                caps = answer["capabilities"]
                if isinstance(caps, dict):
                    self.capabilities.update(caps)
                continue
            if not isinstance(answer, dict) or "id" not in answer:
                self._kill()
                return ClientFailure("garbage", f"not an answer object: {text[:300]!r}", self._stderr_since(mark))
            if answer["id"] != case["id"]:
                continue  # a late answer to a case that already timed out
            answer["_stderr"] = self._stderr_since(mark)
            return answer


