"""One request and its answer (:class:`Exchange`: the ASGI ``receive`` and ``send``), and what the
connections of one server share (:class:`ConnectionState`). The protocol that creates them is
:class:`mockclaude.httpserver.connection.HttpConnection`; its module doc says what is spoken.
"""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..limits import Bounds, refusal

if TYPE_CHECKING:
    from .connection import HttpConnection

__all__ = ["HIGH_WATER", "ConnectionState", "Exchange"]

log = logging.getLogger("mockclaude.http")

HIGH_WATER = 65536  # body bytes buffered for the app before reading pauses
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_STATUS: dict[int, bytes] = {}


def _status_line(status: int) -> bytes:
    line = _STATUS.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        line = _STATUS[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("ascii")
    return line


class ConnectionState:
    """What every connection of one server shares: the app, the bounds, the open connections."""

    def __init__(self, app: Any, bounds: Bounds, *, access_log: logging.Logger | None = None, server_name: bytes = b"mockclaude") -> None:
        self.app = app
        self.bounds = bounds
        self.access_log = access_log
        self.server_name = server_name
        self.connections: set[HttpConnection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False
        self._second = -1
        self._date_server = b""

    def date_server(self) -> bytes:
        """The ``date`` and ``server`` lines, rebuilt once a second."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._date_server = (
                b"date: " + formatdate(now, usegmt=True).encode("ascii") + b"\r\nserver: " + self.server_name + b"\r\n"
            )
        return self._date_server


    def sweep(self, now: float) -> None:
        """End the waits whose deadline has passed (a 408, or an idle connection closed)."""
        for conn in [c for c in self.connections if c.deadline and c.deadline <= now]:
            conn.expired()


class Exchange:
    """One request on a connection and the answer to it: ``receive`` and ``send`` of ASGI."""

    __slots__ = (
        "buffered",
        "chunked",
        "chunks",
        "complete",
        "conn",
        "delivered",
        "disconnected",
        "expect_continue",
        "head_only",
        "keep_alive",
        "left",
        "more_body",
        "pending_head",
        "scope",
        "started",
        "status",
        "transport",
        "waiter",
    )

    def __init__(self, conn: HttpConnection, scope: dict[str, Any], keep_alive: bool, expect_continue: bool) -> None:
        self.conn = conn
        self.transport = conn.transport
        self.scope = scope
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.more_body = True
        self.disconnected = False
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.started = False
        self.complete = False
        self.chunked = False
        self.head_only = scope["method"] == "HEAD"
        self.left = -1  # content-length bytes still to send; -1: no length given
        self.pending_head = b""
        self.waiter: asyncio.Future[None] | None = None
        self.status = 0
        self.delivered = False  # the last body chunk has been given to the app

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # --- the app -------------------------------------------------------------------------------------

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:  # the server stopped before the answer was complete
            if not self.complete:
                self.transport.close()
            raise
        except Exception as exc:
            if not (self.disconnected and isinstance(exc, OSError)):
                log.error("mockclaude: unhandled error in the app", exc_info=exc)
            if not self.started and not self.disconnected:
                self._internal_error()
            elif not self.complete:
                self.transport.close()
        else:
            if not self.started and not self.disconnected:
                log.error("mockclaude: the app returned without an answer")
                self._internal_error()
            elif not self.complete and not self.disconnected:
                self.transport.close()  # a half-sent answer: the client must not wait for the rest

    def _internal_error(self) -> None:
        self.keep_alive = False
        self.started = True
        self.transport.write(refusal(500, "Internal server error", "api_error", self.conn.state.date_server()))
        self._done()

    async def receive(self) -> dict[str, Any]:
        """The next body chunk; once the whole body has been read, waits until the answer is
        complete or the client has gone, then ``http.disconnect``."""
        if self.expect_continue:
            self.expect_continue = False
            if not self.started and not self.transport.is_closing():
                self.transport.write(_CONTINUE)
        while True:
            if self.disconnected or self.complete:
                return {"type": "http.disconnect"}
            chunks = self.chunks
            if chunks or not (self.more_body or self.delivered):
                body = b"" if not chunks else chunks[0] if len(chunks) == 1 else b"".join(chunks)
                self.chunks = []
                if self.buffered > HIGH_WATER:
                    self.conn.resume_for(self)
                self.buffered = 0
                more = self.more_body
                self.delivered = not more
                return {"type": "http.request", "body": body, "more_body": more}
            waiter = self.waiter
            if waiter is None:  # (a second receiver, such as a disconnect listener, shares it)
                waiter = self.waiter = self.conn.loop.create_future()
            await waiter

    async def send(self, message: dict[str, Any]) -> None:
        """Write the answer: ``http.response.start`` then ``http.response.body`` messages. After the
        client has gone, does nothing."""
        conn = self.conn
        if conn.write_paused and not self.disconnected:
            await conn.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
            self._start(message["status"], message.get("headers") or ())
            return
        if self.complete or kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}" + (" after the answer" if self.complete else ""))
        body = message.get("body", b"")
        more = message.get("more_body", False)
        if self.head_only:
            out = b""
        elif self.chunked:
            out = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            if not more:
                out += b"0\r\n\r\n"
        else:
            out = body
            if self.left >= 0:
                if len(body) > self.left:
                    out = body[: self.left]
                    self.keep_alive = False  # longer than its content-length: cut and close
                self.left -= len(out)
        if self.pending_head:
            out = self.pending_head + out
            self.pending_head = b""
        if out:
            self.transport.write(out)
        if not more:
            if self.left > 0:
                self.keep_alive = False  # shorter than its content-length: the client sees it cut
            self._done()

    def _start(self, status: int, headers: Any) -> None:
        lines = []
        length = -1
        chunked = said_close = False
        for name, value in headers:
            lname = name.lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"connection":
                if b"close" in value.lower():
                    self.keep_alive = False
                    said_close = True
            elif lname == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            lines.append(name)
            lines.append(b": ")
            lines.append(value)
            lines.append(b"\r\n")
        block = b"".join(lines)
        n = len(lines) >> 2
        # one check for every header the app sent: CR and LF only as the line ends, no NUL
        if block.count(b"\n") != n or block.count(b"\r") != n or b"\0" in block:
            raise RuntimeError("a response header holds CR, LF or NUL")
        self.started = True
        self.status = status
        head = [_status_line(status), self.conn.state.date_server(), block]
        if chunked:
            self.chunked = True
        elif length >= 0:
            self.left = length
        elif not self.head_only and status not in (204, 304) and not 100 <= status < 200:
            if self.scope["http_version"] == "1.0":
                self.keep_alive = False  # HTTP/1.0 has no chunks: the close ends the body
            else:
                self.chunked = True
                head.append(b"transfer-encoding: chunked\r\n")
        if not self.keep_alive and not said_close:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        self.pending_head = b"".join(head)
        # written with the first body bytes, or on the next loop turn if the app pauses first
        self.conn.loop.call_soon(self._flush)
        if self.conn.state.access_log is not None:
            self.conn.log_access(self, status)

    def _flush(self) -> None:
        if self.pending_head and not self.disconnected:
            self.transport.write(self.pending_head)
        self.pending_head = b""

    def _done(self) -> None:
        self.complete = True
        self._wake()
        self.conn.answered(self)
