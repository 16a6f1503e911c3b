"""A rate-limit emulator: requests- and tokens-per-minute buckets per API key.

The real API measures usage with token buckets that refill continuously (not a window that resets
each minute): a bucket of capacity ``limit`` gains ``limit / 60`` units a second. A request is
admitted when every configured bucket holds its cost; otherwise it is answered 429
``rate_limit_error`` with ``retry-after`` (whole seconds until the emptiest bucket can pay) and
``x-should-retry: true``. Every answer — admitted or not — carries
``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`` for the
configured buckets (``reset``: RFC 3339 time at which the bucket is full again).

Costs: ``requests`` 1; ``input-tokens`` the request's estimated input tokens; ``output-tokens`` its
``max_tokens`` (the API reserves output up front the same way); ``tokens`` the sum of both.

Configure with ``Settings.rate_limits`` / ``--rate-limit rpm=50,tpm=20000`` (also ``itpm``, ``otpm``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any

from .errors import ApiError, ConfigError

__all__ = ["Decision", "RateLimiter", "RateLimits"]

# option name -> (bucket name in the headers, what it counts in the 429 message)
_BUCKETS = {
    "rpm": ("requests", "requests"),
    "tpm": ("tokens", "tokens"),
    "itpm": ("input-tokens", "input tokens"),
    "otpm": ("output-tokens", "output tokens"),
}

ORGANIZATION_ID = "00000000-0000-4000-8000-00000000c1a0"  # the same as the app's header
RATE_LIMIT_MESSAGE = (
    "This request would exceed the rate limit for your organization ({org}) of {limit:,} {what} per minute. "
    "For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers "
    "for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. "
    "You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a "
    "rate limit increase."
)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Per-minute limits per API key; ``None`` leaves a bucket unlimited."""

    rpm: int | None = None
    tpm: int | None = None
    itpm: int | None = None
    otpm: int | None = None

    @classmethod
    def parse(cls, text: str) -> RateLimits:
        """``"rpm=50,tpm=20000"`` (commas or colons between items)."""
        values: dict[str, Any] = {}
        for part in text.replace(":", ",").split(","):
            part = part.strip()
            if not part:
                continue
            key, eq, value = part.partition("=")
            if not eq:
                raise ConfigError(f"rate limit {part!r} is not key=value (e.g. rpm=50,tpm=20000)")
            values[key.strip().lower()] = value.strip()
        return cls.of(values)

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> RateLimits:
        names = [f.name for f in fields(cls)]
        out: dict[str, int] = {}
        for key, value in values.items():
            k = key.replace("-", "_").lower()
            if k not in names:
                raise ConfigError(f"unknown rate limit {key!r}; valid: {', '.join(names)}")
            if value is None:
                continue
            try:
                n = int(value)
            except (TypeError, ValueError):
                raise ConfigError(f"rate limit {key}: expected a positive integer, got {value!r}") from None
            if n < 1 or isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ConfigError(f"rate limit {key}: expected a positive integer, got {value!r}")
            out[k] = n
        if not out:
            raise ConfigError(f"no rate limit given; set one or more of: {', '.join(names)}")
        return cls(**out)

    @classmethod
    def coerce(cls, value: Any) -> RateLimits | None:
        if value is None or isinstance(value, RateLimits):
            return value
        if isinstance(value, str):
            return cls.parse(value) if value.strip() else None
        if isinstance(value, Mapping):
            return cls.of(value)
        raise ConfigError(f"rate_limits must be 'rpm=N,tpm=N', a dict or RateLimits, got {type(value).__name__}")

    def items(self) -> list[tuple[str, int]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None]

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.items())


@dataclass(slots=True)
class _Bucket:
    limit: int
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.limit, self.level + (now - self.stamp) * self.limit / 60.0)
            self.stamp = now


@dataclass(slots=True)
class Decision:
    """The emulator's verdict on one request: the headers to send, and the error if refused."""

    headers: dict[str, str]
    error: ApiError | None = None
    retry_after: float = 0.0


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(math.ceil(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RateLimiter:
    """Token buckets per API key. ``admit(key, input_tokens, output_tokens) -> Decision``."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        organization_id: str = ORGANIZATION_ID,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits
        self.organization_id = organization_id
        self._clock, self._wall = clock, wall
        self._buckets: dict[str, dict[str, _Bucket]] = {}
        self._lock = threading.Lock()

    def _for(self, key: str, now: float) -> dict[str, _Bucket]:
        buckets = self._buckets.get(key)
        if buckets is None:
            buckets = {name: _Bucket(limit, float(limit), now) for name, limit in self.limits.items()}
            if len(self._buckets) > 10_000:  # keep memory bounded under a flood of keys
                self._buckets.clear()
            self._buckets[key] = buckets
        return buckets

    def admit(self, key: str, input_tokens: int = 0, output_tokens: int = 0) -> Decision:
        costs = {"rpm": 1, "tpm": input_tokens + output_tokens, "itpm": input_tokens, "otpm": output_tokens}
        with self._lock:
            now = self._clock()
            buckets = self._for(key, now)
            short: list[tuple[float, str, _Bucket]] = []
            for name, b in buckets.items():
                b.refill(now)
                cost = min(costs[name], b.limit)  # a request bigger than the bucket waits for a full one
                if cost > b.level:
                    short.append(((cost - b.level) * 60.0 / b.limit, name, b))
            if not short:
                for name, b in buckets.items():
                    b.level -= costs[name]
            headers = self._headers(buckets)
        if not short:
            return Decision(headers)
        wait, name, bucket = max(short, key=lambda t: t[0])
        retry_after = max(1, math.ceil(wait))
        header_name, what = _BUCKETS[name]
        headers[f"anthropic-ratelimit-{header_name}-remaining"] = str(max(0, math.floor(bucket.level)))
        headers["retry-after"] = str(retry_after)
        headers["x-should-retry"] = "true"
        message = RATE_LIMIT_MESSAGE.format(org=self.organization_id, limit=bucket.limit, what=what)
        return Decision(headers, ApiError(429, message, type="rate_limit_error", headers=headers), wait)

    def _headers(self, buckets: dict[str, _Bucket]) -> dict[str, str]:
        wall = self._wall()
        out: dict[str, str] = {}
        for name, b in buckets.items():
            h = _BUCKETS[name][0]
            out[f"anthropic-ratelimit-{h}-limit"] = str(b.limit)
            out[f"anthropic-ratelimit-{h}-remaining"] = str(max(0, math.floor(b.level)))
            out[f"anthropic-ratelimit-{h}-reset"] = _rfc3339(wall + (b.limit - b.level) * 60.0 / b.limit)
        return out

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            keys = {}
            for key, buckets in self._buckets.items():
                for b in buckets.values():
                    b.refill(now)
                keys[_mask(key)] = {n: math.floor(b.level) for n, b in buckets.items()}
        return {"limits": dict(self.limits.items()), "remaining": keys}


def _mask(key: str) -> str:
    """API keys are secrets: show only enough to tell them apart."""
    return key if len(key) <= 8 else f"{key[:4]}…{key[-4:]}"


def api_key_of(headers: Any) -> str:
    key = headers.get("x-api-key")
    if key:
        return str(key)
    auth = headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return str(auth[7:].strip())
    return "anonymous"
