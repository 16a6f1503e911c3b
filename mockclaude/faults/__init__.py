"""Fault injection: every failure a Claude client meets in production, on demand.

Faults are values::

    from mockclaude import faults
    faults.rate_limited(retry_after_ms=200, times=2)   # == faults.parse("429:retry-after-ms=200:times=2")
    faults.overloaded(rate=0.1, seed=7)
    faults.cut_stream(after_events=3)

and plans are lists of them: ``MockClaude(faults=[...])``, ``mock.add_fault(...)``,
``mockclaude serve --fault SPEC``, ``POST /_mockclaude/faults`` or, for one request, the
``x-mockclaude-fault: SPEC`` header. The grammar and every kind are described in ``docs/faults.md``.

Every constructor also takes the options any fault takes: ``times`` (the next N matching requests),
``rate`` and ``seed`` (probabilistic, reproducible), ``retry_after``, ``retry_after_ms``,
``should_retry``, and the matchers ``stream``, ``endpoint``, ``model``.
"""

from __future__ import annotations

from typing import Any

from .inject import ConnectionFault, Injection
from .plan import FAULT_HEADER, FaultPlan
from .spec import KINDS, Fault, FaultSpecError, parse

__all__ = [
    "FAULT_HEADER",
    "KINDS",
    "ConnectionFault",
    "Fault",
    "FaultPlan",
    "FaultSpecError",
    "Injection",
    "api_error",
    "chunked",
    "conflict",
    "cut_stream",
    "drip",
    "empty_response",
    "garbage",
    "gateway_timeout",
    "http_error",
    "latency",
    "overloaded",
    "parse",
    "rate_limited",
    "request_timeout",
    "request_too_large",
    "reset",
    "stall",
    "stream_error",
]


def http_error(status: int | str, **options: Any) -> Fault:
    """An HTTP error answer: 429, 529, 500, 504, 408, 409 or 413 (``message=``, ``type=`` override)."""
    return Fault.of(str(status), **options)


def rate_limited(*, retry_after: float | None = None, retry_after_ms: float | None = None, **options: Any) -> Fault:
    """429 ``rate_limit_error`` with ``retry-after`` (1 s unless given) and ``x-should-retry: true``."""
    return Fault.of("429", retry_after=retry_after, retry_after_ms=retry_after_ms, **options)


def overloaded(**options: Any) -> Fault:
    """529 ``overloaded_error``, message ``Overloaded``."""
    return Fault.of("529", **options)


def api_error(**options: Any) -> Fault:
    """500 ``api_error``, message ``Internal server error``."""
    return Fault.of("500", **options)


def gateway_timeout(**options: Any) -> Fault:
    """504 ``timeout_error``."""
    return Fault.of("504", **options)


def request_timeout(**options: Any) -> Fault:
    """408 ``timeout_error``."""
    return Fault.of("408", **options)


def conflict(**options: Any) -> Fault:
    """409 ``conflict_error``."""
    return Fault.of("409", **options)


def request_too_large(**options: Any) -> Fault:
    """413 in the edge's form: ``{"error":{"type":"request_too_large",...}}`` (no request_id)."""
    return Fault.of("413", **options)


def stream_error(after_events: int = 0, *, type: str | None = None, **options: Any) -> Fault:
    """An ``event: error`` after N events of a 200 stream (``overloaded_error`` unless ``type``)."""
    return Fault.of("stream-error", after=after_events, type=type, **options)


def cut_stream(after_events: int = 0, **options: Any) -> Fault:
    """The connection dropped after N events: no ``message_stop``, no chunked terminator."""
    return Fault.of("cut-stream", after=after_events, **options)


def stall(seconds: float = 10.0, *, after_events: int = 0, **options: Any) -> Fault:
    """No bytes for ``seconds`` after N events, then the rest of the stream."""
    return Fault.of("stall", after=after_events, seconds=seconds, **options)


def drip(*, interval: float | None = None, bps: float | None = None, **options: Any) -> Fault:
    """A slow stream: ``interval`` seconds between events, or ``bps`` bytes per second."""
    return Fault.of("drip", interval=interval, bps=bps, **options)


def chunked(size: int | str = 1, *, delay: float | None = None, **options: Any) -> Fault:
    """The body written in pieces of ``size`` bytes (or ``"A-B"``: seeded random sizes)."""
    return Fault.of("chunk", size=str(size), delay=delay, **options)


def reset(**options: Any) -> Fault:
    """The connection reset (TCP RST) before any response byte."""
    return Fault.of("reset", **options)


def empty_response(**options: Any) -> Fault:
    """The connection closed with no response bytes at all."""
    return Fault.of("empty", **options)


def garbage(nbytes: int = 32, **options: Any) -> Fault:
    """``nbytes`` seeded random bytes instead of an HTTP response, then the connection closed."""
    return Fault.of("garbage", bytes=nbytes, **options)


def latency(
    *, ttfb: float | None = None, per_event: float | None = None, jitter: float | None = None, **options: Any
) -> Fault:
    """Delay before the first byte (``ttfb``) and between events (``per_event``), plus a seeded
    uniform ``jitter`` in ``[0, jitter]`` seconds added to each delay."""
    return Fault.of("latency", ttfb=ttfb, per_event=per_event, jitter=jitter, **options)
