"""Hypothesis strategies for how an answer is put on the wire: SSE encodings and network chunks.

The same events can be sent many ways the SSE specification allows — LF, CRLF or CR line ends,
``data:`` with or without its space, ``:`` comment lines, ``ping`` events, unknown event types —
and the bytes can be cut into network chunks anywhere: inside a multi-byte UTF-8 character, between
the ``\\r`` and ``\\n`` of a line end, between the two line ends that end an event.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["Encoding", "chunk_cuts", "encode_events", "encoding_strategy", "split_at"]

EOLS = ("\n", "\r\n", "\r")


@dataclass(frozen=True)
class Encoding:
    """How events are written: line ends, and what is mixed in between them."""

    eol: str = "\n"  # "\n", "\r\n", "\r" or "mixed" (each line's end drawn)
    data_space: str = "always"  # always | never | mixed
    pings: int = 0  # ping events inserted after message_start
    comments: int = 0  # ": keepalive" comment lines
    unknown: int = 0  # unknown event types (named, and unnamed with an unknown "type")
    empty_ping: bool = False  # a ping whose data line is empty (proxies forward such frames)

    def describe(self) -> str:
        eol = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}.get(self.eol, self.eol)
        parts = [f"line ends {eol}", f"data space {self.data_space}"]
        for k in ("pings", "comments", "unknown"):
            if getattr(self, k):
                parts.append(f"{getattr(self, k)} {k}")
        if self.empty_ping:
            parts.append("an empty-data ping")
        return ", ".join(parts)


def encoding_strategy(
    *,
    eols: tuple[str, ...] = ("\n",),
    data_space: tuple[str, ...] = ("always",),
    pings: int = 0,
    comments: int = 0,
    unknown: int = 0,
    empty_ping: bool = False,
) -> st.SearchStrategy[Encoding]:
    """Encodings with the given choices; counts are drawn from 0..N (at least 1 when N > 0)."""
    return st.builds(
        Encoding,
        eol=st.sampled_from(eols),
        data_space=st.sampled_from(data_space),
        pings=st.integers(min(1, pings), pings),
        comments=st.integers(min(1, comments), comments),
        unknown=st.integers(min(1, unknown), unknown),
        empty_ping=st.just(empty_ping),
    )


_UNKNOWN = [
    ("future_event", {"type": "future_event", "x": 1}),
    (None, {"type": "vendor_status", "status": "warm"}),
    ("vertex_event", {"type": "vertex_event", "payload": {"a": [1, 2]}}),
]


@st.composite
def encode_events(draw: Any, events: list[tuple[str, dict[str, Any]]], enc: Encoding) -> bytes:
    """The bytes of ``events`` under ``enc``; insertion points for pings, comments and unknown
    events are drawn (always after ``message_start``)."""
    items: list[tuple[str | None, str] | str] = [(name, json.dumps(p, ensure_ascii=False, separators=(",", ":"))) for name, p in events]
    extra: list[tuple[str | None, str] | str] = []
    extra += [("ping", '{"type":"ping"}')] * enc.pings
    extra += [": keepalive"] * enc.comments
    for i in range(enc.unknown):
        name, payload = _UNKNOWN[i % len(_UNKNOWN)]
        extra.append((name, json.dumps(payload)))
    if enc.empty_ping:
        extra.append(("ping", ""))
    for x in extra:
        pos = draw(st.integers(1, len(items)))
        items.insert(pos, x)
    lines: list[str] = []
    for item in items:
        if isinstance(item, str):
            lines += [item]
            continue
        name, data = item
        if name is not None:
            lines.append(f"event: {name}")
        space = enc.data_space == "always" or (enc.data_space == "mixed" and draw(st.booleans()))
        lines.append(("data: " if space else "data:") + data if data else "data:")
        lines.append("")
    out: list[str] = []
    prev = ""
    for line in lines:
        if enc.eol == "mixed":
            # CR then an empty line's LF would be one CRLF: the blank line (and the event) lost
            eol = draw(st.sampled_from(("\r", "\r\n") if prev == "\r" and line == "" else EOLS))
        else:
            eol = enc.eol
        out.append(line + eol)
        prev = eol
    return "".join(out).encode("utf-8")


def _targets(raw: bytes) -> dict[str, list[int]]:
    """Interesting cut offsets: inside UTF-8 characters, inside CRLF, between the two line ends."""
    inside_utf8 = [i for i in range(1, len(raw)) if 0x80 <= raw[i] < 0xC0]
    inside_crlf = [i + 1 for i in range(len(raw) - 1) if raw[i : i + 2] == b"\r\n"]
    between = [
        i
        for i in range(1, len(raw))
        if raw[i - 1 : i] in (b"\n", b"\r") and raw[i : i + 1] in (b"\n", b"\r") and raw[i - 1 : i + 1] != b"\r\n"
    ]
    return {"utf8": inside_utf8, "crlf": inside_crlf, "separator": between}


@st.composite
def chunk_cuts(draw: Any, raw: bytes, *, focus: tuple[str, ...] = (), max_cuts: int = 20, bytewise: bool = False) -> list[int]:
    """Offsets where the body is cut into network chunks: drawn anywhere, plus drawn offsets from
    each ``focus`` kind (``utf8``, ``crlf``, ``separator``: at least one of each when the body
    has any). ``bytewise``: maybe every byte of a drawn window becomes its own chunk."""
    n = len(raw)
    if n <= 1:
        return []
    cuts = set(draw(st.lists(st.integers(1, n - 1), max_size=max_cuts)))
    targets = _targets(raw)
    for kind in focus:
        offs = targets.get(kind) or []
        if offs:
            cuts.update(draw(st.lists(st.sampled_from(offs), min_size=1, max_size=6)))
    if bytewise and draw(st.booleans()):
        a = draw(st.integers(1, n - 1))
        cuts.update(range(a, min(n, a + 48)))
    return sorted(cuts)


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    """The chunks ``raw`` is cut into at ``cuts`` (sorted offsets)."""
    bounds = [0, *[c for c in cuts if 0 < c < len(raw)], len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds) if b > a]
