"""Hypothesis strategies for what the server says: messages, and the event streams that define them.

A generated answer is a :class:`Stream`: the list of SSE events (name, payload) the server sends and
the message those events define (what a correct accumulator must report). The message is derived
from the events by the reference rules of the API docs, never from a client library.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "STOP_REASONS",
    "TOOLS",
    "Stream",
    "echo_result",
    "message_strategy",
    "stream_from_message",
    "tool_input",
]

# Every stop_reason the API documents (and the SDK 2.x types list).
STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)

# The tools every case offers (echo tools: the adapter answers each call with its input as JSON).
TOOLS: list[dict[str, Any]] = [
    {
        "name": "get_weather",
        "description": "Weather for a place.",
        "input_schema": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
    {
        "name": "lookup",
        "description": "Search a catalogue.",
        "input_schema": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "filters": {"type": "object", "properties": {"exact": {"type": "boolean"}, "score": {"type": "number"}}},
            },
            "required": ["query"],
        },
    },
    {"name": "now", "description": "The current time; no arguments.", "input_schema": {"type": "object", "properties": {}}},
]

# Text that exercises decoding: ASCII, 2-, 3- and 4-byte UTF-8, JSON escapes (quotes, backslash,
# newlines), and the SSE-relevant characters that are *not* line ends (U+2028, U+0085).
_ALPHABET = st.sampled_from(
    [*list("abcdefgh xyz ,."), "é", "ß", "ж", "€", "“", "”", "日本", "中", "🙂", "🧪", "𝔘", '"', "\\", "\n", "\t", "\u2028", "\x85"]
)
texts = st.lists(_ALPHABET, min_size=1, max_size=24).map("".join)
_ids = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=12, max_size=12)


def echo_result(tool_input: Any) -> str:
    """The echo tool's result: the input as JSON with sorted keys (the protocol's definition)."""
    return json.dumps(tool_input, sort_keys=True)


@st.composite
def tool_input(draw: Any, name: str) -> dict[str, Any]:
    """An input valid for the named tool's schema (``now`` takes ``{}``)."""
    if name == "now":
        return {}
    if name == "get_weather":
        out: dict[str, Any] = {"location": draw(texts)}
        if draw(st.booleans()):
            out["unit"] = draw(st.sampled_from(["celsius", "fahrenheit"]))
        return out
    out = {"query": draw(texts)}
    if draw(st.booleans()):
        out["limit"] = draw(st.integers(0, 10**6))
    if draw(st.booleans()):
        out["tags"] = draw(st.lists(texts, max_size=3))
    if draw(st.booleans()):
        out["filters"] = {"exact": draw(st.booleans()), "score": draw(st.sampled_from([0.5, 1.25, -3.0, 1e-3]))}
    return out


@st.composite
def tool_use_block(draw: Any, name: str | None = None) -> dict[str, Any]:
    name = name or draw(st.sampled_from([t["name"] for t in TOOLS]))
    return {"type": "tool_use", "id": "toolu_" + draw(_ids), "name": name, "input": draw(tool_input(name))}


@st.composite
def thinking_block(draw: Any, signer: Any) -> dict[str, Any]:
    text = draw(texts)
    return {"type": "thinking", "thinking": text, "signature": signer.sign(text)}


@st.composite
def redacted_block(draw: Any, signer: Any) -> dict[str, Any]:
    # Opaque to the client; issued by the double's signer so the double accepts it when echoed.
    return {"type": "redacted_thinking", "data": signer.sign("redacted:" + draw(_ids))}


@st.composite
def server_tool_pair(draw: Any) -> list[dict[str, Any]]:
    sid = "srvtoolu_" + draw(_ids)
    query = draw(texts)
    results = [
        {
            "type": "web_search_result",
            "url": f"https://example.com/{draw(_ids)}",
            "title": draw(texts),
            "encrypted_content": draw(_ids) * 2,
            "page_age": draw(st.sampled_from([None, "2 days ago"])),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    return [
        {"type": "server_tool_use", "id": sid, "name": "web_search", "input": {"query": query}},
        {"type": "web_search_tool_result", "tool_use_id": sid, "content": results},
    ]


@st.composite
def cited_text_block(draw: Any) -> dict[str, Any]:
    citations = [
        {
            "type": "web_search_result_location",
            "url": f"https://example.com/{draw(_ids)}",
            "title": draw(texts),
            "encrypted_index": draw(_ids),
            "cited_text": draw(texts),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    return {"type": "text", "text": draw(texts), "citations": citations}


@st.composite
def usage_strategy(draw: Any) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": draw(st.integers(1, 5000)),
        "output_tokens": draw(st.integers(2, 4000)),
        "cache_creation_input_tokens": draw(st.integers(0, 3000)),
        "cache_read_input_tokens": draw(st.integers(0, 3000)),
    }
    if draw(st.booleans()):
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"],
            "ephemeral_1h_input_tokens": 0,
        }
    usage["service_tier"] = "standard"
    return usage


@st.composite
def message_strategy(
    draw: Any,
    signer: Any,
    *,
    kinds: tuple[str, ...] = ("text",),
    stop_reason: str | None = None,
    tools: int | None = None,
    tool_names: tuple[str, ...] | None = None,
    min_text: int = 0,
) -> dict[str, Any]:
    """A Message: thinking blocks first (when ``kinds`` has them: at least one), then text /
    server-tool / cited text, then (for ``stop_reason == "tool_use"``) ``tools`` client tool calls
    (drawn 1-3 when None) of the ``tool_names`` tools."""
    content: list[dict[str, Any]] = []
    if "redacted_thinking" in kinds:
        if "thinking" in kinds and draw(st.booleans()):
            content.append(draw(thinking_block(signer)))
        content.append(draw(redacted_block(signer)))
        if "thinking" in kinds and draw(st.booleans()):
            content.append(draw(thinking_block(signer)))
    elif "thinking" in kinds:
        content.extend(draw(thinking_block(signer)) for _ in range(draw(st.integers(1, 2))))
    middle = [k for k in kinds if k in ("text", "server_tool", "citations")]
    for _ in range(draw(st.integers(min_text, 3)) if middle else 0):
        k = draw(st.sampled_from(middle))
        if k == "text":
            content.append({"type": "text", "text": draw(texts)})
        elif k == "citations":
            content.append(draw(cited_text_block()))
        else:
            content.extend(draw(server_tool_pair()))
    reason = stop_reason or draw(st.sampled_from([r for r in STOP_REASONS if r != "tool_use"]))
    if reason == "tool_use":
        n = tools if tools is not None else draw(st.integers(1, 3))
        names = tool_names or tuple(t["name"] for t in TOOLS)
        content.extend(draw(tool_use_block(draw(st.sampled_from(names)))) for _ in range(n))
    if not content:
        content.append({"type": "text", "text": draw(texts)})
    unique_ids(content, "m" + draw(_ids)[:4])
    return {
        "id": "msg_" + draw(_ids),
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": content,
        "stop_reason": reason,
        "stop_sequence": "\n\nHuman:" if reason == "stop_sequence" else None,
        "usage": draw(usage_strategy()),
    }


def unique_ids(content: list[dict[str, Any]], tag: str) -> None:
    """Make tool ids unique (the API never repeats one; shrinking would): ``tag`` + position."""
    renamed: dict[str, str] = {}
    for i, b in enumerate(content):
        if b.get("type") in ("tool_use", "server_tool_use"):
            renamed[b["id"]] = new = f"{b['id']}{tag}{i}"
            b["id"] = new
    for b in content:
        if b.get("type") == "web_search_tool_result" and b.get("tool_use_id") in renamed:
            b["tool_use_id"] = renamed[b["tool_use_id"]]


@dataclass
class Stream:
    """One streamed answer: its events in order and the message they define."""

    events: list[tuple[str, dict[str, Any]]]
    message: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _split(draw: Any, text: str, max_pieces: int = 6) -> list[str]:
    """``text`` cut at drawn character offsets (each piece non-empty)."""
    if len(text) <= 1:
        return [text]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(text) - 1), max_size=max_pieces - 1))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def stream_from_message(
    draw: Any,
    message: dict[str, Any],
    *,
    split_signature: bool = False,
    interleave: bool = False,
    delta_usage: str = "cumulative",
) -> Stream:
    """The events that stream ``message``: text, thinking and tool input split into drawn deltas.

    ``delta_usage``: ``cumulative`` (message_delta repeats the input/cache totals), ``output``
    (only output_tokens), ``nulls`` (the other fields explicitly null), ``absent`` (no usage in
    message_delta: the final usage is then message_start's). ``interleave`` interleaves the deltas
    of consecutive text blocks (a robustness tier: the real API sends blocks in index order).
    """
    usage = dict(message["usage"])
    start_usage = dict(usage)
    start_usage["output_tokens"] = draw(st.integers(0, 1))
    start = {k: v for k, v in message.items() if k not in ("content", "usage", "stop_reason", "stop_sequence")}
    start.update(content=[], stop_reason=None, stop_sequence=None, usage=start_usage)
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    per_block: list[list[tuple[str, dict[str, Any]]]] = []
    for index, block in enumerate(message["content"]):
        evs: list[tuple[str, dict[str, Any]]] = []

        def delta(d: dict[str, Any], index: int = index, evs: list[Any] = evs) -> None:
            evs.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}))

        btype = block["type"]
        if btype == "text":
            sb: dict[str, Any] = {"type": "text", "text": ""}
            if "citations" in block:
                sb["citations"] = []
            evs.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": sb}))
            pieces = _split(draw, block["text"])
            cites = list(block.get("citations") or [])
            for i, piece in enumerate(pieces):
                if cites and draw(st.booleans()):
                    delta({"type": "citations_delta", "citation": cites.pop(0)})
                delta({"type": "text_delta", "text": piece})
                if i == len(pieces) - 1:
                    for c in cites:  # citation-only deltas after the last text (bug class 21)
                        delta({"type": "citations_delta", "citation": c})
        elif btype == "thinking":
            sb = {"type": "thinking", "thinking": "", "signature": ""}
            evs.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": sb}))
            for piece in _split(draw, block["thinking"]):
                delta({"type": "thinking_delta", "thinking": piece})
            sig = block["signature"]
            if split_signature:
                half = len(sig) // 2
                delta({"type": "signature_delta", "signature": sig[:half]})
                delta({"type": "signature_delta", "signature": sig[half:]})
            else:
                delta({"type": "signature_delta", "signature": sig})
        elif btype in ("tool_use", "server_tool_use"):
            sb = {k: v for k, v in block.items() if k != "input"}
            sb["input"] = {}  # the placeholder the API sends; deltas replace it (bug class 13)
            evs.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": sb}))
            raw = json.dumps(block["input"], ensure_ascii=False, separators=(",", ":"))
            if block["input"] == {} and draw(st.booleans()):
                raw = ""  # no argument: often no delta at all (bug class 12)
            if raw and draw(st.booleans()):
                delta({"type": "input_json_delta", "partial_json": ""})
            for piece in _split(draw, raw, 8) if raw else []:
                delta({"type": "input_json_delta", "partial_json": piece})
        else:
            evs.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": block}))
        evs.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        per_block.append(evs)
    if interleave and len(per_block) >= 2:
        a, b = per_block[0], per_block[1]
        mixed: list[tuple[str, dict[str, Any]]] = []
        # starts of both, then deltas alternating, then stops: indices stay correct, order does not
        mixed += [a[0], b[0]]
        da, db = a[1:-1], b[1:-1]
        for i in range(max(len(da), len(db))):
            mixed += da[i : i + 1] + db[i : i + 1]
        mixed += [a[-1], b[-1]]
        per_block = [mixed, *per_block[2:]]
    for evs in per_block:
        events.extend(evs)
    final = message
    if delta_usage == "cumulative":
        du: dict[str, Any] | None = {k: v for k, v in usage.items() if k != "service_tier" and k != "cache_creation"}
    elif delta_usage == "output":
        du = {"output_tokens": usage["output_tokens"]}
    elif delta_usage == "nulls":
        du = {
            "output_tokens": usage["output_tokens"],
            "input_tokens": None,
            "cache_creation_input_tokens": None,
            "cache_read_input_tokens": None,
        }
    else:
        du = None
        final = dict(message, usage=start_usage)
    md: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
    }
    if du is not None:
        md["usage"] = du
    events.append(("message_delta", md))
    events.append(("message_stop", {"type": "message_stop"}))
    if split_signature:
        return Stream(events, final, ["signature split across two signature_delta events"])
    return Stream(events, final)
