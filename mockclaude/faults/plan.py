"""A plan of faults: which ones are queued, and which of them apply to the request at hand.

A queued fault applies to every request it matches (``stream=``, ``endpoint=``, ``model=``
options; all requests when absent), until its ``times=N`` are used up; with ``rate=P`` each
matching request draws from the fault's own ``random.Random(seed)``, so the same requests are hit on
every run. A per-request ``x-mockclaude-fault`` header adds faults for that request only.

Per request at most one fault decides the answer (an HTTP error or a connection fault) and at most
one ends the stream (error event, cut); shaping faults (stall, drip, chunk, latency) all compose.
A fault whose slot is already taken is neither applied nor counted.
"""

from __future__ import annotations

import fnmatch
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import ApiError, new_request_id
from ..ratelimit import RateLimiter, RateLimits, api_key_of
from .inject import Injection
from .spec import Fault, FaultSpecError

__all__ = ["FAULT_HEADER", "FaultPlan"]

FAULT_HEADER = "x-mockclaude-fault"
_HEADER_CACHE = 256


class _Queued:
    """A fault ready to be selected: its matchers and its own draws for ``rate=``; for a queued
    fault also its counters (a header fault, cached per spec, keeps only the former)."""

    __slots__ = ("fault", "fired", "match", "rate", "remaining", "rng", "seen")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining: int | None = fault.get("times")
        self.rate: float | None = fault.get("rate")
        # no seed: a fresh sequence (say seed=S to make it reproducible)
        self.rng = random.Random(fault.get("seed")) if self.rate is not None else None
        self.fired = 0
        self.seen = 0
        self.match = tuple((k, fault.get(k)) for k in ("stream", "endpoint", "model") if fault.get(k) is not None)

    def skips(self) -> bool:
        """True when this request's draw misses (``rate=P``); always False without a rate."""
        return self.rng is not None and self.rng.random() >= (self.rate or 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": str(self.fault),
            "fault": self.fault.to_dict(),
            "remaining": self.remaining,
            "fired": self.fired,
            "seen": self.seen,
        }


def _matches(match: tuple[tuple[str, Any], ...], ex: Any) -> bool:
    for key, want in match:
        if key == "stream":
            if bool(ex.stream) != want:
                return False
        elif key == "endpoint":
            if ex.endpoint != want:
                return False
        elif key == "model":
            model = ex.body.get("model") if isinstance(ex.body, dict) else None
            if not isinstance(model, str) or not fnmatch.fnmatchcase(model, want):
                return False
    return True


class _Slots:
    """The faults chosen so far for one request."""

    __slots__ = ("answer", "end", "shapes")

    def __init__(self) -> None:
        self.answer: Fault | None = None
        self.end: Fault | None = None
        self.shapes: dict[str, Fault] = {}

    def free(self, f: Fault) -> bool:
        cat = f.category
        if cat == "answer":
            return self.answer is None
        if cat == "end":
            return self.end is None
        return f.kind not in self.shapes

    def take(self, f: Fault) -> None:
        cat = f.category
        if cat == "answer":
            self.answer = f
        elif cat == "end":
            self.end = f
        else:
            self.shapes[f.kind] = f

    def __bool__(self) -> bool:
        return self.answer is not None or self.end is not None or bool(self.shapes)


class FaultPlan:
    """Queued faults, per-request header faults and the rate-limit emulator, consulted per request."""

    def __init__(self, faults: Iterable[Any] = (), rate_limits: Any = None) -> None:
        self._lock = threading.Lock()
        self._queued: list[_Queued] = [_Queued(Fault.coerce(f)) for f in faults]
        limits = RateLimits.coerce(rate_limits)
        self.limiter: RateLimiter | None = RateLimiter(limits) if limits is not None else None
        self._header_faults: OrderedDict[str, _Queued] = OrderedDict()
        self._rng = random.Random(0)

    @classmethod
    def from_settings(cls, settings: Any) -> FaultPlan:
        return cls(getattr(settings, "faults", ()) or (), getattr(settings, "rate_limits", None))

    # --- the queue -------------------------------------------------------------------------------

    def add(self, fault: Any) -> Fault:
        """Queue a fault (a spec string, a dict or a :class:`Fault`); returns it as a Fault."""
        f = Fault.coerce(fault)
        q = _Queued(f)
        with self._lock:
            self._queued = [*self._queued, q]
        return f

    def clear(self) -> None:
        """Forget queued faults and the rate-limit buckets (the configured limits stay)."""
        with self._lock:
            self._queued = []
            self._header_faults.clear()
        if self.limiter is not None:
            self.limiter.clear()

    def queued(self) -> list[dict[str, Any]]:
        with self._lock:
            return [q.to_json() for q in self._queued]

    def __len__(self) -> int:
        return len(self._queued)

    # --- per request -----------------------------------------------------------------------------

    def select(self, ex: Any) -> Injection | None:
        """The injection for this request, or None (the common case, and cheap)."""
        queued = self._queued
        header = ex.request.headers.get(FAULT_HEADER)
        if not queued and header is None and self.limiter is None:
            return None
        decision = None
        if self.limiter is not None and ex.endpoint == "messages":
            decision = self._admit(ex)
            if decision.error is not None:
                return Injection(limit=decision, origin="rate limit")
        slots = _Slots()
        origin = []
        if header is not None:
            self._from_header(header, ex, slots)
            if slots:
                origin.append("header")
        if queued:
            took = spent = False
            with self._lock:
                for q in self._queued:
                    if q.remaining == 0 or not _matches(q.match, ex) or not slots.free(q.fault):
                        continue
                    q.seen += 1
                    if q.skips():
                        continue
                    q.fired += 1
                    if q.remaining is not None:
                        q.remaining -= 1
                        spent = spent or q.remaining == 0
                    slots.take(q.fault)
                    took = True
                if spent:
                    self._queued = [q for q in self._queued if q.remaining != 0]
            if took:
                origin.append("plan")
        if not slots and decision is None:
            return None
        return Injection(
            answer=slots.answer,
            end=slots.end,
            shapes=tuple(slots.shapes.values()),
            origin=" and ".join(origin) or "rate limit",
            limit=decision,
            rng=random.Random(self._rng.random()),
        )

    def _from_header(self, header: str, ex: Any, slots: _Slots) -> None:
        for part in header.split(","):
            spec = part.strip()
            if not spec:
                continue
            q = self._header_faults.get(spec)
            if q is None:
                try:
                    q = _Queued(Fault.coerce(spec))
                except FaultSpecError as err:
                    raise ApiError(400, f"{FAULT_HEADER}: {err}", type="invalid_request_error") from None
                with self._lock:
                    self._header_faults[spec] = q
                    if len(self._header_faults) > _HEADER_CACHE:
                        self._header_faults.popitem(last=False)
            f = q.fault
            if not _matches(q.match, ex) or not slots.free(f):
                continue
            times = f.get("times")
            if times is not None:
                # in a header, times=N means: the first N attempts of a call (the SDKs number them)
                try:
                    attempt = int(ex.request.headers.get("x-stainless-retry-count", "0"))
                except ValueError:
                    attempt = 0
                if attempt >= times:
                    continue
            if q.skips():
                continue
            slots.take(f)

    def _admit(self, ex: Any) -> Any:
        assert self.limiter is not None
        body = ex.body if isinstance(ex.body, dict) else {}
        out = body.get("max_tokens")
        out = out if isinstance(out, int) and not isinstance(out, bool) else 0
        return self.limiter.admit(api_key_of(ex.request.headers), _input_tokens(ex), out)

    # --- the admin API ---------------------------------------------------------------------------

    def routes(self, app: Any) -> list[Route]:
        async def view(request: Request) -> Response:
            if request.method == "DELETE":
                self.clear()
                return _json({"faults": []})
            if request.method == "POST":
                try:
                    added = [self.add(f) for f in _faults_from_body(await request.body())]
                except FaultSpecError as err:
                    bad: Response = app.error_response(ApiError(400, str(err)), new_request_id())
                    return bad
                return _json({"queued": [str(f) for f in added], "faults": self.queued()})
            return _json(self.state())

        return [Route("/_mockclaude/faults", view, methods=["GET", "POST", "DELETE"])]

    def state(self) -> dict[str, Any]:
        return {
            "faults": self.queued(),
            "rate_limits": self.limiter.snapshot() if self.limiter is not None else None,
        }


def _json(obj: Any) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False).encode(), media_type="application/json")


def _faults_from_body(raw: bytes) -> list[Fault]:
    """``{"spec": S}``, ``{"kind": K, ...options}``, ``{"faults": [...]}``, a list, or a bare string."""
    try:
        data = json.loads(raw or b"null")
    except ValueError as err:
        raise FaultSpecError(f"the request body is not valid JSON: {err}") from None
    if isinstance(data, dict) and "faults" in data and len(data) == 1:
        data = data["faults"]
    items = data if isinstance(data, list) else [data]
    if not items or data is None:
        raise FaultSpecError('expected {"spec": "KIND[:key=value]..."} or {"kind": KIND, ...options}')
    return [Fault.coerce(item) for item in items]


def _input_tokens(ex: Any) -> int:
    v = ex.valid
    try:
        from ..tokens import count_request

        return int(count_request(v.system_blocks, v.messages, v.tools or []))
    except (AttributeError, KeyError, TypeError, ValueError):  # an estimate is enough; never fail over it
        return max(1, len(ex.raw) // 4)
