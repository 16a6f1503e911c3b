"""A scripted answer made into a message for one request, and the checks that it fits the request.

What the real API would never send for this request is a :class:`Misfit`: a ``tool_use`` of a tool
not offered or with an input its schema refuses, thinking the request did not enable, a tool call
``tool_choice`` forbids (or no call where it demands one), text a structured-output schema refuses.
Everything else is filled in as the synthetic answers are: ids, usage, signed thinking blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tokens import count_text
from .synthetic import message_id, thinking_block, tool_use_id, tool_use_tokens, usage_for

if TYPE_CHECKING:  # pragma: no cover
    from .scripted import Reply

__all__ = ["Misfit", "build_message"]


class Misfit(Exception):
    """A scripted answer that does not fit the request it would answer."""


def _check_call(call: dict[str, Any], valid: Any, offered: dict[str, dict[str, Any]]) -> None:
    name = call["name"]
    if name not in offered:
        names = ", ".join(offered) if offered else "none"
        raise Misfit(f"tool_use names {name!r}, which the request does not offer (tools offered: {names})")
    schema = offered[name].get("input_schema") or {"type": "object"}
    import jsonschema  # type: ignore[import-untyped]

    try:
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(call["input"]), key=lambda e: list(e.absolute_path))
    except jsonschema.SchemaError:
        return  # the request's schema is the client's business; validation of the request judged it
    if errors:
        e = errors[0]
        at = "input" + "".join(f".{p}" for p in e.absolute_path)
        raise Misfit(f"tool_use {name}: {at} does not validate against the tool's input_schema: {e.message}")


def _check_output_format(blocks: list[dict[str, Any]], valid: Any) -> None:
    """With ``output_config.format`` (structured outputs) a text answer is JSON valid for the schema."""
    fmt = getattr(valid, "output_format", None)
    texts = [b["text"] for b in blocks if b["type"] == "text"]
    if not isinstance(fmt, dict) or not texts or any(b["type"] == "tool_use" for b in blocks):
        return
    import json

    import jsonschema

    try:
        value = json.loads("".join(texts))
    except ValueError:
        raise Misfit("the request asks for structured output (output_config.format): the text must be JSON (json=... scripts it)") from None
    try:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(fmt.get("schema") or {}).iter_errors(value))
    except jsonschema.SchemaError:
        return
    if error is not None:
        at = "".join(f".{p}" for p in error.absolute_path) or " (the root)"
        raise Misfit(f"the text does not validate against the request's output_config.format schema at{at}: {error.message}")


def _check_calls(calls: list[dict[str, Any]], first: str | None, valid: Any) -> None:
    offered = {t["name"]: t for t in valid.tools or [] if t.get("type") in (None, "custom") and "name" in t}
    choice = valid.tool_choice or {"type": "auto"}
    ctype = choice.get("type", "auto")
    if ctype in ("any", "tool") and calls and first != "tool_use":
        raise Misfit(f'with tool_choice {{"type": "{ctype}"}} the API prefills the tool call: the answer opens with the tool_use block (drop text=)')
    if calls and ctype == "none":
        raise Misfit('the answer calls a tool but the request says tool_choice {"type": "none"}')
    if ctype == "tool" and [c["name"] for c in calls][:1] != [choice.get("name")]:
        raise Misfit(f"the request forces tool_choice {choice.get('name')!r}; the answer must call it (tool_use={{\"name\": {choice.get('name')!r}, ...}})")
    if ctype == "any" and not calls:
        raise Misfit('the request says tool_choice {"type": "any"}: the answer must call a tool')
    if len(calls) > 1 and choice.get("disable_parallel_tool_use"):
        raise Misfit(f"the answer calls {len(calls)} tools but the request sets disable_parallel_tool_use")
    for call in calls:
        _check_call(call, valid, offered)


def _cut(text: str, valid: Any, room: int) -> tuple[str, str | None, str | None]:
    """(text, stop_reason, stop_sequence) after stop sequences and max_tokens, as the model would stop."""
    hits = [(text.find(s), s) for s in valid.stop_sequences or [] if s and s in text]
    if hits:
        pos, seq = min(hits)
        return text[:pos], "stop_sequence", seq
    if count_text(text) > room:
        return text[: max(0, room) * 4], "max_tokens", None
    return text, None, None


def build_message(reply: Reply, ex: Any, app: Any, seed: bytes) -> dict[str, Any]:
    """The message ``reply`` answers ``ex`` with (Misfit when it cannot)."""
    valid = ex.valid
    thinking = valid.thinking or {}
    thinking_on = thinking.get("type") in ("enabled", "adaptive")
    max_tokens = valid.max_tokens if valid.max_tokens is not None else 4096
    spec = reply.message or {}
    blocks: list[dict[str, Any]]
    if reply.message is not None:
        blocks = [dict(b) for b in spec.get("content", [])]
    else:
        blocks = []
        if reply.thinking is not None:
            blocks.append({"type": "thinking", "thinking": reply.thinking})
        if reply.text is not None:
            blocks.append({"type": "text", "text": reply.text})
        blocks.extend({"type": "tool_use", **c} for c in reply.tool_use or [])
    has_thinking = any(b["type"] in ("thinking", "redacted_thinking") for b in blocks)
    if has_thinking and not thinking_on:
        raise Misfit('the answer has a thinking block but the request does not enable thinking (thinking: {"type": "enabled", ...})')
    prefill = bool(valid.messages) and valid.messages[-1].get("role") == "assistant"
    if thinking_on and not has_thinking and not prefill:
        # The real API starts every answer with thinking when it is on: so does a scripted one.
        blocks.insert(0, {"type": "thinking", "thinking": "The answer is scripted by the test."})
    calls = [b for b in blocks if b["type"] == "tool_use"]
    first = next((b["type"] for b in blocks if b["type"] not in ("thinking", "redacted_thinking")), None)
    _check_calls(calls, first, valid)
    _check_output_format(blocks, valid)

    content: list[dict[str, Any]] = []
    out_tokens = 0
    stop_reason: str | None = None
    stop_sequence: str | None = None
    n_call = 0
    for b in blocks:
        kind = b["type"]
        if kind == "thinking":
            if b.get("signature"):
                app.signer.remember(b["signature"], b["thinking"])  # a recorded real one: accepted back
                content.append(b)
            else:
                content.append(thinking_block(app.signer, b["thinking"], thinking))
            out_tokens += count_text(b["thinking"])
        elif kind == "redacted_thinking":
            if isinstance(b.get("data"), str):
                app.signer.remember(b["data"], "")
            content.append(b)
        elif kind == "text":
            text, stop_reason, stop_sequence = _cut(b["text"], valid, max_tokens - out_tokens)
            if text:
                content.append({**b, "text": text})
                out_tokens += count_text(text)
            if stop_reason is not None:
                break  # the model stopped here: nothing after it is sent
        elif kind == "tool_use":
            cost = tool_use_tokens(b["name"], b["input"])
            if out_tokens + cost > max_tokens:
                stop_reason = "max_tokens"
                break
            content.append({"type": "tool_use", "id": b.get("id") or tool_use_id(seed, n_call), "name": b["name"], "input": b["input"]})
            n_call += 1
            out_tokens += cost
        else:  # server tool blocks and the like: sent as given
            content.append(b)
    if stop_reason is None:
        stop_reason = spec.get("stop_reason") or reply.stop_reason or ("tool_use" if n_call else "end_turn")
    usage = usage_for(valid, out_tokens, app.prompt_cache)
    usage.update(spec.get("usage") or {})
    usage.update(reply.usage or {})
    message = {
        "id": spec.get("id") or message_id(seed),
        "type": "message",
        "role": "assistant",
        "model": spec.get("model") or valid.model_id,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence if stop_sequence is not None else spec.get("stop_sequence"),
        "usage": usage,
    }
    if spec.get("container") is not None:
        message["container"] = spec["container"]
    return message
