"""One client connection: HTTP/1.1 parsed by httptools, each request handed to the ASGI app.

:class:`HttpConnection` is an ``asyncio.Protocol``; :class:`~.exchange.Exchange` is one request and its answer
(the ASGI ``receive`` and ``send``). What it does, and why, in short:

* keep-alive (HTTP/1.1 unless ``Connection: close``; HTTP/1.0 never), pipelined requests answered
  in order (reading pauses while one waits), chunked request bodies, ``Expect: 100-continue``
  (``100 Continue`` once the app asks for the body);
* a response with a ``content-length`` is written as is; one without (a stream) in chunked
  transfer-encoding (HTTP/1.0: until the connection closes);
* flow control: reading pauses while a pipelined request waits for the answers before it, or more
  than 64 KiB of body waits for the app; ``send`` waits while the transport's write buffer is full
  (``pause_writing``/``resume_writing``). Reading does not pause during an answer otherwise, so a
  client that hangs up is seen at once: ``receive()`` gives ``http.disconnect``, and ``send`` after
  it does nothing;
* idle keep-alive connections close after ``keepalive_timeout`` (5 s); the server stops gracefully
  (idle connections close, answers in flight finish within a bound, see :class:`~mockclaude.httpserver.HttpServer`);
* the connection bounds of :mod:`mockclaude.limits` (431, 408, 503, 400 with the API's error body);
* the response head is written with the first body bytes (one write for a whole JSON answer) or on
  the next loop turn, whichever comes first, so a stream's headers never wait for its first event;
* headers from the app (a cassette's recorded headers among them) are checked for CR, LF and NUL
  in one pass over the joined bytes; the server's own lines are constants.

Connection faults (``faults/inject.py``) reach the socket through ``scope["mockclaude.connection"]``:
the :class:`~.exchange.Exchange`, whose ``transport`` and ``disconnected`` they use (``send.__self__`` is the
same object, the shape uvicorn's request cycle has).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from urllib.parse import unquote

import httptools

from ..limits import refusal
from .exchange import HIGH_WATER, ConnectionState, Exchange

__all__ = ["HttpConnection"]

_ASGI = {"version": "3.0", "spec_version": "2.3"}


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
