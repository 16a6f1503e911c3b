"""Socket-free clients for the official SDK: the app called in-process, no server or socket.

A lower module than :mod:`mockclaude.server` and :mod:`mockclaude.testing`, which both offer these
(``MockClaude.sdk_http_client()``, the fixture's ``sdk_http_client()``). ``httpx2`` is imported on
first use only.

* :class:`SyncASGITransport` lets the official SDK (which speaks ``httpx2``, not ``httpx``) call
  the app in-process: ``anthropic.Anthropic(http_client=mock.sdk_http_client())``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import httpx2

__all__ = [  # noqa: F822 - SyncASGITransport is built on first access (module __getattr__)
    "SyncASGITransport",
    "async_sdk_http_client",
    "sdk_http_client",
]


# --- socket-free clients for the official SDK (httpx2) ----------------------------------------------


class _LoopThread:
    """An asyncio loop running in a daemon thread, for sync callers of async code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mockclaude-asgi", daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def __getattr__(name: str) -> Any:
    # SyncASGITransport subclasses httpx2.BaseTransport: built on first use, so that importing this
    # module (the pytest plugin does) imports neither httpx2 nor the SDK.
    if name == "SyncASGITransport":
        return _sync_transport_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SYNC_TRANSPORT: type[Any] | None = None


def _sync_transport_class() -> type[Any]:
    global _SYNC_TRANSPORT
    if _SYNC_TRANSPORT is not None:
        return _SYNC_TRANSPORT
    import httpx2

    class SyncASGITransport(httpx2.BaseTransport):
        """An ``httpx2.BaseTransport`` that calls an ASGI app in-process.

        httpx2's own ``ASGITransport`` is async-only; the SDK's sync client needs a sync transport.
        The app runs on a private event-loop thread; each response is read whole (streams
        included: the SDK still parses them event by event). The request's read timeout applies,
        so a stalled stream raises ``httpx2.ReadTimeout`` as it would over a socket. Faults that
        act on the connection itself (reset, garbage, empty) need a real socket: use ``mock.url``.
        """

        def __init__(self, app: Any) -> None:
            self.app = app
            self._asgi = httpx2.ASGITransport(app=app)
            self._loop: _LoopThread | None = None
            self._lock = threading.Lock()

        def _runner(self) -> _LoopThread:
            with self._lock:
                if self._loop is None:
                    self._loop = _LoopThread()
                return self._loop

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            body = request.read()
            inner = httpx2.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=body,
                extensions=request.extensions,
            )

            async def call() -> tuple[int, Any, bytes]:
                resp = await self._asgi.handle_async_request(inner)
                return resp.status_code, resp.headers, await resp.aread()

            timeout = (request.extensions.get("timeout") or {}).get("read")
            future = asyncio.run_coroutine_threadsafe(call(), self._runner().loop)
            try:
                status, headers, content = future.result(timeout)
            except TimeoutError:
                future.cancel()
                raise httpx2.ReadTimeout("mockclaude (in-process): read timed out", request=request) from None
            return httpx2.Response(status, headers=headers, content=content, request=request)

        def close(self) -> None:
            with self._lock:
                loop, self._loop = self._loop, None
            if loop is not None:
                loop.close()

    SyncASGITransport.__module__ = __name__
    _SYNC_TRANSPORT = SyncASGITransport
    return _SYNC_TRANSPORT


def sdk_http_client(app: Any, **client_options: Any) -> httpx2.Client:
    """An ``httpx2.Client`` wired to ``app`` in-process, for ``anthropic.Anthropic(http_client=...)``.
    Every host routes to the app, so the SDK's default base URL is fine (nothing leaves the process)."""
    import httpx2

    return httpx2.Client(transport=_sync_transport_class()(app), **client_options)


def async_sdk_http_client(app: Any, **client_options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` wired to ``app`` in-process, for ``anthropic.AsyncAnthropic``."""
    import httpx2

    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), **client_options)
