"""LangChain (langchain-anthropic) against the double: ChatAnthropic's own public API."""

from __future__ import annotations

from typing import Any

import pytest

from mockclaude import MockClaude

from .support import (
    KEY,
    LONG_SYSTEM,
    MODEL,
    City,
    assert_cache_read,
    assert_city_json,
    assert_retried_after_429,
    assert_thinking_round_trip,
    assert_tool_loop,
    get_weather,
    rate_limit_once,
)


def _llm(mock: MockClaude, **kw: Any) -> Any:
    from langchain_anthropic import ChatAnthropic

    return ChatAnthropic(model=MODEL, base_url=mock.url, api_key=KEY, max_retries=kw.pop("max_retries", 0), **kw)


def _tool_loop(llm: Any, question: str) -> Any:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    weather = tool(get_weather)
    bound = llm.bind_tools([weather])
    messages: list[Any] = [HumanMessage(question)]
    ai = bound.invoke(messages)
    assert ai.tool_calls and ai.tool_calls[0]["name"] == "get_weather"
    messages += [ai, *(ToolMessage(weather.invoke(c["args"]), tool_call_id=c["id"]) for c in ai.tool_calls)]
    return bound.invoke(messages)


def test_chat(mock: MockClaude) -> None:
    answer = _llm(mock).invoke("Hello from LangChain")
    assert "Hello from LangChain" in answer.content and answer.usage_metadata["output_tokens"] > 0


def test_streaming(mock: MockClaude) -> None:
    chunks = list(_llm(mock).stream("Stream this please"))
    assert len(chunks) > 2 and "Stream this please" in "".join(str(c.content) for c in chunks)


def test_tool_loop(mock: MockClaude) -> None:
    final = _tool_loop(_llm(mock), "What is the weather in Paris? Use get_weather.")
    assert "Sunny" in str(final.content)
    assert_tool_loop(mock)


def test_thinking_tool_round_trip(mock: MockClaude) -> None:
    llm = _llm(mock, thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=4096)
    final = _tool_loop(llm, "Weather in Rome? Use get_weather.")
    assert next(b["type"] for b in final.content) == "thinking"
    assert_thinking_round_trip(mock)


def test_prompt_caching(mock: MockClaude) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    system = SystemMessage([{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}])
    first = _llm(mock).invoke([system, HumanMessage("hi")])
    second = _llm(mock).invoke([system, HumanMessage("hi again")])
    assert first.usage_metadata["input_token_details"]["cache_read"] == 0
    assert second.usage_metadata["input_token_details"]["cache_read"] > 0
    assert_cache_read(mock)


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_native_structured_output(mock: MockClaude, method: str) -> None:
    city = _llm(mock).with_structured_output(City, method=method, include_raw=True).invoke("Tell me about Paris")
    assert isinstance(city["parsed"], City), city
    if method == "json_schema":  # the answer's text is the JSON (output_config.format)
        assert "output_config" in mock.requests[-1].body
        assert_city_json(city["raw"].content if isinstance(city["raw"].content, str) else city["raw"].text)


def test_429_retry(mock: MockClaude) -> None:
    rate_limit_once(mock)
    assert _llm(mock, max_retries=2).invoke("Retry me").content
    assert_retried_after_429(mock)


def test_beta_fields_context_management_and_mcp_servers(mock: MockClaude) -> None:
    """ChatAnthropic's beta parameters go through client.beta with their flags; the double admits them."""
    llm = _llm(mock, betas=["context-management-2025-06-27"],
               context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
               mcp_servers=[{"type": "url", "url": "https://mcp.example.com/mcp", "name": "example"}])
    assert llm.invoke("Hello with betas").content
    sent = mock.requests[-1]
    assert sent.status == 200 and "context_management" in sent.body and "mcp_servers" in sent.body
    assert sent.headers["anthropic-beta"] == "context-management-2025-06-27,mcp-client-2025-11-20"
