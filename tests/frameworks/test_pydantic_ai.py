"""pydantic-ai (pydantic-ai-slim[anthropic]) against the double: Agent and AnthropicModel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

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


def _run(mock: MockClaude, flow: Callable[[Any], Awaitable[Any]], *, max_retries: int = 0) -> Any:
    """Run ``flow(model)`` on a fresh event loop with a client that is closed afterwards."""
    from anthropic import AsyncAnthropic
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    async def main() -> Any:
        async with AsyncAnthropic(base_url=mock.url, api_key=KEY, max_retries=max_retries) as client:
            return await flow(AnthropicModel(MODEL, provider=AnthropicProvider(anthropic_client=client)))

    return asyncio.run(main())


def _weather_agent(model: Any) -> Any:
    from pydantic_ai import Agent

    agent = Agent(model)
    agent.tool_plain(get_weather)
    return agent


def test_chat_with_the_default_max_tokens(mock: MockClaude) -> None:
    from pydantic_ai import Agent

    result = _run(mock, lambda model: Agent(model).run("Hello from pydantic-ai"))
    assert "Hello from pydantic-ai" in result.output
    # pydantic-ai sends the model's maximum when max_tokens is unset: 128K for Sonnet 4.6.
    assert bodies(mock)[0]["max_tokens"] == 128_000


def test_streaming(mock: MockClaude) -> None:
    from pydantic_ai import Agent

    async def flow(model: Any) -> list[str]:
        async with Agent(model).run_stream("Stream this please") as stream:
            return [piece async for piece in stream.stream_text(delta=True)]

    pieces = _run(mock, flow)
    assert "Stream this please" in "".join(pieces)
    assert bodies(mock)[0]["stream"] is True


def test_tool_loop(mock: MockClaude) -> None:
    result = _run(mock, lambda model: _weather_agent(model).run("Weather in Paris? Use get_weather."))
    assert "Sunny" in result.output
    assert_tool_loop(mock)


def test_thinking_tool_round_trip(mock: MockClaude) -> None:
    from pydantic_ai.models.anthropic import AnthropicModelSettings

    settings = AnthropicModelSettings(anthropic_thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=8192)
    result = _run(mock, lambda model: _weather_agent(model).run("Weather in Rome? Use get_weather.",
                                                                 model_settings=settings))
    assert "Sunny" in result.output
    assert_thinking_round_trip(mock)


def test_prompt_caching(mock: MockClaude) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModelSettings

    settings = AnthropicModelSettings(anthropic_cache_instructions=True)

    async def flow(model: Any) -> list[Any]:
        agent = Agent(model, instructions=LONG_SYSTEM)
        return [(await agent.run(q, model_settings=settings)).usage for q in ("hi", "hi again")]

    first, second = _run(mock, flow)
    assert first.cache_write_tokens > 0 and first.cache_read_tokens == 0
    assert second.cache_read_tokens == first.cache_write_tokens
    assert_cache_read(mock)


def test_native_structured_output(mock: MockClaude) -> None:
    from pydantic_ai import Agent, NativeOutput

    result = _run(mock, lambda model: Agent(model, output_type=NativeOutput(City)).run("Tell me about Paris"))
    assert isinstance(result.output, City)
    assert "output_config" in bodies(mock)[0]
    assert_city_json(next(p.content for p in result.all_messages()[-1].parts if p.part_kind == "text"))


def test_default_output_with_thinking_on(mock: MockClaude) -> None:
    """With thinking on (forced tool choice refused), pydantic-ai's default output is native: output_config."""
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModelSettings

    settings = AnthropicModelSettings(anthropic_thinking={"type": "adaptive"}, max_tokens=8192)
    result = _run(mock, lambda model: Agent(model, output_type=City).run("Paris", model_settings=settings))
    assert isinstance(result.output, City)
    assert "output_config" in bodies(mock)[0] and "tool_choice" not in bodies(mock)[0]
    assert all(e.status == 200 for e in mock.requests)


def test_429_retry(mock: MockClaude) -> None:
    from pydantic_ai import Agent

    rate_limit_once(mock)
    assert _run(mock, lambda model: Agent(model).run("Retry me"), max_retries=2).output
    assert_retried_after_429(mock)
