"""``mockclaude`` — the command line.

    mockclaude serve [--host H] [--port N] [--api-key KEY] [--cassette PATH] [--record-mode M] ...
    mockclaude cassette ls|show|lint|redact|import-vcr ...
    mockclaude conformance --client CMD [--cases GLOB] [--seed S] [--report DIR] ...
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .config import RECORD_MODES, Settings
from .errors import ConfigError, MockClaudeError

__all__ = ["main"]

FAULT_HELP = """\
fault specs (--fault, the x-mockclaude-fault header, POST /_mockclaude/faults):
  KIND[:key=value]...          e.g. 429:times=2:retry-after-ms=200   529:rate=0.1:seed=7
  HTTP errors (the real API's body and headers):
    429  rate_limit_error (retry-after, x-should-retry: true)   529  overloaded_error "Overloaded"
    500  api_error "Internal server error"   504/408  timeout_error   409  conflict_error
    413  the edge's request_too_large body           options: message=TEXT type=ERROR_TYPE
  in the stream, after N events (a non-streaming request gets the JSON equivalent):
    stream-error:after=N[:type=T]   event: error (overloaded_error) after a 200; JSON: that HTTP error
    cut-stream:after=N[:clean=true] connection dropped, no message_stop; JSON: half the body, dropped
    stall:after=N:seconds=T         no bytes for T seconds, then the rest
    drip:interval=S | drip:bps=N    S seconds between events, or N bytes per second
    chunk:size=N|A-B[:delay=S]      the body written N bytes at a time (A-B: seeded random sizes)
    latency:ttfb=S:per-event=S:jitter=S   delay to first byte / between events, seeded jitter
  connection faults, before any response:  reset (TCP RST)   empty (closed, no bytes)
    garbage[:bytes=N] (random bytes, then closed)
  options for any kind:
    times=N            the next N matching requests, then normal (default: every request)
    rate=P:seed=S      each matching request with probability P, reproducibly from seed S
    retry-after=S  retry-after-ms=MS  should-retry=true|false   headers sent with the error
    stream=true|false  endpoint=messages|count_tokens  model=GLOB   which requests it applies to
  e.g. --fault 429:times=2:retry-after-ms=200 --fault cut-stream:after=3:model=claude-haiku-*
rate limits (--rate-limit): rpm=N,tpm=N,itpm=N,otpm=N per API key; 429 + anthropic-ratelimit-* headers
  details: {faults_doc}
"""


def docs_path(name: str) -> str:
    """Where a documentation file is on this machine: the copy installed with the package, or the
    source tree's ``docs/`` (an editable install)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "docs" / name, here.parent / "docs" / name):
        if candidate.is_file():
            return str(candidate)
    return f"docs/{name} in the mockclaude sources"


def _serve_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "serve",
        help="serve the Messages API double",
        description="Serve POST /v1/messages (and count_tokens, models) as the real API would.",
        epilog=FAULT_HELP.replace("{faults_doc}", docs_path("faults.md")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: loopback only)")
    p.add_argument("--port", default=None, help="port (0: a free port; default 8088)")
    p.add_argument("--api-key", help="accept only this API key (default: any key)")
    p.add_argument("--strict-models", action="store_true", help="answer 404 for model ids not in the registry")
    p.add_argument("--strict-betas", action="store_true", help="answer 400 for unknown anthropic-beta flags")
    p.add_argument("--cassette", help="cassette file to replay from (and record to)")
    p.add_argument("--record-mode", choices=RECORD_MODES, default=None, help="default: none (replay only)")
    p.add_argument("--upstream", help="upstream base URL when recording (default https://api.anthropic.com)")
    p.add_argument(
        "--upstream-proxy",
        metavar="URL",
        help="proxy for the connection to the upstream (default: HTTPS_PROXY/HTTP_PROXY; 'none': direct)",
    )
    p.add_argument("--match-on", help="comma-separated request matchers (default: method,path,body)")
    p.add_argument("--ignore-field", action="append", default=[], help="body field the matcher ignores")
    p.add_argument("--replay-speed", type=float, default=None, help="0: no delays (default), 1: recorded pace")
    p.add_argument("--redact-header", action="append", default=[], help="another header to keep out of files")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC", help="inject a fault (repeatable)")
    p.add_argument(
        "--rate-limit", metavar="LIMITS", default=None, help="emulate rate limits per API key, e.g. rpm=50,tpm=20000"
    )
    p.add_argument(
        "--responses", metavar="FILE", default=None, help=f"scripted answers, a YAML or JSON file (format: 'Scripted answers' in {docs_path('pytest.md')})"
    )
    p.add_argument("--cache-min-tokens", type=int, default=None, help="minimum cacheable prompt prefix")
    p.add_argument("--max-header-bytes", type=int, default=None, help="request head size limit (default 131072) -> 431")
    p.add_argument("--max-headers", type=int, default=None, help="header count limit (default 256) -> 431")
    p.add_argument("--header-timeout", type=float, default=None, help="seconds for a request's headers (default 10)")
    p.add_argument("--body-timeout", type=float, default=None, help="seconds for a request's body (default 120)")
    p.add_argument("--max-connections", type=int, default=None, help="concurrent connections (default 1024) -> 503")
    p.add_argument("--keepalive-timeout", type=float, default=None, help="seconds an idle connection is kept (default 5)")
    p.add_argument(
        "--server", default=None, metavar="NAME",
        help="HTTP server: auto (default: mockclaude's own; uvicorn without httptools), mockclaude, uvicorn",
    )
    p.add_argument("--admin-key", help="key the /_mockclaude/* routes require (default: the --api-key, if any)")
    p.add_argument("--no-admin", action="store_true", help="do not serve the /_mockclaude/* routes (journal, reset, faults)")
    p.add_argument(
        "--allowed-host", action="append", default=[], metavar="NAME",
        help="a Host name the admin routes accept beside loopback and the bound address (repeatable; '*': any)",
    )
    p.add_argument("--log-level", default=None, help=f"log level: {', '.join(LOG_LEVELS)} (default warning)")
    p.add_argument("--access-log", action="store_true", default=None, help="log every request (slower)")
    p.add_argument(
        "--workers", default=None, metavar="N",
        help="processes serving the port (default 1; POSIX); each has its own journal, faults and caches",
    )
    parser: argparse.ArgumentParser = p
    return parser


def _settings_from_args(args: argparse.Namespace) -> Settings:
    options: dict[str, Any] = {
        "api_key": args.api_key,
        "strict_models": args.strict_models or None,
        "strict_betas": args.strict_betas or None,
        "cassette": args.cassette,
        "record_mode": args.record_mode,
        "upstream": args.upstream,
        "upstream_proxy": args.upstream_proxy,
        "match_on": tuple(s.strip() for s in args.match_on.split(",")) if args.match_on else None,
        "ignore_fields": tuple(args.ignore_field) or None,
        "replay_speed": args.replay_speed,
        "redact_headers": tuple(args.redact_header) or None,
        "faults": tuple(args.fault) or None,
        "rate_limits": args.rate_limit,
        "cache_min_tokens": args.cache_min_tokens,
        "max_header_bytes": args.max_header_bytes,
        "max_headers": args.max_headers,
        "header_timeout": args.header_timeout,
        "body_timeout": args.body_timeout,
        "max_connections": args.max_connections,
        "keepalive_timeout": args.keepalive_timeout,
        "server": args.server,
        "admin_key": args.admin_key,
        "admin": False if args.no_admin else None,
        "allowed_hosts": tuple(args.allowed_host) or None,
        "responses": args.responses,
    }
    return Settings.from_env(**options)


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"port {raw!r} is not a number (0-65535; 0: a free port)") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is out of range (0-65535; 0: a free port)")
    return port


def _log_level(raw: str) -> str:
    level = raw.strip().lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"log level {raw!r} is not one of: {', '.join(LOG_LEVELS)}")
    return level


def _server_options(args: argparse.Namespace) -> None:
    """The options of the server itself (not Settings), from the flags or MOCKCLAUDE_*, checked."""
    env = os.environ
    args.host = args.host or env.get("MOCKCLAUDE_HOST") or "127.0.0.1"
    args.port = _port(str(args.port if args.port is not None else env.get("MOCKCLAUDE_PORT", "8088")))
    args.log_level = _log_level(args.log_level or env.get("MOCKCLAUDE_LOG_LEVEL", "warning"))
    if args.access_log is None:
        args.access_log = env.get("MOCKCLAUDE_ACCESS_LOG", "").strip().lower() in ("1", "true", "yes", "on")
    args.workers = _workers(str(args.workers if args.workers is not None else env.get("MOCKCLAUDE_WORKERS", "1")))


def _workers(raw: str) -> int:
    from .workers import can_fork

    try:
        n = int(raw)
    except ValueError:
        raise ConfigError(f"--workers {raw!r} is not a number") from None
    if n < 1:
        raise ConfigError(f"--workers must be at least 1, not {n}")
    if n > 1 and not can_fork():
        raise ConfigError("--workers above 1 needs fork(): Linux or macOS (use one worker here)")
    return n


def describe_serving(app: Any) -> str:
    """One line: what this server answers from (cassette, record mode, upstream, faults, script)."""
    s = app.settings
    parts = []
    if s.cassette is not None:
        size = sum(len(getattr(r, "index", ())) for r in app.responders if hasattr(r, "unused"))
        from .cassette import effective_mode

        mode = effective_mode(s.record_mode, s.cassette)
        counted = f", {size} interaction(s)" if any(hasattr(r, "unused") for r in app.responders) else ", new"
        parts.append(f"cassette {s.cassette}{counted}, record mode {s.record_mode}" + (f" ({mode})" if mode != s.record_mode else ""))
        if mode != "none":
            parts.append(f"upstream {s.upstream or 'https://api.anthropic.com'}")
    else:
        parts.append("synthetic answers (no cassette)")
    queued = app.faults.queued()
    if queued:
        parts.append("faults " + "; ".join(q["spec"] for q in queued))
    if s.rate_limits is not None:
        parts.append(f"rate limits {s.rate_limits}")
    if app.script.replies:
        parts.append(f"{len(app.script.replies)} scripted answer(s)")
    return "mockclaude: serving " + ", ".join(parts)


def serve(args: argparse.Namespace) -> int:
    from .app import MockClaudeApp
    from .config import unknown_env
    from .server import bind_socket, server_kind

    for name in unknown_env():
        print(f"mockclaude: warning: {name} is not a mockclaude variable (ignored); see mockclaude serve --help", file=sys.stderr)
    try:
        _server_options(args)
        settings = _settings_from_args(args)
        if args.workers > 1 and settings.record_mode != "none":
            raise ConfigError("recording needs one worker: the workers would write the same cassette")
        args.server = server_kind(settings)  # a server that cannot run here is refused now
        app = MockClaudeApp(settings)
    except MockClaudeError as err:
        print(f"mockclaude: {err}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as err:
        print(f"mockclaude: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"mockclaude listening on http://{host}:{port}", flush=True)
    print(describe_serving(app), flush=True)
    from .admin import exposure_warning

    warning = exposure_warning(args.host, settings)
    if warning:
        print(f"mockclaude: warning: {warning}", file=sys.stderr, flush=True)
    if args.workers > 1:  # each worker serves the socket with its own copy of the app (workers.py)
        from .workers import run_workers

        try:
            return run_workers(args.workers, lambda: _serve_socket(app, sock, args))
        finally:
            sock.close()
    return _serve_socket(app, sock, args)


def _serve_socket(app: Any, sock: Any, args: argparse.Namespace) -> int:
    """Serve ``app`` on ``sock`` until SIGINT/SIGTERM; 0 once stopped cleanly."""
    import logging

    # Rejected and unmatched requests, one line each with the reason (the "mockclaude" logger).
    log_handler = logging.StreamHandler(sys.stderr)
    log_handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("mockclaude")
    logger.addHandler(log_handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO if args.log_level in ("info", "debug", "trace") else logging.WARNING)
    try:
        if args.server == "uvicorn":
            _serve_uvicorn(app, sock, args)
        else:
            from .access_log import access_logger
            from .httpserver import HttpServer

            server = HttpServer(app, access_log=access_logger() if args.access_log else None)
            server.run([sock], signals=True)  # SIGINT/SIGTERM: a graceful stop, then back here
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        sock.close()
        app.close()  # a clean stop compacts a recording (a kill leaves it appended, still valid)
    return 0


def _serve_uvicorn(app: Any, sock: Any, args: argparse.Namespace) -> None:
    """``--server uvicorn``: the same app on uvicorn (with the bounds of limits.py)."""
    import logging

    import uvicorn

    from .server import uvicorn_config

    server = uvicorn.Server(uvicorn_config(app, log_level=args.log_level, access_log=args.access_log))
    if args.access_log:  # on its own too: the access log is uvicorn's info level
        from .access_log import install

        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
        install()  # after uvicorn has configured its loggers: keys in query strings redacted

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal against the handler
    # that was in place before it started: make that one end the process with status 0.
    def stopped(signum: int, frame: object) -> None:
        raise _Stopped

    previous = {sig: signal.signal(sig, stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stopped(Exception):
    """Raised by the signal handler once uvicorn has shut down."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "cassette":
        from .cassette.cli import main as cassette_main

        return int(cassette_main(argv[1:]) or 0)
    if argv and argv[0] == "conformance":
        from .conformance.cli import main as conformance_main  # needs the [conformance] extra (hypothesis)

        return conformance_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="mockclaude",
        description="A record-and-replay test double of the Claude Messages API: serve it, manage its cassettes.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"mockclaude {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _serve_parser(sub)
    sub.add_parser("cassette", help="list, show, lint, redact or import cassettes (see: mockclaude cassette -h)")
    sub.add_parser("conformance", help="judge a Claude client against generated cases (see: mockclaude conformance -h)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
