"""Fault values and their one-line grammar.

A spec is a kind followed by ``:key=value`` options::

    429:times=2:retry-after-ms=200
    529:rate=0.1:seed=7
    stall:after=3:seconds=0.5
    chunk:size=1

:func:`parse` turns a spec into a :class:`Fault`; ``str(fault)`` writes the canonical spec back, so
a fault survives a round trip through the CLI, a header, the admin API or a journal entry. Python
code builds the same values with the constructors in :mod:`mockclaude.faults`
(``faults.rate_limited(retry_after=2)``); both paths share one validator, so a malformed fault is
refused with the same reason wherever it comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ..errors import ConfigError

__all__ = [
    "ANSWER_KINDS",
    "CONNECTION_KINDS",
    "HTTP_KINDS",
    "KINDS",
    "SHAPE_KINDS",
    "STREAM_END_KINDS",
    "Fault",
    "FaultSpecError",
    "parse",
]


class FaultSpecError(ConfigError):
    """A malformed fault spec or fault value: the message says what is wrong and what is valid."""


# --- option types ------------------------------------------------------------------------------

def _int(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def conv(v: Any) -> int:
        if isinstance(v, bool):
            raise TypeError("expected an integer")
        if isinstance(v, str):
            v = v.strip()
            if not v.lstrip("-").isdigit():
                raise ValueError(f"expected an integer, got {v!r}")
        elif isinstance(v, float):
            if not v.is_integer():
                raise ValueError(f"expected an integer, got {v!r}")
        elif not isinstance(v, int):
            raise TypeError(f"expected an integer, got {v!r}")
        n = int(v)
        if lo is not None and n < lo:
            raise ValueError(f"must be >= {lo}, got {n}")
        if hi is not None and n > hi:
            raise ValueError(f"must be <= {hi}, got {n}")
        return n

    conv.__name__ = "integer" if lo is None else f"integer >= {lo}"
    return conv


def _float(lo: float | None = 0.0, hi: float | None = None) -> Callable[[Any], float]:
    def conv(v: Any) -> float:
        if isinstance(v, bool):
            raise TypeError("expected a number")
        try:
            x = float(v.strip() if isinstance(v, str) else v)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {v!r}") from None
        except OverflowError:  # an int too large for a float (the admin API's JSON, Python callers)
            x = math.inf
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number, got {v!r}")
        if lo is not None and x < lo:
            raise ValueError(f"must be >= {lo:g}, got {x:g}")
        if hi is not None and x > hi:
            raise ValueError(f"must be <= {hi:g}, got {x:g}")
        return x

    conv.__name__ = "number"
    return conv


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "on"):
        return True
    if s in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {v!r}")


def _str(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ValueError(f"expected a non-empty string, got {v!r}")
    return v


def _choice(*values: str) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        if v not in values:
            raise ValueError(f"expected one of {', '.join(values)}, got {v!r}")
        return str(v)

    return conv


def _size(v: Any) -> str:
    """``N`` (every piece N bytes) or ``A-B`` (each piece a seeded random size between A and B)."""
    s = str(v).strip()
    lo, sep, hi = s.partition("-")
    try:
        a = int(lo)
        b = int(hi) if sep else a
    except ValueError:
        raise ValueError(f"expected N or A-B (bytes), got {v!r}") from None
    if a < 1 or b < a:
        raise ValueError(f"expected N >= 1 or A-B with 1 <= A <= B, got {v!r}")
    return s


COMMON: dict[str, Callable[[Any], Any]] = {
    "times": _int(1),
    "rate": _float(0.0, 1.0),
    "seed": _int(),
    "retry-after": _float(0.0),
    "retry-after-ms": _float(0.0),
    "should-retry": _bool,
    # which requests a queued fault applies to (all, when absent)
    "stream": _bool,
    "endpoint": _choice("messages", "count_tokens"),
    "model": _str,
}

_HTTP_OPTS: dict[str, Callable[[Any], Any]] = {"message": _str, "type": _str}

HTTP_KINDS: dict[str, int] = {
    "429": 429,
    "529": 529,
    "500": 500,
    "504": 504,
    "408": 408,
    "409": 409,
    "413": 413,
}
CONNECTION_KINDS = ("reset", "empty", "garbage")
STREAM_END_KINDS = ("stream-error", "cut-stream")
SHAPE_KINDS = ("stall", "drip", "chunk", "latency")
ANSWER_KINDS = (*HTTP_KINDS, *CONNECTION_KINDS)

# kind -> its own options (on top of COMMON)
KINDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    **{k: _HTTP_OPTS for k in HTTP_KINDS},
    "stream-error": {"after": _int(0), "type": _str, "message": _str},
    "cut-stream": {"after": _int(0), "clean": _bool},
    "stall": {"after": _int(0), "seconds": _float(0.0)},
    "drip": {"interval": _float(0.0), "bps": _float(1.0)},
    "chunk": {"size": _size, "delay": _float(0.0)},
    "reset": {},
    "empty": {},
    "garbage": {"bytes": _int(1, 16 * 1024 * 1024)},  # bounded: one header must not make gigabytes
    "latency": {"ttfb": _float(0.0), "per-event": _float(0.0), "jitter": _float(0.0)},
}

ALIASES = {
    "cut": "cut-stream",
    "error": "stream-error",
    "rst": "reset",
    "overloaded": "529",
    "rate-limit": "429",
    "rate-limited": "429",
}

# Defaults filled in when a fault is built, so ``str(fault)`` shows what will really happen.
DEFAULTS: dict[str, dict[str, Any]] = {
    "stream-error": {"after": 0},
    "cut-stream": {"after": 0},
    "stall": {"after": 0, "seconds": 10.0},
    "chunk": {"size": "1"},
    "garbage": {"bytes": 32},
}

_ORDER = [
    "after", "clean", "seconds", "interval", "bps", "size", "delay", "bytes", "ttfb", "per-event", "jitter",
    "type", "message", "times", "rate", "seed", "retry-after", "retry-after-ms", "should-retry",
    "stream", "endpoint", "model",
]


def _kind_list() -> str:
    return ", ".join(KINDS)


def canonical_kind(kind: Any) -> str:
    k = str(kind).strip().lower()
    k = ALIASES.get(k, k)
    if k not in KINDS:
        raise FaultSpecError(f"unknown fault kind {str(kind)!r}; valid kinds: {_kind_list()}")
    return k


def _validate(kind: str, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    allowed = {**KINDS[kind], **COMMON}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("_", "-").lower()
        conv = allowed.get(name)
        if conv is None:
            raise FaultSpecError(
                f"{where}: unknown option {key!r} for {kind}; valid options: {', '.join(sorted(allowed))}"
            )
        if value is None:
            continue
        try:
            out[name] = conv(value)
        except (TypeError, ValueError) as err:
            raise FaultSpecError(f"{where}: option {name}: {err}") from None
    if kind == "drip" and "interval" in out and "bps" in out:
        raise FaultSpecError(f"{where}: drip takes interval=S (per event) or bps=N (bytes per second), not both")
    if kind == "drip" and "interval" not in out and "bps" not in out:
        out["interval"] = 0.05
    for k, v in DEFAULTS.get(kind, {}).items():
        out.setdefault(k, v)
    return out


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: a kind and its options (names as in the spec grammar, e.g. ``retry-after-ms``).

    Build with :func:`parse`, :meth:`of`, or the constructors in :mod:`mockclaude.faults`.
    ``str(fault)`` is its canonical spec.
    """

    kind: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, kind: str | int, **options: Any) -> Fault:
        """``Fault.of("429", times=2, retry_after_ms=200)`` (underscores or dashes in names)."""
        k = canonical_kind(kind)
        opts = _validate(k, options, f"fault {k}")
        return cls(k, _sorted(opts))

    def get(self, name: str, default: Any = None) -> Any:
        for k, v in self.options:
            if k == name:
                return v
        return default

    @property
    def opts(self) -> dict[str, Any]:
        return dict(self.options)

    def replace(self, **changes: Any) -> Fault:
        merged = {**self.opts, **{k.replace("_", "-"): v for k, v in changes.items()}}
        return Fault.of(self.kind, **{k: v for k, v in merged.items() if v is not None})

    @property
    def spec(self) -> str:
        parts = [self.kind]
        for k, v in self.options:
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif isinstance(v, float):
                text = f"{v:g}" if abs(v) < 1e15 else repr(v)
            else:
                # ":" separates options, "," header faults: both stay escaped
                text = quote(str(v), safe=" -._~*'()!/[]@")
            parts.append(f"{k}={text}")
        return ":".join(parts)

    def __str__(self) -> str:
        return self.spec

    def to_dict(self) -> dict[str, Any]:
        """The structured form: ``{"kind": "429", "times": 2, "retry-after-ms": 200}``."""
        return {"kind": self.kind, **self.opts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        if not isinstance(data, Mapping):
            raise FaultSpecError(f"a fault must be a spec string or an object with a kind, got {data!r}")
        if "spec" in data:
            extra = set(data) - {"spec"}
            if extra:
                raise FaultSpecError(f"a fault object has either spec or kind and options, not {sorted(extra)}")
            return parse(data["spec"])
        if "kind" not in data:
            raise FaultSpecError(f"a fault object needs a kind (one of: {_kind_list()}) or a spec")
        opts = {k: v for k, v in data.items() if k != "kind"}
        return cls.of(data["kind"], **opts)

    @classmethod
    def coerce(cls, value: Any) -> Fault:
        """A Fault from a Fault, a spec string, or the structured dict form."""
        if isinstance(value, Fault):
            return value
        if isinstance(value, str):
            return parse(value)
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        raise FaultSpecError(f"a fault must be a spec string, a dict or a Fault, got {type(value).__name__}")

    # --- what kind of fault this is -------------------------------------------------------------

    @property
    def is_http(self) -> bool:
        return self.kind in HTTP_KINDS

    @property
    def category(self) -> str:
        """``answer`` (decides the whole response), ``end`` (ends a stream) or ``shape`` (pacing)."""
        if self.kind in ANSWER_KINDS:
            return "answer"
        if self.kind in STREAM_END_KINDS:
            return "end"
        return "shape"


def _sorted(opts: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    rank = {k: i for i, k in enumerate(_ORDER)}
    return tuple(sorted(opts.items(), key=lambda kv: (rank.get(kv[0], 99), kv[0])))


def parse(spec: str) -> Fault:
    """A :class:`Fault` from its spec, e.g. ``"429:times=2:retry-after-ms=200"``.

    Raises :class:`FaultSpecError` (a :class:`~mockclaude.errors.ConfigError`) naming the problem.
    Option values are percent-decoded, so a message may carry a colon as ``%3A``.
    """
    if not isinstance(spec, str):
        raise FaultSpecError(f"a fault spec must be a string, got {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise FaultSpecError(f"empty fault spec; expected KIND[:key=value]..., kinds: {_kind_list()}")
    head, *rest = text.split(":")
    kind = canonical_kind(head)
    raw: dict[str, Any] = {}
    for part in rest:
        part = part.strip()
        if not part:
            raise FaultSpecError(f"fault spec {spec!r}: empty option (two colons in a row?)")
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            raise FaultSpecError(f"fault spec {spec!r}: option {part!r} is not key=value")
        if key.replace("_", "-") in {k.replace("_", "-") for k in raw}:
            raise FaultSpecError(f"fault spec {spec!r}: option {key} given twice")
        raw[key] = unquote(value.strip())
    opts = _validate(kind, raw, f"fault spec {spec!r}")
    return Fault(kind, _sorted(opts))
