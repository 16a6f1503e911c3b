"""Request bodies the benchmarks send: a typical 10-turn conversation with 3 tools."""

from __future__ import annotations

from typing import Any

TOOLS: list[dict[str, Any]] = [
    {
        "name": "get_weather",
        "description": "Get current weather for a city. Use when the user asks about weather.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. 'Tokyo'"},
                "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
    {
        "name": "calculate",
        "description": "Evaluate a math expression.",
        "input_schema": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "Python math, e.g. '2**10'"}},
            "required": ["expression"],
        },
    },
    {
        "name": "lookup_concept",
        "description": "Look up a data science concept.",
        "input_schema": {
            "type": "object",
            "properties": {"concept": {"type": "string", "description": "Concept name"}},
            "required": ["concept"],
        },
    },
]


def typical_request(stream: bool = False) -> dict[str, Any]:
    """Ten turns: questions, answers, and two tool round trips; three tools offered."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What is overfitting?"},
        {"role": "assistant", "content": "Overfitting is when a model learns noise instead of the real pattern."},
        {"role": "user", "content": "What's the weather in Paris? I'm deciding whether to work outside."},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I'll check the weather in Paris."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lhm", "name": "get_weather",
                 "input": {"city": "Paris", "units": "celsius"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lhm",
                 "content": '{"temp": 22, "condition": "Partly cloudy", "humidity": 65}'},
            ],
        },
        {"role": "assistant", "content": "It's 22 degrees and partly cloudy in Paris: a fine day to work outside."},
        {"role": "user", "content": "Great. Now compute 847 * 293 for my notes."},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me calculate that."},
                {"type": "tool_use", "id": "toolu_001", "name": "calculate", "input": {"expression": "847 * 293"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_001", "content": '{"result": 248171}'}]},
        {"role": "assistant", "content": "847 × 293 = 248,171."},
        {"role": "user", "content": "Thanks! Finally, what is a random forest, in one sentence?"},
    ]
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 1024,
        "system": "You are a data science tutor. Keep answers under 3 sentences.",
        "tools": TOOLS,
        "messages": messages,
    }
    if stream:
        body["stream"] = True
    return body
