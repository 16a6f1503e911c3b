"""Run the double: a real HTTP server in a background thread, and the handle tests use.

The server is mockclaude's own (:mod:`mockclaude.httpserver`) unless the ``server`` setting says
``uvicorn`` (or httptools is missing and it says ``auto``): :func:`server_kind`. Either way the
same app answers."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

from .config import Settings
from .errors import ConfigError, MockClaudeError

__all__ = ["MockClaude", "bind_socket", "server_kind", "uvicorn_config"]


def server_kind(settings: Any) -> str:
    """``"mockclaude"`` or ``"uvicorn"``: the server the ``server`` setting asks for; ``auto`` (the
    default) defers to ``$MOCKCLAUDE_SERVER``, then takes ours when httptools can be imported (so
    ``MOCKCLAUDE_SERVER=uvicorn pytest`` runs every :class:`MockClaude` of a suite on uvicorn).
    ConfigError when ours is asked for and cannot run, or the variable names no server."""
    choice = getattr(settings, "server", "auto")
    if choice == "auto":
        from .config import SERVERS

        choice = os.environ.get("MOCKCLAUDE_SERVER", "auto").strip().lower() or "auto"
        if choice not in SERVERS:
            raise ConfigError(f"MOCKCLAUDE_SERVER={choice!r} is not one of: {', '.join(SERVERS)}")
    if choice == "uvicorn":
        return "uvicorn"
    try:
        import httptools  # noqa: F401  (the parser of mockclaude's server)
    except ImportError:
        if choice == "mockclaude":
            raise ConfigError("server 'mockclaude' needs httptools (pip install httptools), or use --server uvicorn") from None
        return "uvicorn"
    return "mockclaude"


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: a free port chosen by the OS)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, *, log_level: str = "warning", access_log: bool = False, **kw: Any) -> Any:
    """uvicorn settings for the double: uvloop and httptools when installed (with the bounds of
    ``app.settings``: header size and count, timeouts, connections), no access log."""
    import uvicorn

    from .limits import bounded_protocol, bounds

    settings = getattr(app, "settings", None)
    kw.setdefault("timeout_keep_alive", bounds(settings).keepalive_timeout)
    return uvicorn.Config(
        app,
        loop="auto",
        http=bounded_protocol(settings) or "auto",  # header, time and connection bounds (limits.py)
        ws="none",  # the API has no websockets: an upgrade request is answered as plain HTTP (was a 500)
        lifespan="off",
        log_level=log_level,
        access_log=access_log,
        proxy_headers=False,  # nothing sits in front of a test double; the middleware costs per request
        timeout_graceful_shutdown=2,
        **kw,
    )


class MockClaude:
    """A mockclaude server. As a context manager it serves on loopback in a background thread.

    ``MockClaude(*, cassette=None, record_mode="none", upstream=None, faults=(), api_key=None, ...)``
    takes the keywords of :class:`mockclaude.config.Settings` (plus ``host`` and ``port``); the CLI,
    the pytest plugin and ``MOCKCLAUDE_*`` variables all map onto the same keywords.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, settings: Settings | None = None, **options: Any):
        from .app import create_app

        self.app = create_app(settings, **options)
        self.settings = self.app.settings
        self.host, self.port = host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> MockClaude:
        if self._thread is not None:
            return self
        kind = server_kind(self.settings)
        self._sock = bind_socket(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        if kind == "mockclaude":
            from .httpserver import HttpServer

            self._server = HttpServer(self.app)
            started = self._server.started.is_set
        else:
            import uvicorn

            self._server = uvicorn.Server(uvicorn_config(self.app))
            started = lambda: self._server.started  # noqa: E731
        sock = self._sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"mockclaude:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not started():
            if not self._thread.is_alive():
                raise MockClaudeError(f"mockclaude server on {self.url} failed to start")
            if time.monotonic() > deadline:
                raise MockClaudeError(f"mockclaude server on {self.url} did not start in {timeout}s")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            if hasattr(self._server, "stop"):
                self._server.stop()  # mockclaude's server: wakes it at once
            else:
                self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self.app.close()  # after the server's last answer: compacts a recording
        self._server = self._thread = self._sock = None

    def __enter__(self) -> MockClaude:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests use ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give a client (``ANTHROPIC_BASE_URL``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    base_url = url

    @property
    def journal(self) -> Any:
        return self.app.journal

    @property
    def requests(self) -> list[Any]:
        """The journal's entries, oldest first."""
        return self.app.journal.entries()

    @property
    def asgi_app(self) -> Any:
        """The ASGI app, for socket-free clients (``httpx.ASGITransport``)."""
        return self.app

    def transport(self) -> Any:
        """An ``httpx.AsyncBaseTransport`` that calls the app in-process, no socket involved."""
        import httpx

        return httpx.ASGITransport(app=self.app)

    def sdk_http_client(self, **client_options: Any) -> Any:
        """A socket-free ``httpx2.Client`` for the official SDK (which uses ``httpx2``, not ``httpx``):
        ``anthropic.Anthropic(http_client=mock.sdk_http_client(), api_key="test")``. Every host
        routes to the app in-process; the server need not be started."""
        from .inprocess import sdk_http_client

        return sdk_http_client(self.app, **client_options)

    def async_sdk_http_client(self, **client_options: Any) -> Any:
        """The async twin of :meth:`sdk_http_client`, for ``anthropic.AsyncAnthropic(http_client=...)``."""
        from .inprocess import async_sdk_http_client

        return async_sdk_http_client(self.app, **client_options)

    def reset(self) -> None:
        """Forget the journal and the prompt cache; faults back to the ones the server started with
        (those added since are dropped); cassettes rewound."""
        self.app.reset()

    def add_fault(self, fault: Any) -> Any:
        """Queue a fault: a spec (``"429:times=2"``), a dict, or a value from :mod:`mockclaude.faults`.
        Returns it as a :class:`~mockclaude.faults.Fault`; a malformed one raises ``ConfigError``."""
        return self.app.faults.add(fault)

    def clear_faults(self) -> None:
        """Forget queued faults (and the rate-limit emulator's buckets)."""
        self.app.faults.clear()

    @property
    def faults(self) -> list[dict[str, Any]]:
        """What is queued: spec, remaining count, how often each fault fired."""
        return list(self.app.faults.queued())

    # --- scripted answers -------------------------------------------------------------------------

    def respond(self, reply: Any = None, **keywords: Any) -> Any:
        """Script an answer: ``respond(text=...)``, ``respond(tool_use={"name": ..., "input": {...}})``,
        ``respond(thinking=..., text=...)``, ``respond(error=429)``, ``respond(message={...})``;
        with ``when=`` (a dict of conditions or a callable) and ``times=N`` (default 1; None: until
        cleared). Answers are tried in the order added. Returns the
        :class:`~mockclaude.responders.scripted.Reply` (its ``used`` counts the requests it answered);
        a malformed one raises ``ConfigError``."""
        return self.app.script.add(reply, **keywords)

    @property
    def responses(self) -> list[Any]:
        """The scripted answers, in order, with their use counts."""
        return list(self.app.script.replies)

    def clear_responses(self) -> None:
        """Forget every scripted answer."""
        self.app.script.clear()

    def assert_all_used(self) -> None:
        """An AssertionError listing scripted answers with uses left and cassette interactions not
        played (like VCR.py's ``all_played`` and respx's ``assert_all_called``)."""
        from .answers import assert_all_used

        __tracebackhide__ = True
        assert_all_used(self.app)

