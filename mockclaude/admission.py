"""Validated requests remembered by the digest of their bytes: the same body is not validated twice.

Parsing and validating a body are pure functions of its bytes, the ``anthropic-version`` header and the
endpoint (plus the server's settings, which do not change while a memo lives: the app makes a new one
whenever it is configured). Clients send the same body again and again — retries, test suites run
twice, load tests — so the :class:`~mockclaude.protocol.ValidRequest` of a body is kept, keyed by
the SHA-256 of its bytes, and reused as it is (its parts are read-only by contract).

What is *not* remembered: anything with state. Header checks, the journal, faults, rate limits and
the prompt cache run for every request; a rejected body is validated again each time (its error
carries nothing the next request could reuse). The memo is bounded by count and by the bytes of the
bodies it holds (oldest forgotten first), and a large body is not kept at all.

A body is kept only the second time its digest is seen: a stream of bodies that never repeat (an
agent loop, whose conversation grows every turn) then costs a digest lookup, not a churn of parsed
bodies through the memo — long-lived objects the garbage collector would have to walk again and again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["AdmissionMemo"]


class AdmissionMemo:
    """``(digest, version, endpoint) -> ValidRequest``, bounded; safe to share between threads."""

    def __init__(self, max_items: int = 1024, max_bytes: int = 16 * 1024 * 1024, max_body: int = 1024 * 1024) -> None:
        self.max_items, self.max_bytes, self.max_body = max_items, max_bytes, max_body
        # OrderedDict: dropping the oldest is O(1) (next(iter(dict)) after many deletions is not)
        self._items: OrderedDict[tuple[bytes, str, str], tuple[Any, int]] = OrderedDict()
        self._seen: OrderedDict[tuple[bytes, str, str], None] = OrderedDict()  # keys seen once, bounded
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def digest(raw: bytes) -> bytes:
        """The key of a body: SHA-256 of its bytes (also the synthetic answer's digest when the body
        has no ``stream`` member: see ``responders.synthetic.request_digest``)."""
        return hashlib.sha256(raw).digest()

    def get(self, digest: bytes, version: str, endpoint: str) -> Any:
        """The ValidRequest remembered for this body, or None."""
        found = self._items.get((digest, version, endpoint))
        return None if found is None else found[0]

    def put(self, digest: bytes, version: str, endpoint: str, valid: Any, size: int) -> None:
        """Remember ``valid`` (a ValidRequest) for a body of ``size`` bytes, if it is small enough."""
        if size > self.max_body or self.max_items <= 0:
            return
        key = (digest, version, endpoint)
        with self._lock:
            if key in self._items:
                return
            if key not in self._seen:  # the first time: remember the digest only
                self._seen[key] = None
                if len(self._seen) > 4 * self.max_items:
                    self._seen.popitem(last=False)
                return
            del self._seen[key]
            self._items[key] = (valid, size)
            self._bytes += size
            while len(self._items) > self.max_items or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._seen.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
