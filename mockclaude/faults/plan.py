"""A plan of faults: which ones are queued, and which of them apply to the request at hand.

A queued fault applies to every request it matches (``stream=``, ``endpoint=``, ``model=``
options; all requests when absent), until its ``times=N`` are used up. With ``rate=P:seed=S`` the
draw for a request is decided by the request itself — a digest of the seed, the endpoint, the body
bytes and how many times that same body was seen before — not by arrival order, so the same requests
are hit on every run even when they arrive concurrently (``pytest -n``, async tests). Without a seed
the draws are fresh every run. A per-request ``x-mockclaude-fault`` header adds faults for that
request only.

``reset()`` (``POST /_mockclaude/reset``) returns the plan to what the server was started with:
the start-up faults queued again with their full ``times``, counters and draws from zero.
``clear()`` (``DELETE /_mockclaude/faults``) forgets every queued fault, start-up ones included.

Per request at most one fault decides the answer (an HTTP error or a connection fault) and at most
one ends the stream (error event, cut); shaping faults (stall, drip, chunk, latency) all compose.
A fault whose slot is already taken is neither applied nor counted.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError, new_request_id
from ..ratelimit import RateLimiter, RateLimits, api_key_of
from .inject import Injection
from .spec import Fault, FaultSpecError

if TYPE_CHECKING:
    from starlette.routing import Route

__all__ = ["FAULT_HEADER", "FaultPlan"]

FAULT_HEADER = "x-mockclaude-fault"
_HEADER_CACHE = 256
_SEEN_CAP = 65_536  # bodies whose occurrences a fault counts (oldest forgotten first)
_RETRY_HEADER = "x-stainless-retry-count"


class _Occurrences:
    """How often each request digest was seen (bounded; thread-safe under the caller's lock)."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: OrderedDict[bytes, int] = OrderedDict()

    def next(self, key: bytes) -> int:
        """The occurrence number of ``key`` (0 the first time), counted."""
        n = self.counts.pop(key, 0)
        self.counts[key] = n + 1
        if len(self.counts) > _SEEN_CAP:
            self.counts.popitem(last=False)
        return n

    def forget(self, key: bytes) -> None:
        self.counts.pop(key, None)


def _digest(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


def _request_key(ex: Any) -> bytes:
    return _digest(str(ex.endpoint).encode(), getattr(ex, "raw", None) or b"")


class _Queued:
    """A fault ready to be selected: its matchers and its own draws for ``rate=``; for a queued
    fault also its counters (a header fault, cached per spec, keeps only the former)."""

    __slots__ = ("attempts", "fault", "fired", "match", "occurrences", "rate", "remaining", "rng", "seed", "seen")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining: int | None = fault.get("times")
        self.rate: float | None = fault.get("rate")
        seed = fault.get("seed")
        self.seed: bytes | None = None if seed is None else str(seed).encode()
        # no seed: a fresh sequence every run (say seed=S to make it reproducible)
        self.rng = random.Random() if self.rate is not None and seed is None else None
        self.occurrences = _Occurrences()  # per request digest: for seeded draws
        self.attempts = _Occurrences()  # per request digest: header times=N without a retry count
        self.fired = 0
        self.seen = 0
        self.match = tuple((k, fault.get(k)) for k in ("stream", "endpoint", "model") if fault.get(k) is not None)

    def skips(self, key: bytes, lock: threading.Lock) -> bool:
        """True when this request's draw misses (``rate=P``); always False without a rate.

        Seeded: the draw is a digest of (seed, request digest, occurrence of that request), a
        number in [0, 1) that does not depend on what else arrived meanwhile."""
        if self.rate is None:
            return False
        if self.seed is None:
            assert self.rng is not None
            return self.rng.random() >= self.rate
        with lock:
            n = self.occurrences.next(key)
        draw = int.from_bytes(_digest(self.seed, key, str(n).encode())[:8], "big") / 2**64
        return draw >= self.rate

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": str(self.fault),
            "fault": self.fault.to_dict(),
            "remaining": self.remaining,
            "fired": self.fired,
            "seen": self.seen,
        }


class _NoLock:
    """For draws made while the plan's lock is already held."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NOLOCK: Any = _NoLock()


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
        self._initial = tuple(Fault.coerce(f) for f in faults)
        self._queued: list[_Queued] = [_Queued(f) for f in self._initial]
        limits = RateLimits.coerce(rate_limits)
        self.limiter: RateLimiter | None = RateLimiter(limits) if limits is not None else None
        self._header_faults: OrderedDict[str, _Queued] = OrderedDict()

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

    def restore(self) -> None:
        """Back to the start: the faults the plan was built with, queued afresh (full ``times``,
        counters and seeded draws from zero); the rate-limit buckets refilled."""
        with self._lock:
            self._queued = [_Queued(f) for f in self._initial]
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
        key = _request_key(ex)
        if header is not None:
            self._from_header(header, ex, slots, key)
            if slots:
                origin.append("header")
        if queued:
            took = spent = False
            with self._lock:
                for q in self._queued:
                    if q.remaining == 0 or not _matches(q.match, ex) or not slots.free(q.fault):
                        continue
                    q.seen += 1
                    if q.skips(key, _NOLOCK):
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
            # jitter and the like: from the request too, not from the order requests came in
            rng=random.Random(int.from_bytes(key[:8], "big")),
        )

    def _from_header(self, header: str, ex: Any, slots: _Slots, key: bytes) -> None:
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
            if times is not None and self._attempt(q, ex, key) >= times:
                continue
            if q.skips(key, self._lock):
                continue
            slots.take(f)

    def _attempt(self, q: _Queued, ex: Any, key: bytes) -> int:
        """Which attempt of one logical call this request is, for a header fault's ``times=N``.

        The official SDKs number their attempts (``x-stainless-retry-count``). Other clients (plain
        httpx, the Vercel AI SDK, LiteLLM) retry with the same body and no count: attempts of the same
        body are counted, and the count starts again once an attempt got past the fault — so the
        next call with that body is a new call, hit again."""
        raw = ex.request.headers.get(_RETRY_HEADER)
        if raw is not None:
            try:
                return int(raw)
            except ValueError:
                return 0
        with self._lock:
            n = q.attempts.next(key)
            if n >= (q.fault.get("times") or 0):
                q.attempts.forget(key)
        return n

    def _admit(self, ex: Any) -> Any:
        assert self.limiter is not None
        body = ex.body if isinstance(ex.body, dict) else {}
        out = body.get("max_tokens")
        out = out if isinstance(out, int) and not isinstance(out, bool) else 0
        return self.limiter.admit(api_key_of(ex.request.headers), _input_tokens(ex), out)

    # --- the admin API ---------------------------------------------------------------------------

    def routes(self, app: Any) -> list[Route]:
        from starlette.routing import Route  # only when the router is built (cold start)

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
