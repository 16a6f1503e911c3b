"""The request journal: what arrived, which fault was applied, what left — so a test can assert it.

Bounded (oldest entries dropped first) and cheap: an entry is a small object filled in as the
request goes through the pipeline; headers are redacted when the entry is made.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .redact import DEFAULT_REDACT, compile_names, redact_headers, redact_plain

__all__ = ["Journal", "JournalEntry"]


_UNPARSED = object()


@dataclass(slots=True)
class JournalEntry:
    """One request as the double saw it, and what it answered.

    The body is kept as the bytes that arrived and parsed on first access to :attr:`body`: a full
    journal of parsed bodies would be millions of objects for the garbage collector to walk on
    every full collection, which slows the whole server down.
    """

    seq: int
    request_id: str
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes | None
    arrived: float  # wall clock (time.time())
    monotonic: float  # for gaps between requests (retry back-off checks)
    fault: str | None = None
    status: int | None = None
    source: str | None = None  # synthetic | cassette | upstream | fault | error
    sent: str | None = None  # "json", "sse: 12 events", "cut after 3 events", ...
    response_headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # the API error answered, if any
    # Where the double and the real API disagreed about this request (record mode; replays of such).
    disagreement: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    _body: Any = _UNPARSED
    size: int = 0  # bytes this entry counts against the journal's cap (body and headers)

    @property
    def body(self) -> Any:
        """The request body as JSON (None when there was none; the text when it was not JSON)."""
        if self._body is _UNPARSED:
            raw = self.raw_body
            if not raw:
                self._body = None
            else:
                try:
                    self._body = json.loads(raw)
                except (ValueError, RecursionError):
                    self._body = raw.decode("utf-8", "replace")
        return self._body

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "arrived": self.arrived,
            "monotonic": self.monotonic,
            "headers": self.headers,
            "body": self.body,
            "fault": self.fault,
            "status": self.status,
            "source": self.source,
            "sent": self.sent,
            "response_headers": self.response_headers,
            "error": self.error,
            "disagreement": self.disagreement,
            "notes": self.notes,
        }


class Journal:
    """A bounded, thread-safe log of requests, oldest first.

    Bounded twice: at most ``maxlen`` entries, and at most ``max_bytes`` of request bodies and
    headers together (a run of 30 MB requests, or of requests with huge headers, must not keep
    gigabytes alive); the oldest entries go first.
    """

    def __init__(
        self, maxlen: int = 10_000, redact: tuple[str, ...] = DEFAULT_REDACT, max_bytes: int = 256 * 1024 * 1024
    ) -> None:
        self._entries: deque[JournalEntry] = deque()
        self._lock = threading.Lock()
        self._seq = 0
        self._bytes = 0
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.redact = redact

    @property
    def redact(self) -> tuple[str, ...]:
        """The names of the headers whose values are kept as ``[REDACTED]`` (``*``: a prefix)."""
        return self._redact

    @redact.setter
    def redact(self, names: tuple[str, ...]) -> None:
        self._redact = tuple(names)
        self._matcher = compile_names(self._redact)

    def start(
        self, request_id: str, method: str, path: str, headers: Any, raw_body: bytes | None, *, plain: bool = False
    ) -> JournalEntry:
        """A new entry for a request that arrived now, its secret headers redacted. ``plain``:
        ``headers`` is a dict with lower-case names (any mapping or list of pairs otherwise)."""
        kept = redact_plain(headers, matcher=self._matcher) if plain else redact_headers(headers, self._redact)
        # (the lengths of the names and the values, summed by joining them: no Python loop per header)
        size = len(raw_body or b"") + len("".join(kept)) + len("".join(kept.values()))
        with self._lock:  # (the clocks read under the lock: in seq order, whatever the threads)
            self._seq += 1
            entry = JournalEntry(self._seq, request_id, method, path, kept, raw_body, time.time(), time.monotonic(), size=size)
            entries = self._entries
            entries.append(entry)
            self._bytes += entry.size
            while len(entries) > self.maxlen or (self._bytes > self.max_bytes and len(entries) > 1):
                self._bytes -= entries.popleft().size
        return entry

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def to_json(self) -> dict[str, Any]:
        return {"requests": [e.to_json() for e in self.entries()]}
