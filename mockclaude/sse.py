"""Server-sent events of the Messages API: events <-> bytes <-> message.

One internal form of an answer is the ordered list of :class:`Event` values. A JSON answer and a
streamed answer are two renderings of it: :func:`events_from_message` derives the stream a message
would have been sent as, and :class:`Accumulator` folds a stream back into the message, the way the
official SDKs do.

``Event.data`` keeps the JSON text exactly as it was produced or recorded, so a recorded stream is
re-encoded byte for byte.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

__all__ = [
    "Accumulator",
    "Decoder",
    "Event",
    "StreamError",
    "encode",
    "encode_all",
    "encode_message",
    "event",
    "events_from_message",
    "message_from_events",
]


_T = TypeVar("_T")


def dumps(obj: Any) -> str:
    """Compact JSON as the API writes it (no spaces, UTF-8 kept)."""
    try:
        return orjson.dumps(obj).decode("utf-8")
    except TypeError:  # what orjson will not write (an int over 64 bits, a non-str key)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: its ``event:`` name and its ``data:`` text."""

    name: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)

    def encode(self) -> bytes:
        return encode(self)


def event(payload: dict[str, Any], name: str | None = None) -> Event:
    """An event from its JSON payload; the name defaults to the payload's ``type``."""
    return Event(name or payload["type"], dumps(payload))


def encode(ev: Event) -> bytes:
    data = ev.data
    if "\n" in data or "\r" in data:
        # Multi-line data is legal SSE: one `data:` line per line.
        lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        body = "".join(f"data: {line}\n" for line in lines)
        return f"event: {ev.name}\n{body}\n".encode()
    return f"event: {ev.name}\ndata: {data}\n\n".encode()


def encode_all(events: Iterable[Event]) -> bytes:
    return b"".join(encode(ev) for ev in events)


class StreamError(Exception):
    """An ``error`` event arrived in the stream (or the stream ended before ``message_stop``)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "stream error"))
        self.error = error


class Decoder:
    """Incremental SSE decoder: survives any chunk boundary, LF/CRLF/CR, comments, multi-line data."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._buf = ""
        self._pending_cr = False
        self._name: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        text = self._text.decode(chunk)
        if self._pending_cr:
            if text.startswith("\n"):
                text = text[1:]
            self._pending_cr = False
        if not text:
            return []
        if text.endswith("\r"):
            # A CR at the end may be half of a CRLF: keep the decision for the next chunk.
            self._pending_cr = True
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._buf += text
        out: list[Event] = []
        while True:
            nl = self._buf.find("\n")
            if nl < 0:
                break
            line, self._buf = self._buf[:nl], self._buf[nl + 1 :]
            ev = self._line(line)
            if ev is not None:
                out.append(ev)
        return out

    def close(self) -> list[Event]:
        """Flush at end of stream (a final event without its blank line is still dispatched)."""
        self._text.decode(b"", final=True)
        out: list[Event] = []
        if self._buf:
            ev = self._line(self._buf)
            self._buf = ""
            if ev is not None:
                out.append(ev)
        ev = self._line("")
        if ev is not None:
            out.append(ev)
        return out

    def _line(self, line: str) -> Event | None:
        if line == "":
            if self._name is None and not self._data:
                return None
            ev = Event(self._name or "message", "\n".join(self._data))
            self._name, self._data = None, []
            return ev
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None


def decode_all(raw: bytes) -> list[Event]:
    dec = Decoder()
    return dec.feed(raw) + dec.close()


# --- message -> events ---------------------------------------------------------------------------

def _pieces(text: str, size: int) -> list[str]:
    """Split text into deltas of about ``size`` characters, breaking after spaces where possible:
    from each start, the rest when it fits, else up to the last space within ``size`` characters
    (not the first), else ``size`` characters."""
    if size < 2:
        return list(text) if size == 1 else _pieces_slow(text, size)
    return _piece_pattern(size).findall(text)


@functools.lru_cache(maxsize=16)
def _piece_pattern(size: int) -> re.Pattern[str]:
    # _pieces_slow as one scan in C: more than ``size`` characters left, up to the last space within
    # reach or else ``size`` characters; otherwise the rest
    return re.compile(f"(?s)(?=.{{{size + 1}}})(?:.{{1,{size - 1}}} |.{{{size}}})|.+")


def _pieces_slow(text: str, size: int) -> list[str]:
    """:func:`_pieces` as a loop (the definition; any size)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i + max(size, 1)
        if j < n:
            sp = text.rfind(" ", i + 1, j)
            if sp > i:
                j = sp + 1
        else:
            j = n
        out.append(text[i:j])
        i = j
    return out


def events_from_message(message: dict[str, Any], *, chunk: int = 24, pings: bool = True) -> list[Event]:
    """The stream the API would send for ``message`` (deterministic for a given message)."""
    return _stream(message, chunk, pings, event)


def _encoded(payload: dict[str, Any]) -> bytes:
    """``encode(event(payload))``, without the Event and the str round trip (orjson writes no raw
    newline, so the data is always one line)."""
    try:
        data = orjson.dumps(payload)
    except TypeError:
        return encode(event(payload))
    name: str = payload["type"]
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def encode_message(message: dict[str, Any], *, chunk: int = 24, pings: bool = True) -> tuple[bytes, int]:
    """``encode_all(events_from_message(message))`` and the number of events, built straight as bytes
    (the fast path of a streamed answer that nothing needs to see event by event)."""
    try:
        fast = _encode_plain(message, chunk, pings)
    except TypeError:  # what orjson will not write: event by event, as the standard library writes it
        fast = None
    if fast is not None:
        return fast
    parts = _stream(message, chunk, pings, _encoded)
    return b"".join(parts), len(parts)


_PING = b'event: ping\ndata: {"type":"ping"}\n\n'
_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
_BLOCK_START = b'event: content_block_start\ndata: {"type":"content_block_start","index":'
_BLOCK_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_BLOCK_STOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
_END = b"}}\n\n"
_MESSAGE_KEYS = frozenset(("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"))
_MESSAGE_START = b'event: message_start\ndata: {"type":"message_start","message":{"id":'
_MESSAGE_START_REST = b',"content":[],"stop_reason":null,"stop_sequence":null,"usage":'


def _deltas(index: bytes, kind: bytes, pieces: list[str]) -> bytes:
    """The ``content_block_delta`` events of ``pieces`` (``kind``: the delta's type and field),
    one join: each piece's JSON between the same two templates."""
    head = _BLOCK_DELTA + index + b',"delta":{"type":' + kind + b":"
    return head + (_END + head).join(map(orjson.dumps, pieces)) + _END


def _encode_plain(message: dict[str, Any], chunk: int, pings: bool) -> tuple[bytes, int] | None:
    """:func:`encode_message` for the blocks answers are made of (text without citations, thinking,
    tool use) from templates, the same bytes as :func:`_stream`'s; None for any other block."""
    if message.keys() == _MESSAGE_KEYS:  # an answer's fields and no other: message_start from a template
        usage = dict(message["usage"] or {})
        usage["output_tokens"] = min(1, int(usage.get("output_tokens", 0) or 0))
        parts = [_MESSAGE_START + orjson.dumps(message["id"]) + b',"type":"message","role":"assistant","model":'
                 + orjson.dumps(message["model"]) + _MESSAGE_START_REST + orjson.dumps(usage) + _END]
    else:
        parts = [_encoded({"type": "message_start", "message": _start_message(message)})]
    count = 1
    for i, block in enumerate(message.get("content") or []):
        btype = block.get("type")
        index = b"%d" % i
        if btype == "text" and len(block) == 2 and "text" in block and next(iter(block)) == "type":
            parts.append(_BLOCK_START + index + b',"content_block":{"type":"text","text":""}}\n\n')
            count += 1
            if pings and i == 0:
                parts.append(_PING)
                count += 1
            pieces = _pieces(block["text"], chunk)
        elif btype == "thinking":
            parts.append(_BLOCK_START + index + b',"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n')
            pieces = _pieces(block.get("thinking", ""), chunk * 2)
            if pieces:
                parts.append(_deltas(index, b'"thinking_delta","thinking"', pieces))
            signature = orjson.dumps(block.get("signature", ""))
            parts.append(_BLOCK_DELTA + index + b',"delta":{"type":"signature_delta","signature":' + signature + _END)
            count += 2 + len(pieces)
            pieces = []
        elif btype in ("tool_use", "server_tool_use"):
            start_block = {k: v for k, v in block.items() if k != "input"}
            start_block["input"] = {}
            parts.append(_encoded({"type": "content_block_start", "index": i, "content_block": start_block}))
            parts.append(_BLOCK_DELTA + index + b',"delta":{"type":"input_json_delta","partial_json":""}}\n\n')
            count += 2
            pieces = _pieces(dumps(block.get("input", {})), max(8, chunk // 2))
            if pieces:
                parts.append(_deltas(index, b'"input_json_delta","partial_json"', pieces))
                count += len(pieces)
            pieces = []
        else:
            return None
        if pieces:
            parts.append(_deltas(index, b'"text_delta","text"', pieces))
            count += len(pieces)
        parts.append(_BLOCK_STOP + index + b"}\n\n")
        count += 1
    parts.append(_encoded(_message_delta(message)))
    parts.append(_STOP)
    return b"".join(parts), count + 2


def _start_message(message: dict[str, Any]) -> dict[str, Any]:
    """The message of ``message_start``: no content, no stop reason, at most one output token."""
    usage = dict(message.get("usage") or {})
    usage["output_tokens"] = min(1, int(usage.get("output_tokens", 0) or 0))
    start_msg: dict[str, Any] = {
        "id": message.get("id"),
        "type": "message",
        "role": "assistant",
        "model": message.get("model"),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    for k, v in message.items():
        if k not in start_msg and k not in ("content", "usage"):
            start_msg[k] = v if k not in ("stop_reason", "stop_sequence") else None
    return start_msg


def _message_delta(message: dict[str, Any]) -> dict[str, Any]:
    """The payload of ``message_delta``: the stop reason and the final usage."""
    usage = message.get("usage") or {}
    delta_usage = {"output_tokens": usage.get("output_tokens", 0)}
    for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "server_tool_use"):
        if k in usage:
            delta_usage[k] = usage[k]
    return {
        "type": "message_delta",
        "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": message.get("stop_sequence")},
        "usage": delta_usage,
    }


def _stream(message: dict[str, Any], chunk: int, pings: bool, event: Callable[[dict[str, Any]], _T]) -> list[_T]:
    """The events of ``message``'s stream, each made by ``event`` from its payload."""
    out = [event({"type": "message_start", "message": _start_message(message)})]
    for index, block in enumerate(message.get("content") or []):
        btype = block.get("type")
        if btype == "text":
            start_block = {k: v for k, v in block.items() if k != "citations"}
            start_block["text"] = ""
            if "citations" in block:
                start_block["citations"] = []
            out.append(event({"type": "content_block_start", "index": index, "content_block": start_block}))
            if pings and index == 0:
                out.append(event({"type": "ping"}))
            for citation in block.get("citations") or []:
                delta = {"type": "citations_delta", "citation": citation}
                out.append(event({"type": "content_block_delta", "index": index, "delta": delta}))
            for piece in _pieces(block.get("text", ""), chunk):
                delta = {"type": "text_delta", "text": piece}
                out.append(event({"type": "content_block_delta", "index": index, "delta": delta}))
        elif btype == "thinking":
            start_block = {"type": "thinking", "thinking": "", "signature": ""}
            out.append(event({"type": "content_block_start", "index": index, "content_block": start_block}))
            for piece in _pieces(block.get("thinking", ""), chunk * 2):
                delta = {"type": "thinking_delta", "thinking": piece}
                out.append(event({"type": "content_block_delta", "index": index, "delta": delta}))
            delta = {"type": "signature_delta", "signature": block.get("signature", "")}
            out.append(event({"type": "content_block_delta", "index": index, "delta": delta}))
        elif btype in ("tool_use", "server_tool_use"):
            start_block = {k: v for k, v in block.items() if k != "input"}
            start_block["input"] = {}
            out.append(event({"type": "content_block_start", "index": index, "content_block": start_block}))
            raw = dumps(block.get("input", {}))
            out.append(
                event(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": ""},
                    }
                )
            )
            for piece in _pieces(raw, max(8, chunk // 2)):
                delta = {"type": "input_json_delta", "partial_json": piece}
                out.append(event({"type": "content_block_delta", "index": index, "delta": delta}))
        else:
            # redacted_thinking and server tool results arrive whole in content_block_start.
            out.append(event({"type": "content_block_start", "index": index, "content_block": block}))
        out.append(event({"type": "content_block_stop", "index": index}))
    out.append(event(_message_delta(message)))
    out.append(event({"type": "message_stop"}))
    return out


# --- events -> message ---------------------------------------------------------------------------

class Accumulator:
    """Folds stream events into the final message, as the official SDKs' accumulators do.

    Text and thinking deltas append, ``signature_delta`` sets, tool input JSON is buffered per index
    and parsed at block stop, ``message_delta`` overwrites the usage fields it carries. Unknown
    events and ``ping`` are ignored. An ``error`` event raises :class:`StreamError`.
    """

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.complete = False
        self._json: dict[int, str] = {}

    def add(self, ev: Event) -> None:
        name = ev.name
        if name not in (
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
            "error",
        ):
            return
        payload = ev.json()
        if name == "error":
            raise StreamError(payload.get("error") or {})
        if name == "message_start":
            self.message = dict(payload["message"])
            self.message["content"] = list(self.message.get("content") or [])
            self.message["usage"] = dict(self.message.get("usage") or {})
            return
        msg = self.message
        if msg is None:
            raise StreamError({"type": "api_error", "message": f"{name} before message_start"})
        if name == "content_block_start":
            index = payload["index"]
            content = msg["content"]
            while len(content) <= index:
                content.append(None)
            content[index] = dict(payload["content_block"])
        elif name == "content_block_delta":
            index, delta = payload["index"], payload["delta"]
            block = msg["content"][index]
            dtype = delta.get("type")
            if dtype == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
            elif dtype == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
            elif dtype == "signature_delta":
                block["signature"] = delta["signature"]
            elif dtype == "input_json_delta":
                self._json[index] = self._json.get(index, "") + delta["partial_json"]
            elif dtype == "citations_delta":
                block.setdefault("citations", []).append(delta["citation"])
        elif name == "content_block_stop":
            index = payload["index"]
            if index in self._json:
                raw = self._json.pop(index)
                msg["content"][index]["input"] = json.loads(raw) if raw else {}
        elif name == "message_delta":
            delta = payload.get("delta") or {}
            for k in ("stop_reason", "stop_sequence"):
                if k in delta:
                    msg[k] = delta[k]
            for k, v in (payload.get("usage") or {}).items():
                if v is not None:
                    msg["usage"][k] = v
        elif name == "message_stop":
            self.complete = True


def message_from_events(events: Iterable[Event]) -> dict[str, Any]:
    """The message a complete stream accumulates to (raises :class:`StreamError` on an error event)."""
    acc = Accumulator()
    for ev in events:
        acc.add(ev)
    if acc.message is None or not acc.complete:
        raise StreamError({"type": "api_error", "message": "stream ended before message_stop"})
    return acc.message
