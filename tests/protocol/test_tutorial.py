"""Every request of the seed tutorial that the real API accepts passes; its listed mistakes get the real errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import Headers

from mockclaude.errors import ApiError
from mockclaude.protocol import check_headers

from .helpers import TUTORIAL_MODEL, message, ok

M = TUTORIAL_MODEL
HEADERS = {"x-api-key": "sk-ant-your-key-here", "anthropic-version": "2023-06-01", "content-type": "application/json"}

weather_tool = {
    "name": "get_weather",
    "description": "Get current weather for a city. Use when the user asks about weather.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. 'Tokyo'"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature units."},
        },
        "required": ["city"],
    },
}
temp_tool = {
    "name": "convert_temp",
    "description": "Convert between Celsius and Fahrenheit.",
    "input_schema": {
        "type": "object",
        "properties": {"value": {"type": "number"}, "direction": {"type": "string", "enum": ["c_to_f", "f_to_c"]}},
        "required": ["value", "direction"],
    },
}
bmi_tool = {
    "name": "calc_bmi",
    "description": "Calculate BMI from height (m) and weight (kg).",
    "input_schema": {"type": "object", "properties": {"height_m": {"type": "number"}, "weight_kg": {"type": "number"}},
                     "required": ["height_m", "weight_kg"]},
}
calculator_tool = {
    "name": "calculate",
    "description": "Evaluate a math expression.",
    "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
}
lookup_tool = {
    "name": "lookup_concept",
    "description": "Look up a data science concept.",
    "input_schema": {"type": "object", "properties": {"concept": {"type": "string"}}, "required": ["concept"]},
}

ACCEPTED: list[dict[str, Any]] = [
    {"model": M, "max_tokens": 1024, "system": "You are a data science tutor. Keep answers under 3 sentences.",
     "messages": [{"role": "user", "content": "What is gradient descent in one sentence?"}]},
    {"model": M, "max_tokens": 1024, "system": "You are a data science tutor.", "messages": [
        {"role": "user", "content": "What is overfitting?"},
        {"role": "assistant", "content": "Overfitting is when a model learns noise instead of the real pattern."},
        {"role": "user", "content": "How do I detect it?"}]},
    {"model": M, "max_tokens": 1024, "stream": True,
     "messages": [{"role": "user", "content": "Explain backpropagation in 2 sentences."}]},
    {"model": M, "max_tokens": 1024, "tools": [weather_tool], "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "I'll check the weather in Paris."},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lhm", "name": "get_weather",
             "input": {"city": "Paris", "units": "celsius"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lhm",
                                      "content": '{"temp": 22, "condition": "Partly cloudy", "humidity": 65}'}]}]},
    {"model": M, "max_tokens": 1024, "tools": [temp_tool, bmi_tool],
     "messages": [{"role": "user", "content": "Convert 98.6F to Celsius"}]},
    {"model": M, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 5000},
     "messages": [{"role": "user", "content": "What is 847 * 293? Show your work."}]},
    {"model": M, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 5000, "display": "omitted"},
     "messages": [{"role": "user", "content": "What is 27 * 453?"}]},
    {"model": M, "max_tokens": 1024, "system": [{"type": "text", "text": "You are a Python tutor. Use f-strings. Follow PEP 8.",
                                                  "cache_control": {"type": "ephemeral"}}],
     "messages": [{"role": "user", "content": "How do I reverse a list?"}]},
    {"model": M, "max_tokens": 1024, "tools": [calculator_tool, lookup_tool], "messages": [
        {"role": "user", "content": "847 * 293?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me calculate that."},
                                          {"type": "tool_use", "id": "toolu_001", "name": "calculate",
                                           "input": {"expression": "847 * 293"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_001", "content": '{"result": 248171}'}]}]},
    # the practice exercise's loop: ids like "t_0"
    {"model": M, "max_tokens": 1024, "tools": [calculator_tool, lookup_tool], "messages": [
        {"role": "user", "content": "42 * 7?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t_0", "name": "calculate", "input": {"expression": "42*7"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t_0", "content": '{"result": 294}'}]}]},
]


@pytest.mark.parametrize("body", ACCEPTED, ids=range(len(ACCEPTED)))
def test_tutorial_request_accepted(body: dict[str, Any]) -> None:
    assert check_headers(Headers(HEADERS)).version == "2023-06-01"
    v = ok(body)
    assert v.model_id == M and v.model is None


def test_mistake_1_missing_version() -> None:
    with pytest.raises(ApiError) as info:
        check_headers(Headers({"x-api-key": "key", "content-type": "application/json"}))
    assert (info.value.status, info.value.message) == (400, "anthropic-version: header is required")


def test_mistake_2_system_prompt_in_messages() -> None:
    body = {"model": M, "max_tokens": 1024,
            "messages": [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "Hi!"}]}
    assert message(body).startswith('messages: Unexpected role "system".')


def test_mistake_3_wrong_tool_use_id() -> None:
    body = {"model": M, "max_tokens": 1024, "tools": [weather_tool], "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_abc123", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_WRONG", "content": "22C"}]}]}
    assert message(body) == (
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_WRONG. Each "
        "`tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


def test_thinking_tool_loop_with_the_tutorials_signature_is_refused() -> None:
    body = {"model": M, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 5000}, "tools": [weather_tool],
            "messages": [
                {"role": "user", "content": "Weather in Tokyo?"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "User wants weather. I'll use get_weather.", "signature": "abc..."},
                    {"type": "tool_use", "id": "toolu_t01", "name": "get_weather", "input": {"city": "Tokyo"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_t01", "content": "18C"}]}]}
    assert message(body) == "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_budget_not_below_max_tokens() -> None:
    body = {"model": M, "max_tokens": 5000, "thinking": {"type": "enabled", "budget_tokens": 5000},
            "messages": [{"role": "user", "content": "x"}]}
    assert message(body) == "`max_tokens` must be greater than `thinking.budget_tokens`"
