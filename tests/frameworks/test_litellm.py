"""LiteLLM against the double: litellm.completion with the anthropic/ provider, kept offline.

LITELLM_LOCAL_MODEL_COST_MAP and LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS (set in conftest before the
import) keep LiteLLM on its bundled data; the conftest's guard fails the module if it still tries
the network.
"""

from __future__ import annotations

import json
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
    bodies,
    get_weather,
    rate_limit_once,
)

# LiteLLM's own TypedDicts use `ReadOnly`, which Pydantic warns about when it first builds them.
pytestmark = pytest.mark.filterwarnings(r"ignore:Item '\w+' on TypedDict class '\w+' is using the `ReadOnly`:UserWarning")

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def _complete(mock: MockClaude, messages: list[dict[str, Any]], **kw: Any) -> Any:
    import litellm

    return litellm.completion(model=f"anthropic/{MODEL}", api_base=mock.url, api_key=KEY, messages=messages, **kw)


def _tool_loop(mock: MockClaude, question: str, **kw: Any) -> Any:
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    first = _complete(mock, messages, tools=TOOLS, **kw).choices[0].message
    assert first.tool_calls and first.tool_calls[0].function.name == "get_weather"
    messages.append(first.model_dump(exclude_none=True))
    for call in first.tool_calls:
        content = get_weather(**json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
    return _complete(mock, messages, tools=TOOLS, **kw).choices[0].message


def test_chat_with_the_default_max_tokens(mock: MockClaude) -> None:
    answer = _complete(mock, [{"role": "user", "content": "Hello from LiteLLM"}])
    assert "Hello from LiteLLM" in answer.choices[0].message.content
    assert bodies(mock)[0]["max_tokens"] == 128_000  # LiteLLM's default: the model's maximum


def test_streaming(mock: MockClaude) -> None:
    chunks = list(_complete(mock, [{"role": "user", "content": "Stream this please"}], stream=True))
    assert "Stream this please" in "".join(c.choices[0].delta.content or "" for c in chunks)


def test_tool_loop(mock: MockClaude) -> None:
    assert "Sunny" in _tool_loop(mock, "Weather in Paris? Use get_weather.").content
    assert_tool_loop(mock)


def test_thinking_tool_round_trip(mock: MockClaude) -> None:
    final = _tool_loop(mock, "Weather in Rome? Use get_weather.",
                       thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=4096)
    assert "Sunny" in final.content and final.thinking_blocks
    assert_thinking_round_trip(mock)


def test_prompt_caching(mock: MockClaude) -> None:
    system = {"role": "system", "content": [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]}
    first = _complete(mock, [system, {"role": "user", "content": "hi"}]).usage
    second = _complete(mock, [system, {"role": "user", "content": "hi again"}]).usage
    assert first.cache_creation_input_tokens > 0 and first.prompt_tokens_details.cached_tokens == 0
    assert second.prompt_tokens_details.cached_tokens == first.cache_creation_input_tokens
    assert_cache_read(mock)


def test_native_structured_output_uses_the_beta_form(mock: MockClaude) -> None:
    answer = _complete(mock, [{"role": "user", "content": "Tell me about Paris"}], response_format=City)
    text = answer.choices[0].message.content
    assert_city_json(text)
    City.model_validate_json(text)
    sent = mock.requests[0]
    assert "output_format" in sent.body and "structured-outputs-2025-11-13" in sent.headers["anthropic-beta"]


def test_429_retry(mock: MockClaude) -> None:
    rate_limit_once(mock)
    answer = _complete(mock, [{"role": "user", "content": "Retry me"}], num_retries=2)
    assert answer.choices[0].message.content
    assert_retried_after_429(mock)
