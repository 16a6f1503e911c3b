"""Conformance adapter: ``langchain-anthropic``'s ``ChatAnthropic``, through LangChain's public API.

``create`` is ``invoke``; ``stream`` is ``stream`` with the chunks added up (``chunk + chunk``, as the
LangChain docs show); tools go through ``bind_tools``; the tool loop is the one its docs teach: append
the ``AIMessage``, then one ``ToolMessage`` per ``tool_calls`` entry (LangChain folds them into one user
turn). Retries are the underlying SDK's, given ``max_retries``.

The answer is mapped back to the API's Message from what LangChain exposes: ``content`` blocks (tool
inputs from ``tool_calls``, the library's parsed form), ``response_metadata`` (id, model, stop reason,
raw usage where LangChain keeps them) and otherwise ``usage_metadata``. A field LangChain does not
keep is left out, so the suite reports it as lost.
"""

from __future__ import annotations

import json
import os
import sys
from functools import reduce
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from adapter_protocol import Answer, Case, echo_result, error_answer, message_answer, serve
from anthropic_sdk import describe_error
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

# Request fields with a ChatAnthropic constructor argument; the rest goes through model_kwargs.
_FIELDS = {"model", "max_tokens", "temperature", "top_k", "top_p", "stop_sequences", "thinking", "metadata"}
_OMIT = {"messages", "system", "tools", "tool_choice", "stream"}


def _history(request: dict[str, Any]) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    if "system" in request:
        history.append(SystemMessage(content=request["system"]))
    for turn in request["messages"]:
        content = turn["content"]
        if turn["role"] == "assistant":
            history.append(AIMessage(content=content))
        elif turn["role"] == "system":
            history.append(SystemMessage(content=content))
        elif isinstance(content, list) and content and all(b.get("type") == "tool_result" for b in content):
            history.extend(
                ToolMessage(content=b.get("content", ""), tool_call_id=b["tool_use_id"]) for b in content
            )
        else:
            history.append(HumanMessage(content=content))
    return history


def _model(case: Case) -> Any:
    request: dict[str, Any] = case["request"]
    kwargs = {k: v for k, v in request.items() if k in _FIELDS}
    extra = {k: v for k, v in request.items() if k not in _FIELDS and k not in _OMIT}
    if "metadata" in kwargs:
        extra["metadata"] = kwargs.pop("metadata")
    llm = ChatAnthropic(
        base_url=case["base_url"],
        api_key=case["api_key"],
        max_retries=int(case.get("max_retries", 2)),
        model_kwargs=extra,
        **kwargs,
    )
    if "tools" in request:
        return llm.bind_tools(request["tools"], tool_choice=request.get("tool_choice"))
    return llm


def _call(llm: Any, history: list[BaseMessage], streamed: bool) -> AIMessage:
    if not streamed:
        answer: AIMessage = llm.invoke(history)
        return answer
    return reduce(lambda a, b: a + b, llm.stream(history))


def _usage(ai: AIMessage) -> dict[str, Any] | None:
    raw = ai.response_metadata.get("usage")
    if isinstance(raw, dict):
        return raw
    meta = ai.usage_metadata
    if meta is None:
        return None
    # LangChain's input_tokens include the cache reads and writes (its documented convention).
    details = dict(meta.get("input_token_details") or {})
    cache_read = int(details.get("cache_read") or 0)
    cache_creation = int(details.get("cache_creation") or 0)
    return {
        "input_tokens": meta["input_tokens"] - cache_read - cache_creation,
        "output_tokens": meta["output_tokens"],
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_creation,
    }


def to_message(ai: AIMessage) -> dict[str, Any]:
    """The API Message that a LangChain ``AIMessage`` stands for, with only what LangChain kept."""
    meta = ai.response_metadata
    args = {call["id"]: call["args"] for call in ai.tool_calls}
    blocks: list[dict[str, Any]] = []
    if isinstance(ai.content, str):
        if ai.content:
            blocks.append({"type": "text", "text": ai.content})
    else:
        for part in ai.content:
            if isinstance(part, str):
                blocks.append({"type": "text", "text": part})
                continue
            block = {k: v for k, v in part.items() if k not in ("index", "partial_json")}
            if block.get("type") == "tool_use" and block.get("id") in args:
                block["input"] = args[block["id"]]
            elif part.get("partial_json") and not part.get("input"):
                # A streamed server_tool_use: LangChain keeps its input as the joined JSON text only.
                block["input"] = json.loads(part["partial_json"])
            blocks.append(block)
    message: dict[str, Any] = {"type": "message", "role": "assistant", "content": blocks}
    if isinstance(meta.get("id"), str):
        message["id"] = meta["id"]
    model = meta.get("model") or meta.get("model_name")
    if model:
        message["model"] = model
    for key in ("stop_reason", "stop_sequence"):
        if key in meta:
            message[key] = meta[key]
    usage = _usage(ai)
    if usage is not None:
        message["usage"] = usage
    return message


def handle(case: Case) -> Answer:
    """Run one case with ChatAnthropic."""
    request: dict[str, Any] = case["request"]
    llm = _model(case)
    history = _history(request)
    action = case["action"]
    if action in ("create", "stream"):
        return message_answer(to_message(_call(llm, history, streamed=action == "stream")))
    streamed = bool(request.get("stream"))
    max_rounds = int(case.get("max_rounds", 5))
    rounds = 0
    while True:
        ai = _call(llm, history, streamed)
        rounds += 1
        stop_reason = ai.response_metadata.get("stop_reason", "tool_use")
        if stop_reason != "tool_use" or not ai.tool_calls or rounds >= max_rounds:
            return message_answer(to_message(ai), rounds)
        history.append(ai)
        history.extend(ToolMessage(content=echo_result(c["args"]), tool_call_id=c["id"]) for c in ai.tool_calls)


if __name__ == "__main__":
    serve(handle, describe_error)

__all__ = ["describe_error", "error_answer", "handle", "to_message"]
