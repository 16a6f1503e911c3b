"""The shipped conformance adapters against a real server: each speaks the JSON-lines protocol, maps its
library's answer back to the API's Message, runs the protocol's echo tool loop and reports errors.

One server and one process per adapter for the module. What a library is known to lose (the tutorial
approach's stream parser keeps only text, stop reason and output tokens; LangChain's stream has no
message id; …) is asserted as lost — an adapter must not invent what its library dropped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from mockclaude import MockClaude

from .driver import PYTHON_ADAPTERS, TYPESCRIPT_ADAPTER, AdapterProcess

MODEL = "claude-sonnet-4-6"
TOOLS = [
    {"name": "get_weather", "description": "Weather for a city.",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"name": "get_time", "description": "Time in a zone.",
     "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}},
]
# What each library is known not to keep from a stream (checked to be absent, not merely tolerated).
LOST_IN_STREAM = {"tutorial_requests": {"id", "model"}, "langchain_anthropic_chat": {"id"}}
NAMES = [*PYTHON_ADAPTERS, "typescript_sdk"]


@pytest.fixture(scope="module")
def server() -> Iterator[MockClaude]:
    with MockClaude() as mock:
        yield mock


@pytest.fixture(scope="module", params=NAMES)
def adapter(request: pytest.FixtureRequest) -> Iterator[tuple[str, AdapterProcess]]:
    name: str = request.param
    if name == "typescript_sdk" and not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed: the TypeScript SDK adapter cannot run")
    process = AdapterProcess(TYPESCRIPT_ADAPTER if name == "typescript_sdk" else PYTHON_ADAPTERS[name])
    yield name, process
    assert process.close() == 0, process.stderr()


@pytest.fixture
def mock(server: MockClaude) -> Iterator[MockClaude]:
    server.reset()
    server.clear_faults()
    yield server
    server.clear_faults()


def messages_requests(mock: MockClaude) -> list[Any]:
    return [entry for entry in mock.requests if entry.path == "/v1/messages"]


def body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 2000, "messages": [{"role": "user", "content": prompt}], **extra}


def text_of(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


def test_create_then_stream_report_the_same_message(adapter: tuple[str, AdapterProcess], mock: MockClaude) -> None:
    name, process = adapter
    made = process.run({"base_url": mock.url, "action": "create", "request": body("Hello adapter")})
    streamed = process.run({"base_url": mock.url, "action": "stream", "request": body("Hello adapter")})
    assert made["ok"] and streamed["ok"], (made, streamed, process.stderr())
    first, second = made["message"], streamed["message"]
    assert text_of(first).startswith("Mock answer to: Hello adapter")
    assert first["stop_reason"] == second["stop_reason"] == "end_turn"
    assert first["id"].startswith("msg_") and first["usage"]["output_tokens"] > 0
    # Same body (bar `stream`) -> same synthetic answer, whether the client streamed it or not.
    assert text_of(second) == text_of(first)
    assert second["usage"]["output_tokens"] == first["usage"]["output_tokens"]
    lost = LOST_IN_STREAM.get(name, set())
    for key in ("id", "model"):
        if key in lost:
            assert key not in second, f"{name} reports a {key} its library never read"
        else:
            assert second[key] == first[key]
    sent = [entry.body for entry in messages_requests(mock)]
    assert [bool(b.get("stream")) for b in sent] == [False, True]


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "sse"])
def test_tool_loop_echoes_every_call_in_one_user_turn(
    adapter: tuple[str, AdapterProcess], mock: MockClaude, streamed: bool
) -> None:
    name, process = adapter
    request = body("Use get_weather and get_time.", tools=TOOLS, thinking={"type": "enabled", "budget_tokens": 1024},
                   **({"stream": True} if streamed else {}))
    answer = process.run({"base_url": mock.url, "action": "tool_loop", "request": request, "max_rounds": 4})
    assert answer["ok"], (answer, process.stderr())
    sent = [entry.body for entry in messages_requests(mock)]
    if name == "tutorial_requests" and streamed:
        # The tutorial's parse_stream keeps only text: no tool_use block to answer, so the loop ends.
        assert answer["rounds"] == 1 and answer["message"]["stop_reason"] == "tool_use"
        assert not [b for b in answer["message"]["content"] if b["type"] == "tool_use"]
        return
    assert answer["rounds"] == 2 and len(sent) == 2
    assert answer["message"]["stop_reason"] == "end_turn"
    assistant, results = sent[1]["messages"][-2], sent[1]["messages"][-1]
    calls = [b for b in assistant["content"] if b["type"] == "tool_use"]
    assert {c["name"] for c in calls} == {"get_weather", "get_time"}
    # The thinking block went back first and signed (the double answers 400 to a changed signature).
    assert assistant["content"][0]["type"] == "thinking" and assistant["content"][0]["signature"]
    assert results["role"] == "user"
    assert [r["tool_use_id"] for r in results["content"]] == [c["id"] for c in calls]
    for result, call in zip(results["content"], calls, strict=True):
        content = result["content"]
        if isinstance(content, list):  # the API also takes one text block holding the string
            (block,) = content
            content = block["text"]
        assert json.loads(content) == call["input"]


def test_rate_limit_is_reported_with_its_status_and_type(
    adapter: tuple[str, AdapterProcess], mock: MockClaude
) -> None:
    _, process = adapter
    mock.add_fault("429:times=1")
    answer = process.run({"base_url": mock.url, "action": "create", "request": body("Hello"), "max_retries": 0})
    assert not answer["ok"]
    assert answer["error"]["status"] == 429 and answer["error"]["type"] == "rate_limit_error"
    assert answer["error"]["message"]
    assert len(messages_requests(mock)) == 1


def test_rate_limit_is_retried_when_retries_are_allowed(adapter: tuple[str, AdapterProcess], mock: MockClaude) -> None:
    _, process = adapter
    mock.add_fault("429:times=1:retry-after-ms=50")
    answer = process.run({"base_url": mock.url, "action": "create", "request": body("Hello"), "max_retries": 2})
    assert answer["ok"], (answer, process.stderr())
    assert [e.status for e in messages_requests(mock)] == [429, 200]


def test_error_event_mid_stream(adapter: tuple[str, AdapterProcess], mock: MockClaude) -> None:
    name, process = adapter
    mock.add_fault("stream-error:after=3:times=1")
    answer = process.run({"base_url": mock.url, "action": "stream", "request": body("Hello")})
    if name == "tutorial_requests":
        # The tutorial reads only `data:` lines of the events it knows: the error event passes unseen.
        assert answer["ok"] and answer["message"]["stop_reason"] is None
        return
    assert not answer["ok"], answer
    assert answer["error"]["type"] == "overloaded_error"


def test_a_cut_connection_is_an_error(adapter: tuple[str, AdapterProcess], mock: MockClaude) -> None:
    _, process = adapter
    mock.add_fault("cut-stream:after=4:times=1")
    answer = process.run({"base_url": mock.url, "action": "stream", "request": body("Hello")})
    assert not answer["ok"], answer
    assert answer["error"]["status"] is None


def test_a_server_tool_beside_client_tools(adapter: tuple[str, AdapterProcess], mock: MockClaude) -> None:
    _, process = adapter
    request = body("Use get_weather.", tools=[*TOOLS, {"type": "web_search_20250305", "name": "web_search"}])
    answer = process.run({"base_url": mock.url, "action": "tool_loop", "request": request})
    assert answer["ok"], (answer, process.stderr())
    tools_sent = messages_requests(mock)[0].body["tools"]
    assert "web_search" in [t["name"] for t in tools_sent]
    assert {"get_weather", "get_time"} <= {t["name"] for t in tools_sent}
