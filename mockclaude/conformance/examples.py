"""Builders of generated examples: one example is a request, the server's scripted replies, and
what a correct client must then show (the message the events define, the conversation a correct
tool loop sends back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .answers import TOOLS, Stream, message_strategy, stream_from_message, texts, unique_ids
from .checks import results_turn
from .serving import Reply, json_reply, stream_reply
from .wire import Encoding, chunk_cuts, encode_events, encoding_strategy, split_at

__all__ = ["Example", "base_request", "loop_example", "stream_example", "truncated"]

WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search"}


@dataclass
class Example:
    """One generated example of a case."""

    action: str
    request: dict[str, Any]
    replies: list[Reply]
    max_retries: int = 2
    max_rounds: int = 4
    expect: dict[str, Any] = field(default_factory=dict)
    describe: str = ""

    def key(self) -> str:
        """A stable identity (for the verdict cache and for evidence)."""
        import hashlib
        import json

        h = hashlib.sha256(json.dumps([self.action, self.request, self.max_retries, self.max_rounds], sort_keys=True).encode())
        for r in self.replies:
            h.update(repr((r.status, sorted(r.headers.items()), r.chunks, r.end, r.stall)).encode())
        return h.hexdigest()

    def evidence(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "request": self.request,
            "max_retries": self.max_retries,
            "max_rounds": self.max_rounds,
            "description": self.describe,
            "replies": [r.evidence() for r in self.replies],
            "expected": self.expect,
        }


def base_request(draw: Any, *, stream: bool | None = None, tools: bool = False, thinking: bool = False,
                 server_tools: bool = False) -> dict[str, Any]:
    """A valid Messages body (``stream`` only for tool loops: the stream action implies it)."""
    req: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 2048 if thinking else draw(st.sampled_from([256, 1024])),
        "messages": [{"role": "user", "content": "Q: " + draw(texts)}],
    }
    if draw(st.booleans()):
        req["system"] = "S: " + draw(texts)
    if draw(st.booleans()) and not thinking:
        req["metadata"] = {"user_id": "conformance"}
    if tools or server_tools:
        req["tools"] = ([*TOOLS] if tools else []) + ([WEB_SEARCH] if server_tools else [])
    if thinking:
        req["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    if stream is not None:
        req["stream"] = stream
    return req


def _reply_for(draw: Any, s: Stream, enc: Encoding | None = None, focus: tuple[str, ...] = (),
               bytewise: bool = False, max_cuts: int = 6) -> Reply:
    enc = enc or Encoding()
    raw = draw(encode_events(s.events, enc))
    cuts = draw(chunk_cuts(raw, focus=focus, bytewise=bytewise, max_cuts=max_cuts))
    return stream_reply(split_at(raw, cuts), label=enc.describe())


@st.composite
def stream_example(
    draw: Any,
    signer: Any,
    *,
    kinds: tuple[str, ...] = ("text",),
    stop_reason: str | None = None,
    enc: st.SearchStrategy[Encoding] | None = None,
    focus: tuple[str, ...] = (),
    bytewise: bool = False,
    max_cuts: int = 12,
    delta_usage: str = "cumulative",
    interleave: bool = False,
    split_signature: bool = False,
    min_text: int = 0,
    action: str = "stream",
) -> Example:
    """A streamed (or, for ``action="create"``, a JSON) answer under a drawn encoding and chunking."""
    thinking = "thinking" in kinds or "redacted_thinking" in kinds
    server = "server_tool" in kinds or "citations" in kinds
    msg = draw(message_strategy(signer, kinds=kinds, stop_reason=stop_reason, min_text=min_text))
    tools = any(b["type"] == "tool_use" for b in msg["content"])
    request = base_request(draw, tools=tools, thinking=thinking, server_tools=server)
    if action == "create":
        import json

        body = json.dumps(msg, ensure_ascii=False).encode()
        cuts = draw(chunk_cuts(body, focus=("utf8",), max_cuts=max_cuts))
        reply = json_reply(msg, split_at(body, cuts))
        return Example("create", request, [reply], expect={"message": msg}, describe=f"JSON body in {len(reply.chunks)} chunks")
    s = draw(stream_from_message(msg, split_signature=split_signature, interleave=interleave, delta_usage=delta_usage))
    e = draw(enc) if enc is not None else Encoding()
    reply = _reply_for(draw, s, e, focus, bytewise, max_cuts)
    return Example("stream", request, [reply], expect={"message": s.message, "events": len(s.events)},
                   describe=f"{e.describe()}; {len(reply.chunks)} chunks; " + "; ".join(s.notes))


@st.composite
def truncated(draw: Any, signer: Any, *, where: str, end: str, error: str | None = None) -> Example:
    """A stream that stops early: ``where`` = ``content`` (inside a block), ``after_delta`` (after
    message_delta, before message_stop) or ``start`` (right after message_start). ``end``: the HTTP
    body ends cleanly (``complete``) or the connection is cut (``cut``). ``error``: an ``error``
    event of that type is sent at the stop point."""
    msg = draw(message_strategy(signer, kinds=("text",), stop_reason="end_turn", min_text=1))
    s = draw(stream_from_message(msg))
    names = [n for n, _ in s.events]
    if where == "after_delta":
        stop = names.index("message_delta") + 1
    elif where == "start":
        stop = 1
    else:
        deltas = [i for i, n in enumerate(names) if n == "content_block_delta"]
        stop = draw(st.sampled_from(deltas)) + 1
    events = list(s.events[:stop])
    if error is not None:
        msgs = {"overloaded_error": "Overloaded", "api_error": "Internal server error", "rate_limit_error": "Rate limited",
                "invalid_request_error": "Output blocked by content filtering policy"}
        events.append(("error", {"type": "error", "error": {"type": error, "message": msgs.get(error, "error")},
                                 "request_id": "req_conformance"}))
    cut = Stream(events, msg)
    e = draw(encoding_strategy(eols=("\n", "\r\n")))
    reply = _reply_for(draw, cut, e, max_cuts=4)
    reply.end = end
    reply.label = f"{len(events)} of {len(s.events)} events" + (f" then error {error}" if error else "") + f", then {end}"
    return Example("stream", base_request(draw), [reply], max_retries=0,
                   expect={"message": msg, "stop_after_events": stop, "error": error},
                   describe=reply.label)


@st.composite
def loop_example(
    draw: Any,
    signer: Any,
    *,
    kinds: tuple[str, ...] = ("text",),
    rounds: tuple[int, int] = (1, 2),
    tools: int | None = None,
    tool_names: tuple[str, ...] | None = None,
    stream: bool | None = None,
    max_rounds: int = 4,
    final: str = "end_turn",
) -> Example:
    """A tool loop: ``rounds`` answers ending in ``tool_use``, then one ending in ``final``."""
    stream = draw(st.booleans()) if stream is None else stream
    thinking = "thinking" in kinds or "redacted_thinking" in kinds
    server = "server_tool" in kinds
    request = base_request(draw, stream=stream, tools=True, thinking=thinking, server_tools=server)
    n = draw(st.integers(*rounds))
    msgs = [draw(message_strategy(signer, kinds=kinds, stop_reason="tool_use", tools=tools, tool_names=tool_names))
            for _ in range(n)]
    for r, m in enumerate(msgs):
        unique_ids(m["content"], f"r{r}")
    fkinds = (*tuple(k for k in kinds if k in ("thinking", "redacted_thinking")), "text")
    msgs.append(draw(message_strategy(signer, kinds=fkinds, stop_reason=final, min_text=1)))
    replies: list[Reply] = []
    for m in msgs:
        if stream:
            replies.append(_reply_for(draw, draw(stream_from_message(m)), draw(encoding_strategy(eols=("\n", "\r\n"))), max_cuts=4))
        else:
            replies.append(json_reply(m))
    conversations = [list(request["messages"])]
    for m in msgs[:-1]:
        conversations.append(conversations[-1] + [{"role": "assistant", "content": m["content"]}, results_turn(m["content"])])
    made = min(len(msgs), max_rounds)
    return Example("tool_loop", request, replies, max_rounds=max_rounds,
                   expect={"messages": msgs, "conversations": conversations, "requests": made},
                   describe=f"{n} tool round(s) then {final}; {'streamed' if stream else 'JSON'}")
