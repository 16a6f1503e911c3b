"""One client connection: HTTP/1.1 parsed by httptools, each request handed to the ASGI app.

:class:`HttpConnection` is an ``asyncio.Protocol``; :class:`Exchange` is one request and its answer
(the ASGI ``receive`` and ``send``). What it does, and why, in short:

* keep-alive (HTTP/1.1 unless ``Connection: close``; HTTP/1.0 never), pipelined requests answered
  in order (reading pauses while one waits), chunked request bodies, ``Expect: 100-continue``
  (``100 Continue`` once the app asks for the body);
* a response with a ``content-length`` is written as is; one without (a stream) in chunked
  transfer-encoding (HTTP/1.0: until the connection closes);
* flow control: reading pauses while more than 64 KiB of body waits for the app; ``send`` waits
  while the transport's write buffer is full (``pause_writing``/``resume_writing``);
* the connection bounds of :mod:`mockclaude.limits` (431, 408, 503, 400 with the API's error body);
* the response head is written with the first body bytes (one write for a whole JSON answer) or on
  the next loop turn, whichever comes first, so a stream's headers never wait for its first event;
* headers from the app (a cassette's recorded headers among them) are checked for CR, LF and NUL
  in one pass over the joined bytes; the server's own lines are constants.

Connection faults (``faults/inject.py``) reach the socket through ``scope["mockclaude.connection"]``:
the :class:`Exchange`, whose ``transport`` and ``disconnected`` they use (``send.__self__`` is the
same object, the shape uvicorn's request cycle has).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import httptools

from ..limits import Bounds, refusal

__all__ = ["ConnectionState", "Exchange", "HttpConnection"]

log = logging.getLogger("mockclaude.http")

HIGH_WATER = 65536  # body bytes buffered for the app before reading pauses
_ASGI = {"version": "3.0", "spec_version": "2.3"}
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


def _split_target(url: bytes) -> tuple[bytes, bytes]:
    """``/path?query`` -> (raw path, query); absolute-form targets through httptools' URL parser."""
    if url[:1] == b"/":
        raw, _, query = url.partition(b"?")
        if b"#" in query:
            query = query.partition(b"#")[0]
        elif b"#" in raw:
            raw = raw.partition(b"#")[0]
        return raw, query
    parsed = httptools.parse_url(url)
    return parsed.path or b"/", parsed.query or b""


class _TooLarge(Exception):
    """Raised in a parser callback: httptools aborts the parse and re-raises it from feed_data."""


class _BadTarget(Exception):
    """A request target that is not ASCII (or not a URL): a 400."""


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 connection (see the module doc).

    Its waits (the head, the body, the idle time between requests) are a deadline, not a timer
    each: the server sweeps the connections a few times a second (:meth:`ConnectionState.sweep`),
    so a request costs no timer-heap operations."""

    def __init__(self, state: ConnectionState, loop: asyncio.AbstractEventLoop) -> None:
        self.state = state
        self.loop = loop
        self.transport: Any = None
        self.parser = httptools.HttpRequestParser(self)
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.current: Exchange | None = None  # the one being answered
        self.parsing: Exchange | None = None  # the one whose body is arriving
        self.queue: deque[Exchange] = deque()  # pipelined, waiting for the current answer
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_bytes = self.head_count = self.raw_head = 0
        self.in_head = True  # waiting for (the rest of) a request head
        self.completed = False  # a message ended in the data being fed
        self.expect_continue = False
        self.over = False  # a head bound was exceeded in a parser callback
        self.refused = False  # a refusal is written or due: read nothing more
        self.after_queue = b""  # that refusal, when earlier answers must go out first
        self.read_paused = False
        self.write_paused = False
        self.drained: asyncio.Future[None] | None = None
        self.deadline = 0.0  # 0: no wait running
        self.waiting_for = ""  # what the deadline is for; "": idle between requests
        self.wait_seconds = 0.0

    # --- transport events ------------------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        state = self.state
        state.connections.add(self)
        server = transport.get_extra_info("sockname")
        client = transport.get_extra_info("peername")
        self.server = (str(server[0]), int(server[1])) if isinstance(server, tuple) else None
        self.client = (str(client[0]), int(client[1])) if isinstance(client, tuple) else None
        bounds = state.bounds
        if len(state.connections) > bounds.max_connections:
            self._refuse(503, f"mockclaude: more than {bounds.max_connections} concurrent connections", "overloaded_error")
            return
        self._arm(bounds.header_timeout, "the request headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self.deadline = 0.0
        for ex in (self.current, self.parsing, *self.queue):
            if ex is not None:
                ex.disconnected = True
                ex._wake()
        self.queue.clear()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    async def drain(self) -> None:
        """Wait until the transport takes more bytes (or the connection is gone)."""
        if self.drained is None:
            self.drained = self.loop.create_future()
        await self.drained

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        self.completed = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # no upgrades here: the request is answered as plain HTTP; what follows it is parsed on
            offset = upgrade.args[0] if upgrade.args else len(data)
            if 0 < offset < len(data):
                self.data_received(data[offset:])
            return
        except httptools.HttpParserError:
            if self.over:
                self._too_large()
            else:
                self._refuse(400, "mockclaude: malformed HTTP request", "invalid_request_error")
            return
        except _BadTarget:
            self._refuse(400, "mockclaude: the request target is not a valid URL", "invalid_request_error")
            return
        if self.in_head and not self.completed and not self.refused:
            # a head still incomplete: httptools buffers a header line whole before its callback,
            # so count the bytes that arrived as well (not a chunk that ended the previous message)
            self.raw_head += len(data)
            if self.raw_head > self.state.bounds.max_header_bytes:
                self._too_large()

    # --- parser callbacks -------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.head_bytes = self.head_count = self.raw_head = 0
        self.in_head = True
        self.expect_continue = False
        if not self.deadline or not self.waiting_for:  # idle until now: the head's clock starts
            self._arm(self.state.bounds.header_timeout, "the request headers")

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_bytes += len(url)
        if self.head_bytes > self.state.bounds.max_header_bytes:
            self.over = True
            raise _TooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_count += 1
        self.head_bytes += len(name) + len(value) + 4
        bounds = self.state.bounds
        if self.head_count > bounds.max_headers or self.head_bytes > bounds.max_header_bytes:
            self.over = True
            raise _TooLarge
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.in_head = False
        parser = self.parser
        version = parser.get_http_version()
        try:
            raw, query = _split_target(self.url)
            path = raw.decode("ascii")
        except (UnicodeDecodeError, httptools.HttpParserInvalidURLError):
            raise _BadTarget from None
        if "%" in path:
            path = unquote(path)
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": "http",
            "method": parser.get_method().decode("ascii"),
            "root_path": "",
            "path": path,
            "raw_path": raw,
            "query_string": query,
            "headers": self.headers,
        }
        ex = Exchange(self, scope, version != "1.0" and parser.should_keep_alive(), self.expect_continue)
        scope["mockclaude.connection"] = ex
        self.parsing = ex
        self._arm(self.state.bounds.body_timeout, "the request body")
        if self.current is None:
            self._start(ex)
        else:  # pipelined: answered once the ones before it are
            self.queue.append(ex)
            self._pause()

    def on_body(self, body: bytes) -> None:
        ex = self.parsing
        if ex is None or ex.disconnected or ex.complete:  # answered already (a 413): the rest is dropped
            return
        ex.chunks.append(body)
        ex.buffered += len(body)
        if ex.buffered > HIGH_WATER:
            self._pause()
        ex._wake()

    def on_message_complete(self) -> None:
        self.deadline = 0.0
        self.in_head = True  # what comes next on this connection is another head
        self.completed = True
        ex = self.parsing
        self.parsing = None
        if ex is not None:
            ex.more_body = False
            ex._wake()

    # --- answers ----------------------------------------------------------------------------------------

    def _start(self, ex: Exchange) -> None:
        self.current = ex
        tasks = self.state.tasks
        task = self.loop.create_task(ex.run(self.state.app))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def answered(self, ex: Exchange) -> None:
        """``ex``'s answer is complete: close, or answer the next pipelined request, or wait idle."""
        if self.current is ex:
            self.current = None
        transport = self.transport
        if transport.is_closing():
            return
        if not ex.keep_alive or self.state.stopping or (self.parsing is ex and ex.expect_continue):
            # (answered before its body was asked for with 100 Continue: the body may never come)
            ex._flush()
            transport.close()
        elif self.queue:
            self._start(self.queue.popleft())
            if not self.queue and not self.refused:
                self._resume()
        elif self.after_queue:
            ex._flush()
            transport.write(self.after_queue)
            transport.close()
        else:
            if self.read_paused and not self.refused:
                self._resume()
            if self.parsing is None and not self.deadline:
                self._arm(self.state.bounds.keepalive_timeout, "")

    def resume_for(self, ex: Exchange) -> None:
        """The app has read the body it had waiting: read on (unless requests are queued)."""
        if not self.queue and not self.refused:
            self._resume()

    def log_access(self, ex: Exchange, status: int) -> None:
        from ..access_log import format_line

        logger = self.state.access_log
        if logger is not None:
            logger.info(format_line(ex.scope, status))

    def shutdown(self) -> None:
        """The server stops: an idle connection closes now, a busy one after its answer."""
        if self.current is None and self.parsing is None:
            self.transport.close()
            return
        for ex in (self.current, self.parsing, *self.queue):
            if ex is not None:
                ex.keep_alive = False

    # --- flow and deadlines -----------------------------------------------------------------------------

    def _pause(self) -> None:
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()

    def _arm(self, seconds: float, what: str) -> None:
        if seconds and seconds > 0:
            self.deadline = self.loop.time() + seconds
            self.waiting_for, self.wait_seconds = what, seconds
        else:
            self.deadline = 0.0

    def expired(self) -> None:
        """The deadline passed (called by the sweep)."""
        self.deadline = 0.0
        if self.transport.is_closing():
            return
        if not self.waiting_for:  # idle between requests: close quietly
            self.transport.close()
            return
        self._refuse(408, f"mockclaude: {self.waiting_for} did not arrive within {self.wait_seconds:g} s",
                     "timeout_error")

    # --- refusals ---------------------------------------------------------------------------------------

    def _too_large(self) -> None:
        b = self.state.bounds
        self._refuse(431, f"mockclaude: request headers exceed {b.max_header_bytes} bytes or {b.max_headers} fields",
                     "invalid_request_error")

    def _refuse(self, status: int, message: str, etype: str) -> None:
        """Answer ``status`` with the API's error body and close: at once, or after the answers to
        the complete requests before it (pipelined) when one is still being written."""
        self.refused = True
        self.deadline = 0.0
        answer = refusal(status, message, etype, self.state.date_server())
        partial = self.parsing  # its body will not arrive: its app sees the client gone
        if partial is not None:
            self.parsing = None
            if partial in self.queue:
                self.queue.remove(partial)
            partial.disconnected = True
            partial._wake()
        current = self.current
        if current is not None and not current.disconnected:
            self.after_queue = answer
            self._pause()
            return
        if current is None or not current.started:
            self.transport.write(answer)
        self.transport.close()
