"""mockclaude's own HTTP/1.1 server: httptools' parser on asyncio protocols, ASGI 3 to the app.

The default under ``mockclaude serve``, :class:`mockclaude.MockClaude` and the pytest plugin
(``server="uvicorn"`` / ``--server uvicorn`` / ``MOCKCLAUDE_SERVER=uvicorn`` serves the same app on
uvicorn instead; so does ``auto`` when httptools cannot be imported). Why a server of its own: for a
small request uvicorn spent about as much CPU as the whole answer (two regular expressions per
response header, a Python-level cycle object per request), and importing it pulls in click.

What it speaks and does is in :mod:`mockclaude.httpserver.connection`; this module runs it:
listening sockets, a sweep of connection deadlines, graceful stop on SIGINT/SIGTERM (answers in
flight finish within ``graceful_timeout``, then the connections close), uvloop when installed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..limits import bounds
from .connection import HttpConnection
from .exchange import ConnectionState, Exchange

__all__ = ["ConnectionState", "Exchange", "HttpConnection", "HttpServer", "available", "new_event_loop"]

SWEEP_SECONDS = 0.1  # how often deadlines (408s, idle keep-alive) and a stop request are looked at


def available() -> bool:
    """Whether this server can run here (httptools importable)."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed (not on Windows), else asyncio's default."""
    if sys.platform != "win32":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


class HttpServer:
    """Serve an ASGI app on listening sockets until :meth:`stop` (or a signal, with
    ``run(..., signals=True)`` in the main thread).

    The bounds (header size and count, timeouts, connections) are those of ``settings`` (default:
    ``app.settings``; see :mod:`mockclaude.limits`). ``graceful_timeout``:
    seconds answers in flight get to finish once stopping; ``access_log``: a logger that gets one
    line per answer (the format of :func:`mockclaude.access_log.format_line`)."""

    def __init__(self, app: Any, *, settings: Any = None, access_log: logging.Logger | None = None,
                 graceful_timeout: float = 2.0) -> None:
        settings = settings if settings is not None else getattr(app, "settings", None)
        self.state = ConnectionState(app, bounds(settings), access_log=access_log)
        self.graceful_timeout = graceful_timeout
        self.started = threading.Event()
        self.should_exit = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._forced = False

    # --- running ----------------------------------------------------------------------------------

    def run(self, sockets: Sequence[Any], *, signals: bool = False) -> None:
        """Serve on ``sockets`` (listening, already bound) in this thread until stopped."""
        loop = new_event_loop()
        try:
            loop.run_until_complete(self.serve(sockets, signals=signals))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def serve(self, sockets: Sequence[Any], *, signals: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._wake = asyncio.Event()
        state = self.state

        def protocol() -> HttpConnection:
            return HttpConnection(state, loop)

        restore = self._install_signals(loop) if signals else {}  # before the first connection
        servers = [await loop.create_server(protocol, sock=sock, backlog=2048) for sock in sockets]
        self.started.set()
        logging.getLogger("mockclaude.http").info(
            "mockclaude: serving HTTP/1.1 (mockclaude's server, %s loop, pid %d)", type(loop).__module__.split(".")[0], os.getpid()
        )
        try:
            while not self.should_exit:
                try:
                    await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)
                except asyncio.TimeoutError:
                    pass
                state.sweep(loop.time())
        finally:
            await self._shut_down(servers)
            for sig, handler in restore.items():
                try:
                    loop.remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError, ValueError):
                    pass
                signal.signal(sig, handler)

    async def _shut_down(self, servers: list[Any]) -> None:
        state = self.state
        state.stopping = True
        for server in servers:
            server.close()
        for conn in list(state.connections):
            conn.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.graceful_timeout
        while state.tasks and not self._forced and loop.time() < deadline:  # a second signal ends the wait
            await asyncio.wait(list(state.tasks), timeout=min(SWEEP_SECONDS, max(0.0, deadline - loop.time())))
        for conn in list(state.connections):
            conn.transport.close()
        tasks = list(state.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        await asyncio.sleep(0)  # the transports' close callbacks run

    # --- stopping ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop serving (from any thread): answers in flight get ``graceful_timeout`` to finish."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def _signalled(self) -> None:
        if self.should_exit:  # a second signal: do not wait for answers in flight
            self._forced = True
        self.stop()

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> dict[int, Any]:
        """SIGINT and SIGTERM stop the server. Returns the handlers to put back afterwards."""
        previous: dict[int, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.getsignal(sig)
            try:
                loop.add_signal_handler(sig, self._signalled)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows: plain handlers
                signal.signal(sig, lambda signum, frame: loop.call_soon_threadsafe(self._signalled))
        return previous
