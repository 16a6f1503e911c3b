"""The synthetic answer's fast rendering sends what the general rendering sends."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.responders import Answer
from mockclaude.sse import decode_all, message_from_events

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def post(mock: MockClaude, body: dict[str, object]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=mock.transport(), base_url="http://mock") as client:
            return await client.post("/v1/messages", json=body, headers=HEADERS)

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True])
def test_fast_and_general_rendering_agree(stream: bool) -> None:
    mock = MockClaude()
    body = {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": stream,
            "messages": [{"role": "user", "content": "Hello"}]}
    fast = post(mock, body)
    original = mock.app.render

    def general(ex: object, answer: Answer) -> object:  # the same answer, with a header: no fast path
        answer.headers = {"x-probe": "1"}
        return original(ex, answer)  # type: ignore[arg-type]

    mock.app.render = general  # type: ignore[method-assign,assignment]
    slow = post(mock, body)
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    # (a reset time may move on between the two requests, at a minute's turn: names only for those)
    wire_fast = [(k, "" if k.endswith("-reset") else v) for k, v in fast.headers.multi_items() if k != "request-id"]
    wire_slow = [(k, "" if k.endswith("-reset") else v) for k, v in slow.headers.multi_items()
                 if k not in ("request-id", "x-probe")]
    assert wire_fast == wire_slow
    first, second = mock.requests
    assert first.sent == second.sent and first.status == second.status == 200
    assert first.sent == ("json" if not stream else f"sse: {len(decode_all(fast.content))} events")
    journaled = {k: v for k, v in first.response_headers.items() if k != "request-id"}
    assert journaled == {k: v for k, v in fast.headers.items() if k not in ("request-id", "content-length", "content-type")}
    assert first.response_headers["request-id"] == fast.headers["request-id"]
    message = message_from_events(decode_all(fast.content)) if stream else json.loads(fast.content)
    assert message["type"] == "message" and "Hello" in message["content"][0]["text"]
