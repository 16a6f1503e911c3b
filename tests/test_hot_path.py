"""Requests leave nothing for the cyclic garbage collector.

A reference cycle per request is garbage only a collection frees; under load that means full
collections that walk every live object, the journal's entries included (what made small requests
~10 µs slower under uvicorn: the scope kept the server's ``send``, whose request cycle keeps the scope).
Here the server is played the way uvicorn and mockclaude's own server do it: ``receive`` and ``send``
are bound methods of a per-request object that holds the scope (and that the scope holds, for faults).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from mockclaude.app import create_app

HEADERS = [(b"content-type", b"application/json"), (b"x-api-key", b"sk-k"), (b"anthropic-version", b"2023-06-01")]
MESSAGE = b'{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi %d"}]%s}'


class _Cycle:
    """One request as a server holds it: the scope, and ``receive``/``send`` bound to this object."""

    def __init__(self, method: str, path: str, body: bytes) -> None:
        self.scope: dict[str, Any] = {
            "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": [*HEADERS, (b"content-length", b"%d" % len(body))], "http_version": "1.1",
            "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
        }
        self.scope["mockclaude.connection"] = self  # as mockclaude's own server does (for faults)
        self.body = body
        self.status = 0

    async def receive(self) -> dict[str, Any]:
        body, self.body = self.body, b""
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


REQUESTS = {
    "json": ("POST", "/v1/messages", lambda i: MESSAGE % (i, b"")),
    "sse": ("POST", "/v1/messages", lambda i: MESSAGE % (i, b',"stream":true')),
    "refused": ("POST", "/v1/messages", lambda i: b'{"model":"claude-sonnet-4-6","messages":[]}'),
    "count_tokens": ("POST", "/v1/messages/count_tokens",
                     lambda i: b'{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi %d"}]}' % i),
}


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_a_request_leaves_no_cycle_behind(kind: str) -> None:
    method, path, body = REQUESTS[kind]
    app = create_app()

    async def run(n: int) -> list[int]:
        statuses = []
        for i in range(n):
            cycle = _Cycle(method, path, body(i))
            await app(cycle.scope, cycle.receive, cycle.send)
            statuses.append(cycle.status)
        return statuses

    asyncio.run(run(5))  # first-use caches, imports
    gc.collect()
    gc.disable()
    try:
        statuses = asyncio.run(run(50))
        # none here (asyncio's loop teardown may leave a few elsewhere); a cycle a request: hundreds
        left = gc.collect()
    finally:
        gc.enable()
    assert set(statuses) == ({400} if kind == "refused" else {200})
    assert left < 10, f"{left} objects in reference cycles after 50 {kind} requests"


class _Chunked(_Cycle):
    """The body in pieces, then (``hang_up``) the client gone before the last one."""

    def __init__(self, pieces: list[bytes], hang_up: bool) -> None:
        super().__init__("POST", "/v1/messages", b"".join(pieces))
        self.pieces, self.hang_up = list(pieces), hang_up

    async def receive(self) -> dict[str, Any]:
        if self.hang_up and len(self.pieces) == 1:
            return {"type": "http.disconnect"}
        piece = self.pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(self.pieces)}


@pytest.mark.parametrize("hang_up", [False, True])
def test_a_body_in_pieces_and_a_client_gone_before_its_end(hang_up: bool) -> None:
    app = create_app()
    body = MESSAGE % (7, b"")
    cycle = _Chunked([body[:10], b"", body[10:40], body[40:]], hang_up)
    asyncio.run(app(cycle.scope, cycle.receive, cycle.send))
    (entry,) = app.journal.entries()
    if hang_up:
        assert cycle.status == 499 and entry.status is None and entry.raw_body is None
        assert entry.sent == "nothing (client gone)"
        assert entry.notes == ["client disconnected before the request body was complete"]
    else:
        assert cycle.status == 200 and entry.status == 200 and entry.raw_body == body and entry.sent == "json"


def test_a_body_over_the_limit_is_the_edge_413_whether_declared_or_not() -> None:
    app = create_app(max_body_bytes=50)
    body = MESSAGE % (7, b"")
    declared = _Cycle("POST", "/v1/messages", body)
    asyncio.run(app(declared.scope, declared.receive, declared.send))
    undeclared = _Chunked([body[:40], body[40:]], False)
    undeclared.scope["headers"] = HEADERS  # no content-length: found out while reading
    asyncio.run(app(undeclared.scope, undeclared.receive, undeclared.send))
    assert declared.status == undeclared.status == 413
    assert [e.error for e in app.journal.entries()] == [{"type": "request_too_large", "message": "Request exceeds the maximum size"}] * 2
