"""Serving generated cases from one real mockclaude server on 127.0.0.1.

Each example gets a base URL ``http://127.0.0.1:PORT/_case/<token>``; requests under it go through
the double's own pipeline (headers, validation, journal) and are then answered from the example's
script: one :class:`Reply` per request, in order. A reply's body is written in its exact chunks,
each one its own ``send`` (uvicorn writes it to the socket at once; TCP_NODELAY is set), with a
short pause between chunks so that the cuts reach the client as separate reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from ..app import CASE_PREFIX
from ..errors import ApiError
from ..faults import Fault
from ..faults.inject import _drop, error_for_http
from ..server import MockClaude

__all__ = ["CaseServer", "Reply", "http_error", "json_reply", "stream_reply"]

CHUNK_GAP = 0.001  # seconds between chunks (bodies of at most GAP_LIMIT chunks)
GAP_LIMIT = 48


@dataclass
class Reply:
    """One answer to one request: status, headers, the body in its network chunks, and how it ends.

    ``end``: ``complete`` (the HTTP body ends properly) or ``cut`` (the connection is closed
    without the chunked terminator). ``stall``: (chunk index, seconds) — silence before that chunk.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    end: str = "complete"
    stall: tuple[int, float] | None = None
    content_type: str = "text/event-stream; charset=utf-8"
    label: str = ""

    def evidence(self) -> dict[str, Any]:
        body = b"".join(self.chunks)
        offsets = list(itertools.accumulate(len(c) for c in self.chunks))[:-1]
        out: dict[str, Any] = {
            "status": self.status,
            "headers": self.headers,
            "label": self.label,
            "end": self.end,
            "body": body.decode("utf-8", "backslashreplace"),
            "chunk_cuts": offsets,
            "chunks": len(self.chunks),
        }
        if self.stall:
            out["stall"] = {"before_chunk": self.stall[0], "seconds": self.stall[1]}
        return out


def stream_reply(chunks: list[bytes], *, end: str = "complete", stall: tuple[int, float] | None = None, label: str = "") -> Reply:
    return Reply(chunks=chunks, end=end, stall=stall, label=label or "sse")


def json_reply(message: dict[str, Any], chunks: list[bytes] | None = None, *, label: str = "json") -> Reply:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return Reply(chunks=chunks if chunks is not None else [body], content_type="application/json", label=label)


def http_error(status: int, *, retry_after: float | None = None, retry_after_ms: float | None = None,
               should_retry: bool | None = None, message: str | None = None) -> Reply:
    """An error answer with the real body and headers: from the fault catalogue where it has the
    status (429, 529, 500, 504, 408, 409, 413), else the API's error type for the status."""
    opts: dict[str, Any] = {}
    if retry_after is not None:
        opts["retry-after"] = retry_after
    if retry_after_ms is not None:
        opts["retry-after-ms"] = retry_after_ms
    if should_retry is not None:
        opts["should-retry"] = should_retry
    if status in (429, 529, 500, 504, 408, 409, 413):
        err = error_for_http(Fault.of(str(status), **opts))
    else:
        err = ApiError(status, message or _MESSAGES.get(status, "error"))
        if should_retry is not None:
            err.headers["x-should-retry"] = "true" if should_retry else "false"
        if retry_after_ms is not None:
            err.headers["retry-after-ms"] = f"{retry_after_ms:g}"
        if retry_after is not None:
            err.headers["retry-after"] = f"{retry_after:g}"
    body = err.body("req_conformance")
    return Reply(
        status=status,
        headers=err.headers,
        chunks=[json.dumps(body).encode()],
        content_type="application/json",
        label=f"HTTP {status} {err.type}",
    )


_MESSAGES = {
    400: "messages.0.content: Input should be a valid list",
    401: "invalid x-api-key",
    403: "Your API key does not have permission to use the specified resource.",
    404: "model: claude-nonexistent",
}


@dataclass
class _Script:
    replies: list[Reply]
    served: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # what each request got, in order


class _ScriptedResponse(Response):
    """Writes one reply's chunks with a send per chunk, then ends or cuts the connection."""

    def __init__(self, reply: Reply, ex: Any, headers: dict[str, str]) -> None:
        self.reply, self.ex = reply, ex
        self.status_code = reply.status
        self.background = None
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"content-type", reply.content_type.encode()))
        self.raw_headers = raw

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        reply = self.reply
        cycle = getattr(scope.get("mockclaude.send"), "__self__", None)
        sock = getattr(getattr(cycle, "transport", None), "get_extra_info", lambda _k: None)("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover
                pass
        await send({"type": "http.response.start", "status": reply.status, "headers": self.raw_headers})
        gap = CHUNK_GAP if len(reply.chunks) <= GAP_LIMIT else 0.0
        try:
            for i, chunk in enumerate(reply.chunks):
                if reply.stall is not None and reply.stall[0] == i:
                    await asyncio.sleep(reply.stall[1])
                elif i and gap:
                    await asyncio.sleep(gap)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except OSError:  # the client went away mid-body: its choice, the journal has the request
            return
        if reply.end == "cut":
            await asyncio.sleep(gap)
            if await _drop(self.ex, "close"):
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class CaseServer:
    """One mockclaude server serving scripted cases; thread-safe registration."""

    def __init__(self) -> None:
        self.mock = MockClaude()
        self.app = self.mock.app
        self.signer = self.app.signer
        self.app.journal.redact = ()  # the case's (fake) api_key must be visible to the header check
        self._scripts: dict[str, _Script] = {}
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self.app.case_hook = self._hook

    def start(self) -> CaseServer:
        self.mock.start()
        return self

    def stop(self) -> None:
        self.app.case_hook = None
        self.mock.stop()

    def __enter__(self) -> CaseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def register(self, replies: list[Reply]) -> tuple[str, str]:
        """A fresh case path for ``replies``: (token, base_url)."""
        token = f"c{next(self._tokens)}"
        with self._lock:
            self._scripts[token] = _Script(list(replies))
        return token, f"{self.mock.url}{CASE_PREFIX}{token}"

    def release(self, token: str) -> tuple[list[dict[str, Any]], list[Any]]:
        """Forget the case: (what each request was sent, the journal entries of its requests)."""
        with self._lock:
            script = self._scripts.pop(token, None)
        prefix = f"{CASE_PREFIX}{token}/"
        entries = [e for e in self.app.journal.entries() if e.path.startswith(prefix)]
        return (script.sent if script else []), entries

    def requests_so_far(self, token: str) -> int:
        prefix = f"{CASE_PREFIX}{token}/"
        return sum(1 for e in self.app.journal.entries() if e.path.startswith(prefix))

    async def _hook(self, ex: Any) -> Response | None:
        path = ex.request.scope["path"]
        token = path[len(CASE_PREFIX) :].split("/", 1)[0]
        with self._lock:
            script = self._scripts.get(token)
            if script is None:
                return None
            i = script.served
            script.served += 1
        if i < len(script.replies):
            reply = script.replies[i]
        else:
            reply = http_error(500, should_retry=False)
            reply.label = "unexpected extra request: HTTP 500 (x-should-retry: false)"
        script.sent.append({"request": i + 1, "at": time.monotonic(), **reply.evidence()})
        headers = self.app.base_headers(ex.request_id)
        headers.update(reply.headers)
        if ex.entry is not None:
            ex.entry.status = reply.status
            ex.entry.source = "conformance"
            ex.entry.sent = reply.label
            ex.entry.response_headers = headers
        return _ScriptedResponse(reply, ex, headers)
