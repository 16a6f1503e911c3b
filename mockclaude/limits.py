"""Connection-level bounds: header size and count, slow or idle connections, concurrent connections.

Both servers enforce them: mockclaude's own (:mod:`mockclaude.httpserver`, the default) and, with
``--server uvicorn``, a subclass of uvicorn's httptools protocol (uvicorn alone has none of these:
16 MiB header lines and 100,000 headers were accepted; a client that stops half-way through its
headers held its connection forever):

* ``max_header_bytes`` (128 KiB, like a CDN edge) for the request line and headers together, and
  ``max_headers`` (256): beyond either, ``431`` with a JSON error body, then the connection closes;
* ``header_timeout`` (10 s): a connection that has not sent a complete request head this long
  after it opened, or after its previous answer, or after the first byte of a request, is answered
  ``408`` and closed (an idle keep-alive connection is closed quietly after 5 s, ``keepalive_timeout``);
* ``body_timeout`` (120 s): the whole body must arrive within this after the headers, else ``408``;
* ``max_connections`` (1,024): a connection beyond it is answered ``503`` and closed at once;
* a request that is not HTTP: ``400`` with the same JSON error body (``invalid_request_error``).

Each wait runs on the event loop: one slow client never holds up another.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any, NamedTuple

__all__ = ["DEFAULTS", "Bounds", "bounded_protocol", "bounds", "refusal"]

DEFAULTS: dict[str, float] = {
    "max_header_bytes": 128 * 1024,
    "max_headers": 256,
    "header_timeout": 10.0,
    "body_timeout": 120.0,
    "max_connections": 1024,
    "keepalive_timeout": 5.0,
}



class Bounds(NamedTuple):
    """The bounds of one server, from its settings (the module doc says what each one does)."""

    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float
    max_connections: int
    keepalive_timeout: float


def bounds(settings: Any = None) -> Bounds:
    """The bounds of ``settings`` (a :class:`~mockclaude.config.Settings`; None or an unset field: the default)."""

    def value(name: str) -> float:
        v = getattr(settings, name, None)
        return DEFAULTS[name] if v is None else v

    return Bounds(
        int(value("max_header_bytes")), int(value("max_headers")), value("header_timeout"),
        value("body_timeout"), int(value("max_connections")), value("keepalive_timeout"),
    )


def refusal(status: int, message: str, etype: str, extra_head: bytes = b"") -> bytes:
    """A whole HTTP answer that refuses a connection's request: the API's error body, then close.
    ``extra_head``: header lines to put first (the server's ``date`` and ``server``)."""
    body = json.dumps({"type": "error", "error": {"type": etype, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode("ascii") + extra_head
        + f"content-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode("ascii")
    )
    return head + body


def bounded_protocol(settings: Any = None) -> Any:
    """uvicorn's httptools protocol class with the bounds of ``settings`` (see the module doc), or
    None when httptools is not installed (uvicorn then picks h11, bounded by its own event size)."""
    try:
        import httptools
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency of uvicorn[standard]
        return None

    max_bytes, max_count, head_timeout, body_timeout, max_connections, _ = bounds(settings)

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """HttpToolsProtocol with header, time and connection bounds."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._head_bytes = self._raw_head = 0
            self._head_count = 0
            self._in_head = True  # waiting for (the rest of) a request head
            self._refused = False
            self._over = False
            self._completed = False
            self._timer: asyncio.TimerHandle | None = None
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self._refuse(503, f"mockclaude: more than {max_connections} concurrent connections", "overloaded_error")
                return
            self._arm(head_timeout, "the request headers")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        # --- timers -------------------------------------------------------------------------------

        def _arm(self, seconds: float, what: str) -> None:
            self._disarm()
            if seconds and seconds > 0:
                self._timer = self.loop.call_later(seconds, self._expired, what, seconds)

        def _disarm(self) -> None:
            timer = getattr(self, "_timer", None)
            if timer is not None:
                timer.cancel()
                self._timer = None

        def _expired(self, what: str, seconds: float) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete and not self._in_head:
                # the body stalled while the app waits for it: the app sees the client as gone
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            self._refuse(408, f"mockclaude: {what} did not arrive within {seconds:g} s", "timeout_error")

        def _refuse(self, status: int, message: str, etype: str) -> None:
            self._refused = True
            self._disarm()
            if self.cycle is None or self.cycle.response_started is False:
                self.transport.write(refusal(status, message, etype))
            self.transport.close()

        # --- parser callbacks -----------------------------------------------------------------------

        def data_received(self, data: bytes) -> None:
            # uvicorn's own, but a bound exceeded in a parser callback is a 431, not its 400
            if self._refused:
                return
            self._unset_keepalive_if_required()
            self._completed = False
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                if self._over:
                    self._too_large()
                    return
                self._refuse(400, "mockclaude: malformed HTTP request", "invalid_request_error")
                return
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            if self._in_head and not self._completed and not self.transport.is_closing():
                # a head still incomplete: httptools buffers a header line whole before its
                # callback, so count the bytes that arrived as well (not a chunk that ended the
                # previous message: those were its body)
                self._raw_head += len(data)
                if self._raw_head > max_bytes:
                    self._too_large()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = self._head_count = self._raw_head = 0
            self._in_head = True
            if self._timer is None:
                self._arm(head_timeout, "the request headers")

        def on_url(self, url: bytes) -> None:
            self._head_bytes += len(url)
            if self._head_bytes > max_bytes:
                self._over = True
                raise _TooLarge
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._head_count += 1
            self._head_bytes += len(name) + len(value) + 4
            if self._head_count > max_count or self._head_bytes > max_bytes:
                self._over = True
                raise _TooLarge
            # uvicorn's own on_header, inlined: this runs for every header of every request
            name = name.lower()
            if name == b"expect" and value.lower() == b"100-continue":
                self.expect_100_continue = True
            self.headers.append((name, value))

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._arm(body_timeout, "the request body")
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()
            self._completed = True
            self._in_head = True  # what comes next on this connection is another head

        def _too_large(self) -> None:
            self._refuse(
                431,
                f"mockclaude: request headers exceed {max_bytes} bytes or {max_count} fields",
                "invalid_request_error",
            )

    return BoundedHttpToolsProtocol


class _TooLarge(Exception):
    """Raised from a parser callback: httptools aborts the parse and re-raises it from feed_data."""
