"""The memo of validated bodies: the same bytes are not validated twice, and nothing with state is kept."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.admission import AdmissionMemo

MODEL = "claude-sonnet-4-6"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def body(text: str = "Hello", **extra: Any) -> bytes:
    return json.dumps({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}).encode()


@pytest.fixture
def mock() -> MockClaude:
    return MockClaude()


def post(mock: MockClaude, raw: bytes, **headers: str) -> httpx.Response:
    import asyncio

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=mock.transport(), base_url="http://mock") as client:
            return await client.post("/v1/messages", content=raw, headers={**HEADERS, **headers})

    return asyncio.run(go())


def test_the_same_body_is_validated_once_and_answered_alike(mock: MockClaude) -> None:
    first, second, third = post(mock, body()), post(mock, body()), post(mock, body())
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json() == second.json() == third.json()
    assert len(mock.app.admitted) == 1  # kept the second time it was seen
    assert len(mock.requests) == 3  # the journal has every one
    assert len({r.headers["request-id"] for r in (first, second, third)}) == 3


def test_a_body_seen_once_is_not_kept(mock: MockClaude) -> None:
    for n in range(5):
        assert post(mock, body(f"turn {n}")).status_code == 200
    assert len(mock.app.admitted) == 0


def test_stream_and_json_of_one_body_get_the_same_message(mock: MockClaude) -> None:
    plain = post(mock, body()).json()
    for _ in range(3):
        streamed = post(mock, body(stream=True))
        assert streamed.headers["content-type"].startswith("text/event-stream")
        start = json.loads(streamed.text.split("data: ", 2)[1].split("\n", 1)[0])
        assert start["message"]["id"] == plain["id"]
    assert len(mock.app.admitted) == 1  # the stream body (the plain one was seen once only)


def test_version_and_endpoint_are_part_of_the_key(mock: MockClaude) -> None:
    raw = body(temperature=0.5)
    assert post(mock, raw).status_code == post(mock, raw).status_code == 200
    refused = post(mock, raw, **{"anthropic-version": "2026-10-21"})
    assert refused.status_code == 400 and "temperature" in refused.json()["error"]["message"]
    assert len(mock.app.admitted) == 1


def test_a_rejected_body_is_refused_every_time_and_not_kept(mock: MockClaude) -> None:
    raw = body("   ")
    for _ in range(2):
        r = post(mock, raw)
        assert r.status_code == 400 and r.json()["error"]["message"] == (
            "messages: text content blocks must contain non-whitespace text"
        )
    assert len(mock.app.admitted) == 0
    assert [e.status for e in mock.requests] == [400, 400]


def test_the_prompt_cache_keeps_its_state(mock: MockClaude) -> None:
    system = [{"type": "text", "text": "You are terse. " * 20, "cache_control": {"type": "ephemeral"}}]
    raw = body(system=system)
    first, second = (post(mock, raw).json()["usage"] for _ in range(2))
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0


def test_faults_still_apply_to_a_remembered_body(mock: MockClaude) -> None:
    assert post(mock, body()).status_code == 200
    mock.add_fault("529:times=1")
    assert post(mock, body()).status_code == 529
    assert post(mock, body()).status_code == 200


def test_configure_starts_a_new_memo(mock: MockClaude) -> None:
    for _ in range(2):
        post(mock, body("a model it does not know", model="claude-new-9"))
    assert len(mock.app.admitted) == 1
    mock.app.configure(mock.app.settings.with_(strict_models=True))
    assert len(mock.app.admitted) == 0
    assert post(mock, body("a model it does not know", model="claude-new-9")).status_code == 404


def test_bounded_by_count_bytes_and_body_size() -> None:
    memo = AdmissionMemo(max_items=3, max_bytes=100, max_body=60)
    for i in range(5):
        memo.put(memo.digest(b"%d" % i), "v", "messages", i, 10)
        assert memo.get(memo.digest(b"%d" % i), "v", "messages") is None  # seen once: not kept
        memo.put(memo.digest(b"%d" % i), "v", "messages", i, 10)
    assert len(memo) == 3 and memo.get(memo.digest(b"0"), "v", "messages") is None
    assert memo.get(memo.digest(b"4"), "v", "messages") == 4
    for _ in range(2):
        memo.put(memo.digest(b"big"), "v", "messages", "big", 61)  # over max_body: not kept
    assert memo.get(memo.digest(b"big"), "v", "messages") is None
    memo.clear()
    for i in range(3):
        for _ in range(2):
            memo.put(memo.digest(b"%d" % i), "v", "messages", i, 45)  # 135 bytes > 100: the oldest goes
    assert len(memo) == 2 and memo.get(memo.digest(b"0"), "v", "messages") is None


def test_a_threads_request_is_never_kept(mock: MockClaude) -> None:
    from mockclaude.threads import THREADS_BETA

    raw = body(thread={"type": "create"})
    answers = [post(mock, raw, **{"anthropic-beta": THREADS_BETA}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(mock.app.admitted) == 0  # each one created a thread of its own: state, not a pure function


def test_beta_flags_are_part_of_the_key(mock: MockClaude) -> None:
    raw = body()
    for _ in range(2):
        assert post(mock, raw).status_code == 200
        assert post(mock, raw, **{"anthropic-beta": "context-1m-2025-08-07"}).status_code == 200
    assert len(mock.app.admitted) == 2
