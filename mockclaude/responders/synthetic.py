"""The embedded default: a deterministic synthetic responder.

Same request, same answer, on every machine (the prompt cache aside, which depends on what came
before, as it does on the real API). The answers exercise what a client must handle:

* text that depends on the request: it quotes the last user turn, so a test controls what appears;
* ``stop_reason: "max_tokens"`` with the answer cut when it would exceed ``max_tokens``;
* ``stop_reason: "stop_sequence"`` when one of ``stop_sequences`` occurs in the answer text;
* tool use — see :func:`choose_tools` for the rule — with inputs valid against each tool's schema;
* after tool results, a text answer that quotes them;
* with thinking on, a signed thinking block first (empty text when ``display`` is ``omitted``);
* usage with deterministic token counts and prompt-cache accounting (:class:`PromptCache`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

from ..errors import b58
from ..signatures import Signer
from ..tokens import count_blocks, count_text, tool_tokens
from .jsonschema_gen import instance_for_schema

__all__ = [
    "PromptCache",
    "SyntheticResponder",
    "choose_tools",
    "instance_for_schema",
    "message_id",
    "request_digest",
    "thinking_block",
    "tool_use_id",
    "tool_use_tokens",
    "usage_for",
]

_SENTENCES = (
    "This is a deterministic answer from the mockclaude synthetic responder.",
    "The same request always gets the same words, on every machine.",
    "Your client can stream, count, cut and display this text like any other answer.",
    "Nothing here was written by a model; it is built from a hash of your request.",
    "Send a different request and the answer changes with it.",
    "Set max_tokens low to see the answer cut with stop_reason max_tokens.",
    "Add a stop sequence that appears in your message to see stop_reason stop_sequence.",
    "Offer tools and name one in your message to see a tool_use block.",
    "Usage figures count about four characters a token.",
    "A cassette replays real recorded answers instead of these.",
)


def _last_user_turn(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The tool results of the last user turn, and its text (the text blocks, stripped, joined by a
    space), in one pass over its blocks."""
    content: Any = []
    for m in reversed(messages):
        if m.get("role") == "user":
            content = m.get("content") or []
            break
    results: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in content:
        btype = block.get("type")
        if btype == "text":
            texts.append(block.get("text", ""))
        elif btype == "tool_result":
            results.append(block)
    if len(texts) == 1:
        return results, texts[0].strip()
    return results, " ".join(p.strip() for p in texts if p.strip())


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = [c.get("text", "") for c in content if isinstance(c, dict) and c.get("type") == "text"]
    return " ".join(texts) if texts else f"[{len(content)} blocks]"


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- values from schemas (tool inputs, structured outputs): see jsonschema_gen ---------------------

_INSTANCES: dict[bytes, bytes] = {}


def _schema_value(schema: Any) -> Any:
    """:func:`instance_for_schema`, remembered per schema (tools repeat on every turn of a loop)."""
    try:
        key = orjson.dumps(schema)
    except TypeError:
        return instance_for_schema(schema)
    cached = _INSTANCES.get(key)
    if cached is None:
        value = instance_for_schema(schema)
        try:
            cached = orjson.dumps(value)
        except TypeError:  # e.g. a const too big for orjson: not remembered
            return value
        if len(_INSTANCES) >= 4096:
            _INSTANCES.clear()
        _INSTANCES[key] = cached
    return orjson.loads(cached)  # a fresh copy: answers never share objects


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits (a schema's const): the standard library writes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- tool choice -------------------------------------------------------------------------------

def choose_tools(tools: list[dict[str, Any]], tool_choice: dict[str, Any] | None, user_text: str) -> list[dict[str, Any]]:
    """Which tools the synthetic model calls (an empty list: it answers in text).

    * ``tool_choice`` ``none``: no tool. ``{"type": "tool", "name": N}``: exactly tool N.
    * ``auto`` (the default) and ``any``: the custom tools whose names appear in the last user turn,
      in the order offered; when none is named, the first tool offered. Server tools (those with a
      ``type`` other than ``custom``) are never called by the synthetic model.
    * Parallel use: unless ``disable_parallel_tool_use`` is true, every named tool is called, in one
      answer (several ``tool_use`` blocks); with it, only the first.
    """
    custom = [t for t in tools if t.get("type") in (None, "custom") and "name" in t]
    choice = tool_choice or {"type": "auto"}
    ctype = choice.get("type", "auto")
    if ctype == "none" or not custom:
        return []
    if ctype == "tool":
        return [t for t in custom if t["name"] == choice.get("name")][:1]
    lowered = user_text.lower()
    named = [t for t in custom if t["name"].lower() in lowered]
    picked = named or custom[:1]
    if choice.get("disable_parallel_tool_use"):
        picked = picked[:1]
    return picked


# --- prompt cache ------------------------------------------------------------------------------

_TTL = {"5m": 300.0, "1h": 3600.0}


class PromptCache:
    """Prompt-cache accounting like the real one, keyed on the prefix up to each breakpoint.

    The prefix order is tools, system, messages. A request reads the longest cached prefix ending at
    one of its breakpoints; the rest up to its last breakpoint is written (``cache_creation``).
    Entries live for their TTL (5 minutes by default, ``"ttl": "1h"`` for an hour), refreshed on use.
    ``min_tokens`` mirrors the API's minimum cacheable length (0 here by default: see the README).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, min_tokens: int = 0) -> None:
        self._clock = clock
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()
        self.min_tokens = min_tokens

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @staticmethod
    def breakpoints(
        tools: list[dict[str, Any]], system: list[dict[str, Any]], messages: list[dict[str, Any]]
    ) -> list[tuple[str, int, str]]:
        """(prefix digest, prefix tokens, ttl) at each ``cache_control`` breakpoint, in order."""
        h = hashlib.blake2b(digest_size=16)
        tokens = 0
        out: list[tuple[str, int, str]] = []

        def feed(kind: str, item: dict[str, Any], cost: int) -> None:
            nonlocal tokens
            cc = item.get("cache_control")
            plain = {k: v for k, v in item.items() if k != "cache_control"} if cc else item
            h.update(kind.encode())
            h.update(orjson.dumps(plain, option=orjson.OPT_SORT_KEYS))
            tokens += cost
            if cc:
                out.append((h.copy().hexdigest(), tokens, cc.get("ttl", "5m")))

        for tool in tools:
            feed("tool", tool, tool_tokens(tool))
        for block in system:
            feed("system", block, count_blocks([block]))
        for message in messages:
            for block in message.get("content") or []:
                feed(message.get("role", "user"), block, count_blocks([block]))
        return out

    def account(self, points: list[tuple[str, int, str]]) -> tuple[int, int, dict[str, int]]:
        """(cache_read, cache_creation, creation by ttl) for a request with these breakpoints."""
        if not points:
            return 0, 0, {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
        now = self._clock()
        read = 0
        by_ttl = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
        with self._lock:
            for digest, tokens, _ in points:
                expiry = self._entries.get(digest)
                if expiry is not None and expiry > now:
                    read = max(read, tokens)
            created = 0
            __, last_tokens, last_ttl = points[-1]
            if last_tokens > read and last_tokens >= self.min_tokens:
                created = last_tokens - read
                key = "ephemeral_1h_input_tokens" if last_ttl == "1h" else "ephemeral_5m_input_tokens"
                by_ttl[key] = created
            for digest, tokens, ttl in points:
                if tokens >= self.min_tokens:
                    self._entries[digest] = now + _TTL.get(ttl, 300.0)
            if len(self._entries) > 100_000:
                self._entries = {d: e for d, e in self._entries.items() if e > now}
        return read, created, by_ttl


# --- the responder -----------------------------------------------------------------------------

_STREAM_FLAG = re.compile(rb'"stream"\s*:\s*(?:true|false)')
_WS = b" \t\r\n"


def _without_stream_flag(raw: bytes) -> bytes:
    """``raw`` less a top-level-looking ``"stream": true|false`` member and its comma."""
    m = _STREAM_FLAG.search(raw)  # a literal prefix: a fast scan
    if m is None:
        return raw
    start, end = m.start(), m.end()
    before = raw[:start].rstrip(_WS)
    if before.endswith(b","):  # `…, "stream": true` -> `…`
        return before[:-1] + raw[end:]
    after = raw[end:].lstrip(_WS)
    if after.startswith(b","):  # `{"stream": true, …` -> `{…`
        after = after[1:].lstrip(_WS)
    return before + after


def request_digest(body: dict[str, Any], raw: bytes | None, digest: bytes | None = None) -> bytes:
    """What makes an answer: the request bytes, less the ``stream`` flag (a request streamed or
    not gets the same message). Without the bytes, a canonical JSON form of the body. ``digest``:
    the SHA-256 of ``raw`` when already known (one scan of the bytes less)."""
    if raw is not None:
        if _STREAM_FLAG.search(raw) is None:  # (one scan: as fast as a substring test, or faster)
            return digest if digest is not None else hashlib.sha256(raw).digest()
        return hashlib.sha256(_without_stream_flag(raw)).digest()
    canon = json.dumps({k: v for k, v in body.items() if k != "stream"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8", "surrogatepass")).digest()


def _has_cache_control(tools: list[dict[str, Any]], system: list[dict[str, Any]], messages: list[dict[str, Any]]) -> bool:
    if any("cache_control" in t for t in tools) or any("cache_control" in b for b in system):
        return True
    return any("cache_control" in b for m in messages for b in m.get("content") or [])


# --- the parts of an answer every responder that builds messages shares (synthetic, scripted) -------


def message_id(digest: bytes) -> str:
    """A ``msg_01…`` id derived from ``digest`` (same request, same id)."""
    return "msg_01" + b58(digest[:22])


def tool_use_id(digest: bytes, i: int) -> str:
    """The ``toolu_01…`` id of the ``i``-th tool call of an answer derived from ``digest``."""
    return "toolu_01" + b58(hashlib.sha256(digest + bytes([i % 256])).digest()[:22])


def tool_use_tokens(name: str, tool_input: Any) -> int:
    """Output tokens a ``tool_use`` block costs (its name and its input as JSON)."""
    return 1 + count_text(name) + (len(orjson.dumps(tool_input)) + 3) // 4


def thinking_block(signer: Signer, thought: str, thinking: dict[str, Any]) -> dict[str, Any]:
    """A signed thinking block for ``thought``; empty text when the request's ``thinking.display``
    is ``omitted`` (the signature covers what is shown, so the block passes back unchanged)."""
    shown = "" if thinking.get("display") == "omitted" else thought
    return {"type": "thinking", "thinking": shown, "signature": signer.sign(shown)}


def usage_for(req: Any, out_tokens: int, cache: PromptCache) -> dict[str, Any]:
    """The ``usage`` of an answer to ``req`` with ``out_tokens`` output tokens, with the prompt
    cache's accounting (reads and writes at the request's ``cache_control`` breakpoints)."""
    tools = req.tools or []
    # The validator's fast pass has counted the messages and the breakpoints already (None: not);
    # the merged turns (made on first use of req.messages) are then not needed.
    total_in = req.input_tokens(tools)
    breakpoints = req.cache_breakpoints
    if breakpoints > 0 if breakpoints is not None else _has_cache_control(tools, req.system_blocks, req.messages):
        read, created, by_ttl = cache.account(PromptCache.breakpoints(tools, req.system_blocks, req.messages))
    else:
        read, created, by_ttl = 0, 0, {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    read, created = min(read, total_in), min(created, max(0, total_in - read))
    return {
        "input_tokens": max(0, total_in - read - created),
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        "cache_creation": by_ttl,
        "output_tokens": out_tokens,
        "service_tier": "standard",
    }


class SyntheticResponder:
    """Builds the answer message for a validated request. Pure but for the prompt cache."""

    def __init__(self, signer: Signer, cache: PromptCache | None = None) -> None:
        self.signer = signer
        self.cache = cache or PromptCache()

    def message(self, req: Any, raw: bytes | None = None) -> dict[str, Any]:
        """The answer to ``req`` (a :class:`mockclaude.protocol.ValidRequest`; ``raw``: its bytes)."""
        digest = getattr(req, "digest", None) or request_digest(req.body, raw)
        recent = getattr(req, "recent_turns", None)  # the turns from the last user turn: all it looks at
        messages: list[dict[str, Any]] = recent() if recent is not None else req.messages
        last = messages[-1] if messages else {"role": "user", "content": []}
        # A final assistant turn is a prefill: the answer continues it.
        prefill = last.get("role") == "assistant"
        results, user_text = _last_user_turn(messages)

        tools = req.tools or []
        calls = [] if results or prefill else choose_tools(tools, req.tool_choice, user_text)

        content: list[dict[str, Any]] = []
        thinking = req.thinking or {}
        thinking_on = thinking.get("type") in ("enabled", "adaptive")
        out_tokens = 0
        if thinking_on and not prefill:
            if calls:
                plan = "I should call " + ", ".join(t["name"] for t in calls) + " to answer this."
            elif results:
                plan = "The tool results are in; I can answer from them."
            else:
                plan = "I can answer this directly."
            thought = f"The user asks: {_snippet(user_text, 120) or '(no text)'}. {plan}"
            budget = thinking.get("budget_tokens")
            if isinstance(budget, int) and count_text(thought) > budget:
                thought = thought[: budget * 4]
            content.append(thinking_block(self.signer, thought, thinking))
            out_tokens += count_text(thought)

        fmt = getattr(req, "output_format", None)
        forced = (req.tool_choice or {}).get("type") in ("any", "tool")
        if fmt is not None and not calls and not prefill:
            # Structured output: the whole text is JSON valid against the schema (what the API
            # guarantees; the SSE rendering streams it as text deltas like any text).
            text = _json_text(_schema_value(fmt.get("schema") or {}))
        elif results:
            quoted = "; ".join(
                f"{b.get('tool_use_id')}{' (error)' if b.get('is_error') else ''}: {_snippet(_result_text(b), 120)}"
                for b in results
            )
            text = f"Based on the tool results — {quoted} — here is the answer. " + self._filler(digest, 1)
        elif calls and forced:
            text = ""  # the API prefills a forced tool call: the answer opens with the tool_use block
        elif calls:
            names = ", ".join(t["name"] for t in calls)
            text = f"I'll use {names} to help with that."
        elif prefill:
            text = " " + self._filler(digest, 2)
        else:
            quoted = _snippet(user_text) or "your message"
            text = f"Mock answer to: {quoted} " + self._filler(digest, 1 + digest[0] % 4)

        max_tokens = req.max_tokens if req.max_tokens is not None else 4096
        stop_reason = "tool_use" if calls else "end_turn"
        stop_sequence = None
        for seq in req.stop_sequences or []:
            pos = text.find(seq) if seq else -1
            if pos >= 0 and (stop_sequence is None or pos < text.find(stop_sequence)):
                stop_sequence = seq
        if stop_sequence is not None:
            text = text[: text.find(stop_sequence)]
            stop_reason = "stop_sequence"
            calls = []

        room = max_tokens - out_tokens
        cost = count_text(text)
        if cost > room:
            text = text[: max(0, room) * 4]
            cost = count_text(text)
            stop_reason, stop_sequence, calls = "max_tokens", None, []
        if text:
            content.append({"type": "text", "text": text})
            out_tokens += cost

        for i, tool in enumerate(calls):
            tool_input = _schema_value(tool.get("input_schema") or {"type": "object"})
            if not isinstance(tool_input, dict):
                tool_input = {}
            tid = tool_use_id(digest, i)
            cost = tool_use_tokens(tool["name"], tool_input)
            if out_tokens + cost > max_tokens:
                stop_reason = "max_tokens"
                break
            content.append({"type": "tool_use", "id": tid, "name": tool["name"], "input": tool_input})
            out_tokens += cost

        return {
            "id": message_id(digest),
            "type": "message",
            "role": "assistant",
            "model": req.model_id,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": usage_for(req, out_tokens, self.cache),
        }

    @staticmethod
    def _filler(digest: bytes, n: int) -> str:
        """``n`` distinct sentences, chosen and ordered by the request's digest."""
        start, step = digest[1] % len(_SENTENCES), 1 + digest[2] % (len(_SENTENCES) - 1)
        key = (start, step, min(n, len(_SENTENCES)))  # a few hundred keys at most
        text = _FILLERS.get(key)
        if text is None:
            text = _FILLERS[key] = _pick_sentences(*key)
        return text


# (start, step, n) -> the filler text: each combination worked out once
_FILLERS: dict[tuple[int, int, int], str] = {}


def _pick_sentences(start: int, step: int, n: int) -> str:
    picked: list[str] = []
    i = start
    while len(picked) < min(n, len(_SENTENCES)):
        if _SENTENCES[i] not in picked:
            picked.append(_SENTENCES[i])
        i = (i + step) % len(_SENTENCES)
        if i == start:
            step, i = 1, (i + 1) % len(_SENTENCES)
    return " ".join(picked)
