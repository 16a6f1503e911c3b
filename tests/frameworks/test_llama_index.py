"""llama-index (llama-index-llms-anthropic) against the double: its Anthropic LLM's public API.

Finding: llama-index-llms-anthropic 0.12.3 cannot send any request with anthropic 2.14. It builds
every message as ``anthropic.types.MessageParam(role=..., content=...)``; in SDK 2.14
``MessageParam`` is a ``Union`` of the user, assistant and (new) system message types, and calling
a ``Union`` raises ``TypeError: Cannot instantiate typing.Union`` before the request is made. Each
flow below is the ordinary one and is expected to fail with exactly that TypeError (strict: when a
fixed release is pinned, they pass and the marks must go).
"""

from __future__ import annotations

from typing import Any

import pytest

from mockclaude import MockClaude

from .support import KEY, LONG_SYSTEM, MODEL, City, assert_retried_after_429, get_weather, rate_limit_once

pytestmark = pytest.mark.xfail(
    strict=True, raises=TypeError,
    reason="llama-index-llms-anthropic 0.12.3 calls anthropic.types.MessageParam(...), a Union in SDK 2.14",
)


def _llm(mock: MockClaude, **kw: Any) -> Any:
    from llama_index.llms.anthropic import Anthropic

    kw.setdefault("max_tokens", 1024)
    return Anthropic(model=MODEL, base_url=mock.url, api_key=KEY, max_retries=kw.pop("max_retries", 0), **kw)


def _user(text: str) -> Any:
    from llama_index.core.llms import ChatMessage

    return ChatMessage(role="user", content=text)


def _tool_loop(llm: Any, question: str) -> Any:
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    tool = FunctionTool.from_defaults(fn=get_weather)
    first = llm.chat_with_tools([tool], user_msg=question)
    calls = llm.get_tool_calls_from_response(first, error_on_no_tool_call=True)
    history = [_user(question), first.message]
    history += [ChatMessage(role="tool", content=get_weather(**c.tool_kwargs), additional_kwargs={"tool_call_id": c.tool_id})
                for c in calls]
    return llm.chat_with_tools([tool], chat_history=history)


def test_chat(mock: MockClaude) -> None:
    assert "Hello" in _llm(mock).chat([_user("Hello from llama-index")]).message.content


def test_streaming(mock: MockClaude) -> None:
    assert "Stream" in "".join(c.delta or "" for c in _llm(mock).stream_chat([_user("Stream this")]))


def test_tool_loop(mock: MockClaude) -> None:
    assert "Sunny" in _tool_loop(_llm(mock), "Weather in Paris? Use get_weather.").message.content


def test_thinking_tool_round_trip(mock: MockClaude) -> None:
    llm = _llm(mock, max_tokens=4096, thinking_dict={"type": "enabled", "budget_tokens": 2048})
    assert "Sunny" in _tool_loop(llm, "Weather in Rome? Use get_weather.").message.content


def test_prompt_caching(mock: MockClaude) -> None:
    from llama_index.core.base.llms.types import CacheControl, CachePoint, ChatMessage, TextBlock

    system = ChatMessage(role="system", blocks=[TextBlock(text=LONG_SYSTEM),
                                                CachePoint(cache_control=CacheControl(type="ephemeral"))])
    for _ in range(2):
        _llm(mock).chat([system, _user("hi")])
    assert mock.requests[-1].body["system"]


def test_native_structured_output(mock: MockClaude) -> None:
    from llama_index.core.prompts import PromptTemplate

    assert isinstance(_llm(mock).structured_predict(City, PromptTemplate("Tell me about {c}"), c="Paris"), City)


def test_429_retry(mock: MockClaude) -> None:
    rate_limit_once(mock)
    assert _llm(mock, max_retries=2).chat([_user("Retry me")]).message.content
    assert_retried_after_429(mock)
