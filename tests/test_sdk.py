"""The official Python SDK against a real `mockclaude` server on loopback."""

from __future__ import annotations

import asyncio
import copy

import anthropic
import jsonschema
import pytest

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"  # current (the SDK warns on deprecated ids)

WEATHER = {
    "name": "get_weather",
    "description": "Get current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["city"],
    },
}
CALC = {
    "name": "calculate",
    "description": "Evaluate a math expression.",
    "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
}


def test_create_answers_with_text_that_depends_on_the_request(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        system="You are a data science tutor.",
        messages=[{"role": "user", "content": "What is gradient descent in one sentence?"}],
    )
    assert msg.type == "message" and msg.role == "assistant" and msg.model == MODEL
    assert msg.id.startswith("msg_")
    assert msg.stop_reason == "end_turn"
    assert "What is gradient descent in one sentence?" in msg.content[0].text
    assert msg.usage.input_tokens > 0 and msg.usage.output_tokens > 0


def test_same_request_same_answer(client: anthropic.Anthropic) -> None:
    kwargs = dict(model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "Say something."}])
    first = client.messages.create(**kwargs)  # type: ignore[arg-type]
    second = client.messages.create(**kwargs)  # type: ignore[arg-type]
    assert first.model_dump() == second.model_dump()
    other = client.messages.create(**{**kwargs, "messages": [{"role": "user", "content": "Say more."}]})  # type: ignore[arg-type]
    assert other.content[0].text != first.content[0].text


def test_stream_accumulates_to_the_same_message(client: anthropic.Anthropic) -> None:
    kwargs = dict(model=MODEL, max_tokens=300, messages=[{"role": "user", "content": "Stream me a reply."}])
    created = client.messages.create(**kwargs)  # type: ignore[arg-type]
    with client.messages.stream(**kwargs) as stream:  # type: ignore[arg-type]
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.model_dump() == created.model_dump()
    assert text == created.content[0].text


def test_max_tokens_cuts_the_answer(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "Tell me a long story."}])
    assert msg.stop_reason == "max_tokens"
    assert msg.usage.output_tokens <= 5
    assert len(msg.content[0].text) <= 20


def test_stop_sequence(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model=MODEL,
        max_tokens=500,
        stop_sequences=["STOP-HERE"],
        messages=[{"role": "user", "content": "Repeat: alpha STOP-HERE beta"}],
    )
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "STOP-HERE"
    assert "STOP-HERE" not in msg.content[0].text and "beta" not in msg.content[0].text


def test_tool_use_input_validates_against_schema(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model=MODEL, max_tokens=1024, tools=[WEATHER], messages=[{"role": "user", "content": "Weather in Paris?"}]
    )
    assert msg.stop_reason == "tool_use"
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(uses) == 1 and uses[0].name == "get_weather" and uses[0].id.startswith("toolu_")
    jsonschema.validate(uses[0].input, WEATHER["input_schema"])


def test_parallel_tools_when_the_user_names_several(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": "Use get_weather and calculate please."}]
    msg = client.messages.create(model=MODEL, max_tokens=1024, tools=[WEATHER, CALC], messages=messages)
    assert [b.name for b in msg.content if b.type == "tool_use"] == ["get_weather", "calculate"]
    single = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        tools=[WEATHER, CALC],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        messages=messages,
    )
    assert [b.name for b in single.content if b.type == "tool_use"] == ["get_weather"]


def test_forced_tool_and_tool_choice_none(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    forced = client.messages.create(
        model=MODEL, max_tokens=1024, tools=[WEATHER, CALC], tool_choice={"type": "tool", "name": "calculate"},
        messages=messages,
    )
    assert [b.name for b in forced.content if b.type == "tool_use"] == ["calculate"]
    none = client.messages.create(
        model=MODEL, max_tokens=1024, tools=[WEATHER], tool_choice={"type": "none"}, messages=messages
    )
    assert none.stop_reason == "end_turn" and all(b.type == "text" for b in none.content)


def _as_param(block: object) -> dict:
    return block.model_dump(exclude_none=True)  # type: ignore[attr-defined]


def test_tool_loop_with_thinking(client: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    messages: list[dict] = [{"role": "user", "content": "What's the weather in Tokyo?"}]
    first = client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER], messages=messages)
    assert next(b.type for b in first.content) == "thinking"
    assert first.content[0].signature
    tool_use = next(b for b in first.content if b.type == "tool_use")
    messages += [
        {"role": "assistant", "content": [_as_param(b) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "22C and sunny"}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER], messages=messages)
    assert second.stop_reason == "end_turn"
    assert "22C and sunny" in next(b for b in second.content if b.type == "text").text

    tampered = copy.deepcopy(messages)
    tampered[1]["content"][0]["thinking"] += " (edited)"
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER], messages=tampered)
    assert "cannot be modified" in str(info.value)

    forged = copy.deepcopy(messages)
    forged[1]["content"][0]["signature"] = "abc..."
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER], messages=forged)
    assert "Invalid `signature` in `thinking` block" in str(info.value)

    stripped = copy.deepcopy(messages)
    del stripped[1]["content"][0]
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[WEATHER], messages=stripped)
    assert "Expected `thinking` or `redacted_thinking`" in str(info.value)


def test_streamed_thinking_tool_loop(client: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    messages: list[dict] = [{"role": "user", "content": "What's the weather in Oslo?"}]
    with client.messages.stream(
        model=MODEL, max_tokens=2048, thinking=thinking, tools=[WEATHER], messages=messages
    ) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "text", "tool_use"]
    tool_use = first.content[2]
    messages += [
        {"role": "assistant", "content": [_as_param(b) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "cold"}]},
    ]
    with client.messages.stream(
        model=MODEL, max_tokens=2048, thinking=thinking, tools=[WEATHER], messages=messages
    ) as stream:
        second = stream.get_final_message()
    assert second.stop_reason == "end_turn"


def test_thinking_display_omitted(client: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 5000, "display": "omitted"}
    messages: list[dict] = [{"role": "user", "content": "What is 27 * 453?"}]
    first = client.messages.create(model=MODEL, max_tokens=8000, thinking=thinking, messages=messages)  # type: ignore[arg-type]
    assert first.content[0].type == "thinking"
    assert first.content[0].thinking == "" and first.content[0].signature
    messages += [
        {"role": "assistant", "content": [_as_param(b) for b in first.content]},
        {"role": "user", "content": "And 27 * 454?"},
    ]
    second = client.messages.create(model=MODEL, max_tokens=8000, thinking=thinking, messages=messages)  # type: ignore[arg-type]
    assert second.stop_reason == "end_turn"


def test_prompt_cache_accounting(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "You are a Python tutor. " * 40, "cache_control": {"type": "ephemeral"}}]
    first = client.messages.create(
        model=MODEL, max_tokens=100, system=system, messages=[{"role": "user", "content": "How do I reverse a list?"}]
    )
    assert first.usage.cache_creation_input_tokens and first.usage.cache_creation_input_tokens > 0
    assert first.usage.cache_read_input_tokens == 0
    second = client.messages.create(
        model=MODEL, max_tokens=100, system=system, messages=[{"role": "user", "content": "And sort it?"}]
    )
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0


def test_count_tokens(client: anthropic.Anthropic) -> None:
    small = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    big = client.messages.count_tokens(
        model=MODEL, tools=[WEATHER], messages=[{"role": "user", "content": "Hi " * 500}]
    )
    assert 0 < small.input_tokens < big.input_tokens


def test_models_list_and_retrieve(client: anthropic.Anthropic) -> None:
    page = client.models.list(limit=5)
    ids = [m.id for m in page.data]
    assert len(ids) == 5
    everything = [m.id for m in client.models.list()]
    assert MODEL in everything and len(everything) >= len(ids)
    model = client.models.retrieve(MODEL)
    assert model.id == MODEL and model.display_name
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nonexistent-0")


def test_sdk_exception_classes(mock: MockClaude) -> None:
    with MockClaude(api_key="sk-right", strict_models=True) as strict:
        wrong = anthropic.Anthropic(base_url=strict.url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as auth:
            wrong.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
        assert auth.value.status_code == 401 and auth.value.request_id
        right = anthropic.Anthropic(base_url=strict.url, api_key="sk-right", max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as nf:
            right.messages.create(model="claude-sonnet-9-9", max_tokens=10, messages=[{"role": "user", "content": "x"}])
        assert "model: claude-sonnet-9-9" in str(nf.value)
        with pytest.raises(anthropic.BadRequestError) as bad:
            right.messages.create(model=MODEL, max_tokens=10, messages=[])
        assert bad.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]


def test_unknown_plausible_model_is_accepted_by_default(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(
        model="claude-sonnet-4-5-20250514", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.model == "claude-sonnet-4-5-20250514"


def test_async_client_streams(mock: MockClaude) -> None:
    async def run() -> str:
        client = anthropic.AsyncAnthropic(base_url=mock.url, api_key="k", max_retries=0)
        async with client.messages.stream(
            model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "async hello"}]
        ) as stream:
            final = await stream.get_final_message()
        await client.close()
        return final.content[0].text

    assert "async hello" in asyncio.run(run())
