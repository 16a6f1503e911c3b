"""What a fault does to one request: the :class:`Injection` the app drives.

The app calls, per request that a fault (or the rate-limit emulator) applies to:

* ``await injection.before(ex, app)`` — an early answer (an HTTP error, a dropped connection) or
  ``None``; time-to-first-byte latency is spent here;
* ``injection.wrap(chunks, ex, app)`` around the per-event SSE bytes of a streamed answer — only
  when ``injection.wraps`` is true, so a fault that does not touch the stream keeps the fast path;
* ``injection.finish(response, ex, app)`` on the rendered response — rate-limit headers, and the
  stream faults' JSON forms for a non-streaming request.

Connection faults need the socket, which ASGI does not expose. mockclaude's own server puts the
request's :class:`~mockclaude.httpserver.Exchange` in the scope (``scope["mockclaude.connection"]``:
its ``transport`` and ``disconnected``). Under uvicorn the app keeps uvicorn's own ``send`` callable
in the scope (``scope["mockclaude.send"]``); its ``__self__`` is uvicorn's request cycle, which has
the same two attributes. :func:`_drop` is the only code that reaches for them. Without either (an
in-process ``httpx.ASGITransport``) a connection fault raises :class:`ConnectionFault`, which such
a client sees as a failed request.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from ..errors import STATUS_FOR_TYPE, ApiError, MockClaudeError
from ..ratelimit import ORGANIZATION_ID, RATE_LIMIT_MESSAGE
from ..sse import encode, event
from .spec import HTTP_KINDS, Fault

__all__ = ["ConnectionFault", "Injection", "error_for_http", "error_for_type"]

# The messages the real API sends (wire-protocol.md); 504/408/409 are not confirmed, so they follow
# the same terse style.
HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    429: ("rate_limit_error", RATE_LIMIT_MESSAGE.format(org=ORGANIZATION_ID, limit=4_000, what="requests")),
    529: ("overloaded_error", "Overloaded"),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    408: ("timeout_error", "Request timed out"),
    409: ("conflict_error", "Conflict"),
    413: ("request_too_large", "Request exceeds the maximum size"),
}
# error.type -> the message the API sends with it (the first status of a type wins: reversed)
_TYPE_MESSAGES: dict[str, str] = dict(reversed(HTTP_MESSAGES.values()))
_DROP_WAIT = 2.0  # seconds to wait for the server to notice a connection we closed


class ConnectionFault(MockClaudeError, ConnectionError):
    """Raised instead of dropping the connection when the server's transport is out of reach."""


def _retry_headers(fault: Fault, status: int) -> dict[str, str]:
    """The fault's retry hints; a 429 always has ``retry-after`` (1 s) and ``x-should-retry: true``."""
    h: dict[str, str] = {"retry-after": "1"} if status == 429 else {}
    ms = fault.get("retry-after-ms")
    ra = fault.get("retry-after")
    if ms is not None:
        h["retry-after-ms"] = f"{ms:g}"
        if ra is None:  # the API always sends whole seconds too
            h["retry-after"] = str(max(1, -(-int(ms) // 1000)))
    if ra is not None:
        h["retry-after"] = f"{ra:g}"
    sr = fault.get("should-retry", True if status == 429 else None)
    if sr is not None:
        h["x-should-retry"] = "true" if sr else "false"
    return h


def error_for_http(fault: Fault) -> ApiError:
    """The API error an HTTP fault kind answers with."""
    status = HTTP_KINDS[fault.kind]
    etype, message = HTTP_MESSAGES[status]
    headers = _retry_headers(fault, status)
    if status == 429:
        headers["anthropic-ratelimit-requests-remaining"] = "0"
    return ApiError(
        status,
        fault.get("message", message),
        type=fault.get("type", etype),
        headers=headers,
        edge=status == 413 and "type" not in fault.opts,
    )


def _stream_error(fault: Fault) -> tuple[str, str]:
    """A stream-error fault's ``error.type`` and message."""
    etype = fault.get("type", "overloaded_error")
    return etype, fault.get("message", _TYPE_MESSAGES.get(etype, "Internal server error"))


def error_for_type(fault: Fault) -> ApiError:
    """A stream error's HTTP equivalent (for a non-streaming request): overloaded_error -> 529, ..."""
    etype, message = _stream_error(fault)
    status = STATUS_FOR_TYPE.get(etype, 500)
    return ApiError(status, message, type=etype, headers=_retry_headers(fault, status))


def _error_event(fault: Fault) -> bytes:
    etype, message = _stream_error(fault)
    return encode(event({"type": "error", "error": {"type": etype, "message": message}}))


# --- reaching the connection -------------------------------------------------------------------

def _cycle(ex: Any) -> Any:
    """The request's connection: ``.transport`` and ``.disconnected`` (see the module doc)."""
    scope = ex.request.scope
    cycle = scope.get("mockclaude.connection")
    if cycle is None:
        cycle = getattr(scope.get("mockclaude.send"), "__self__", None)
    return cycle if getattr(cycle, "transport", None) is not None else None


async def _drop(ex: Any, how: str, data: bytes = b"") -> bool:
    """Close the client's connection: ``close`` (FIN, after what was written), ``reset`` (RST), or
    ``garbage`` (``data`` then FIN). Waits until the server has noticed, so it sends nothing more.
    Returns False when the transport is out of reach."""
    cycle = _cycle(ex)
    if cycle is None:
        return False
    transport = cycle.transport
    if how == "reset":
        sock = transport.get_extra_info("socket")
        try:
            # linger on, timeout 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (OSError, AttributeError):  # pragma: no cover - unusual transports
            pass
        transport.abort()
    else:
        if data:
            transport.write(data)
        transport.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DROP_WAIT
    while not cycle.disconnected and loop.time() < deadline:
        await asyncio.sleep(0.001)
    return True


class _Silent(Response):
    """The 'response' to a request whose connection was dropped: sends nothing."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        return None


class _Raise(Response):
    """Without a socket to drop (in-process ASGI), fail the request the way a transport error would."""

    def __init__(self, what: str) -> None:
        super().__init__(b"")
        self.what = what

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise ConnectionFault(self.what)


class _ShapedBody(Response):
    """A JSON answer sent in planned pieces: chunked, dripped, stalled, or cut part-way."""

    def __init__(self, base: Response, injection: Injection, ex: Any) -> None:
        self.status_code = base.status_code
        self.background = base.background
        self.body = bytes(base.body)
        self.raw_headers = list(base.raw_headers)
        self.injection, self.ex = injection, ex

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        inj, ex, body = self.injection, self.ex, bytes(self.body)
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        stall = inj.shape("stall")
        if stall is not None:
            await asyncio.sleep(stall.get("seconds"))
        end = inj.end
        if end is not None and end.kind == "cut-stream" and not end.get("clean"):
            part = body[: len(body) // 2]
            if part:
                await send({"type": "http.response.body", "body": part, "more_body": True})
            inj.sent(ex, f"cut after {len(part)} of {len(body)} body bytes")
            if await _drop(ex, "close"):
                return
            raise ConnectionFault("cut-stream: connection dropped mid-body")
        pieces = inj.split_body(body)
        for i, piece in enumerate(pieces):
            if i:
                await inj.pause(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if len(pieces) > 1:
            inj.sent(ex, f"json in {len(pieces)} pieces")


class Injection:
    """The faults chosen for one request: at most one that decides the answer (an HTTP error or a
    connection fault), at most one that ends a stream (error event, cut), any number that shape it
    (stall, drip, chunk, latency); plus the rate-limit emulator's verdict."""

    __slots__ = ("_rng", "answer", "end", "limit", "origin", "shapes", "wraps")

    def __init__(
        self,
        *,
        answer: Fault | None = None,
        end: Fault | None = None,
        shapes: tuple[Fault, ...] = (),
        origin: str = "plan",
        limit: Any = None,
        rng: random.Random | None = None,
    ) -> None:
        self.answer, self.end, self.shapes, self.origin, self.limit = answer, end, shapes, origin, limit
        self._rng = rng or random.Random(0)
        self.wraps = end is not None or any(
            f.kind != "latency" or f.get("per-event") or f.get("jitter") for f in shapes
        )

    # --- what the journal shows ----------------------------------------------------------------

    @property
    def faults(self) -> list[Fault]:
        return [f for f in (self.answer, self.end, *self.shapes) if f is not None]

    def describe(self) -> str | None:
        fs = self.faults
        if not fs:
            return None
        return " + ".join(str(f) for f in fs)

    @staticmethod
    def sent(ex: Any, what: str) -> None:
        if ex.entry is not None:
            ex.entry.sent = what

    def shape(self, kind: str) -> Fault | None:
        for f in self.shapes:
            if f.kind == kind:
                return f
        return None

    # --- before the answer ---------------------------------------------------------------------

    async def before(self, ex: Any, app: Any) -> Response | None:
        entry = ex.entry
        if entry is not None and self.faults:
            entry.notes.append(f"fault from {self.origin}: {self.describe()}")
        if self.limit is not None and self.limit.error is not None:
            if entry is not None:
                entry.source = "ratelimit"
                entry.notes.append(f"rate limited: retry after {self.limit.retry_after:.3f}s")
            limited: Response = app.error_response(self.limit.error, ex.request_id, entry)
            return limited
        lat = self.shape("latency")
        if lat is not None and (lat.get("ttfb") or lat.get("jitter")):
            await asyncio.sleep(self._delay(lat, "ttfb"))
        a = self.answer
        if a is None:
            return None
        if entry is not None:
            entry.source = "fault"
        if a.is_http:
            resp: Response = app.error_response(error_for_http(a), ex.request_id, entry)
            if self.limit is not None:
                for k, v in self.limit.headers.items():
                    resp.headers.setdefault(k, v)
            return resp
        # connection faults
        if a.kind == "reset":
            how, data, label = "reset", b"", "connection reset (RST), no response"
        elif a.kind == "empty":
            how, data, label = "close", b"", "connection closed, no bytes"
        else:
            n = int(a.get("bytes"))
            rng = random.Random(a.get("seed", 0))
            data = bytes(rng.randrange(256) for _ in range(n))
            how, label = "close", f"{n} garbage bytes, then closed"
        if entry is not None:
            entry.status = None
        self.sent(ex, label)
        if await _drop(ex, how, data):
            return _Silent()
        self.sent(ex, label + " (in-process: raised ConnectionFault)")
        return _Raise(label)

    # --- pacing ----------------------------------------------------------------------------------

    def _delay(self, lat: Fault, which: str) -> float:
        d = float(lat.get(which) or 0.0)
        j = lat.get("jitter")
        if j:
            d += self._rng.uniform(0.0, float(j))
        return d

    async def pause(self, piece: bytes) -> None:
        """The wait before the next piece of a JSON body (drip and chunk delay)."""
        drip, chunk = self.shape("drip"), self.shape("chunk")
        d = 0.0
        if drip is not None:
            d += len(piece) / drip.get("bps") if drip.get("bps") else drip.get("interval")
        if chunk is not None and chunk.get("delay"):
            d += chunk.get("delay")
        if d > 0:
            await asyncio.sleep(d)

    def _sizes(self, chunk: Fault) -> tuple[int, int]:
        lo, _, hi = str(chunk.get("size")).partition("-")
        return int(lo), int(hi or lo)

    def split_body(self, body: bytes) -> list[bytes]:
        chunk, drip = self.shape("chunk"), self.shape("drip")
        if chunk is not None:
            pieces = _Rechunker(self._sizes(chunk), chunk.get("seed", 0))
        elif drip is not None:
            step = max(1, int(drip.get("bps") / 20)) if drip.get("bps") else 64
            pieces = _Rechunker((step, step), 0)
        else:
            return [body]
        out = pieces.feed(body)
        tail = pieces.flush()
        if tail:
            out.append(tail)
        return out or [body]

    # --- the stream ------------------------------------------------------------------------------

    async def wrap(self, chunks: AsyncIterator[bytes], ex: Any, app: Any) -> AsyncIterator[bytes]:
        end, stall = self.end, self.shape("stall")
        drip, chunk, lat = self.shape("drip"), self.shape("chunk"), self.shape("latency")
        end_after = end.get("after") if end is not None else None
        stall_after = stall.get("after") if stall is not None else None
        pieces = _Rechunker(self._sizes(chunk), chunk.get("seed", 0)) if chunk is not None else None
        delay = chunk.get("delay") if chunk is not None else 0.0
        count = 0
        stalled = 0.0

        async def out(data: bytes) -> AsyncIterator[bytes]:
            if pieces is None:
                yield data
                return
            for i, p in enumerate(pieces.feed(data)):
                if delay and i:
                    await asyncio.sleep(delay)
                yield p

        try:
            async for data in chunks:
                if count == end_after:
                    break
                if count == stall_after:
                    stalled = float(stall.get("seconds")) if stall is not None else 0.0
                    await asyncio.sleep(stalled)
                if count:
                    if drip is not None and not drip.get("bps"):
                        await asyncio.sleep(drip.get("interval"))
                    if lat is not None and (lat.get("per-event") or lat.get("jitter")):
                        await asyncio.sleep(self._delay(lat, "per-event"))
                if drip is not None and drip.get("bps"):
                    bps = float(drip.get("bps"))
                    step = max(1, int(bps / 20))
                    for i in range(0, len(data), step):
                        if i or count:
                            await asyncio.sleep(min(step, len(data) - i) / bps)
                        async for p in out(data[i : i + step]):
                            yield p
                else:
                    async for p in out(data):
                        yield p
                count += 1
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        if stall_after is not None and count == stall_after and not stalled and stall is not None:
            await asyncio.sleep(float(stall.get("seconds")))  # a stall after the last event
        tail = pieces.flush() if pieces is not None else b""
        if tail:
            yield tail
        note = f", stalled {stall.get('seconds'):g}s after {stall_after} events" if stall is not None else ""
        if end is None:
            self.sent(ex, f"sse: {count} events{note}" + (" (chunked)" if chunk is not None else ""))
            return
        if end.kind == "stream-error":
            self.sent(ex, f"error event after {count} events{note}")
            yield _error_event(end)
            return
        if end.get("clean"):
            # the body ends properly at the HTTP level, only the stream is short of message_stop
            self.sent(ex, f"ended cleanly after {count} events, no message_stop{note}")
            return
        # cut-stream: drop the connection without the chunked terminator
        self.sent(ex, f"cut after {count} events{note}")
        if not await _drop(ex, "close"):
            raise ConnectionFault(f"cut after {count} events")

    # --- after rendering -------------------------------------------------------------------------

    def finish(self, response: Response, ex: Any, app: Any) -> Response:
        if self.limit is not None:
            response.headers.update(self.limit.headers)
        if isinstance(response, StreamingResponse) or response.status_code != 200:
            return response
        end = self.end
        if end is not None and end.kind == "stream-error":
            # a non-streaming request cannot get an error event: it gets the equivalent HTTP error
            err = error_for_type(end)
            if ex.entry is not None:
                ex.entry.notes.append("stream-error on a non-streaming request: answered as HTTP error")
            resp: Response = app.error_response(err, ex.request_id, ex.entry)
            if self.limit is not None:
                resp.headers.update(self.limit.headers)
            return resp
        if end is not None or any(f.kind in ("stall", "drip", "chunk") for f in self.shapes):
            return _ShapedBody(response, self, ex)
        return response


class _Rechunker:
    """Re-splits a byte stream into pieces of a fixed or seeded-random size, across event edges."""

    def __init__(self, sizes: tuple[int, int], seed: int) -> None:
        self.lo, self.hi = sizes
        self.rng = random.Random(seed)
        self.buf = b""
        self.next = self._draw()

    def _draw(self) -> int:
        return self.lo if self.lo == self.hi else self.rng.randint(self.lo, self.hi)

    def feed(self, data: bytes) -> list[bytes]:
        buf, i, out = self.buf + data, 0, []
        while len(buf) - i >= self.next:  # slices by offset: linear in the size of the body
            out.append(buf[i : i + self.next])
            i += self.next
            self.next = self._draw()
        self.buf = buf[i:]
        return out

    def flush(self) -> bytes:
        b, self.buf = self.buf, b""
        return b
