"""Shared pieces of the framework suite: the schema, the tool, what a flow must show."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from pydantic import BaseModel

from mockclaude import MockClaude, faults

MODEL = "claude-sonnet-4-6"
KEY = "sk-ant-test-key"
# Long enough to be worth caching; the double caches any length by default (see the README).
LONG_SYSTEM = "You are a careful assistant who answers briefly. " * 40


class City(BaseModel):
    """The structured output every framework is asked for (a nested model: Pydantic emits $defs)."""

    name: str
    population: int
    landmarks: list[Landmark]


class Landmark(BaseModel):
    title: str
    year_built: int | None = None


City.model_rebuild()


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny, 21 C in {city}"


def statuses(mock: MockClaude, path: str = "/v1/messages") -> list[int | None]:
    return [e.status for e in mock.requests if e.path == path]


def bodies(mock: MockClaude, path: str = "/v1/messages") -> list[dict[str, Any]]:
    return [e.body for e in mock.requests if e.path == path]


def rate_limit_once(mock: MockClaude) -> None:
    """The next request gets a 429 with a short retry-after; the one after it goes through."""
    mock.add_fault(faults.rate_limited(retry_after_ms=20, times=1))


def assert_retried_after_429(mock: MockClaude) -> None:
    assert statuses(mock)[:2] == [429, 200], statuses(mock)


def assert_city_json(text: str) -> None:
    jsonschema.validate(json.loads(text), City.model_json_schema())


def assert_tool_loop(mock: MockClaude) -> None:
    """Two requests: the first answered with a tool_use, the second sends its result back."""
    sent = bodies(mock)
    assert len(sent) >= 2, sent
    last_user = sent[-1]["messages"][-1]
    results = [b for b in last_user["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
    assert results, last_user
    assert all(s == 200 for s in statuses(mock)), statuses(mock)


def assert_thinking_round_trip(mock: MockClaude) -> None:
    """The turn that carries the tool result passes the signed thinking block back, first."""
    sent = bodies(mock)
    assert sent and sent[-1].get("thinking"), sent
    assistant = [m for m in sent[-1]["messages"] if m["role"] == "assistant"][-1]
    assert assistant["content"][0]["type"] == "thinking" and assistant["content"][0]["signature"]
    assert all(s == 200 for s in statuses(mock)), statuses(mock)


def assert_cache_read(mock: MockClaude) -> None:
    sent = bodies(mock)
    assert len(sent) == 2 and "cache_control" in json.dumps(sent[0]), sent
