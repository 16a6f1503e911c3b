"""The journal records every request and every injected fault, so a test can assert what happened."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import anthropic
import httpx
import pytest

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"
SECRET = "sk-ant-api03-very-secret"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockClaude]:
    with MockClaude() as m:
        yield m


def _stream(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "hi"}]
    ) as s:
        s.get_final_message()


def test_journal_records_faults_and_what_was_sent(mock: MockClaude) -> None:
    mock.reset()
    mock.add_fault("529:times=1")
    mock.add_fault("cut-stream:after=3:stream=true:times=1")
    with anthropic.Anthropic(base_url=mock.url, api_key=SECRET, max_retries=1) as client:
        client.messages.create(model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(Exception, match="incomplete chunked read"):
            _stream(client)
    log = httpx.get(mock.url + "/_mockclaude/requests").json()["requests"]
    assert [e["status"] for e in log] == [529, 200, 200]
    assert [e["fault"] for e in log] == ["529:times=1", None, "cut-stream:after=3:times=1:stream=true"]
    assert [e["sent"] for e in log] == ["json", "json", "cut after 3 events"]
    assert log[0]["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert log[0]["source"] == "fault"
    assert log[0]["notes"] == ["fault from plan: 529:times=1"]
    for e in log:
        assert e["headers"]["authorization"] == "[REDACTED]"
        assert SECRET not in json.dumps(e)
        assert e["body"]["model"] == MODEL
        assert e["arrived"] > 0 and e["path"] == "/v1/messages"
    assert log[1]["body"].get("stream") is None and log[2]["body"]["stream"] is True
    assert log[0]["seq"] < log[1]["seq"] < log[2]["seq"]
    assert log[0]["response_headers"]["request-id"] == log[0]["request_id"]


@pytest.mark.parametrize(
    ("spec", "sent", "status"),
    [
        ("reset", "connection reset (RST), no response", None),
        ("empty", "connection closed, no bytes", None),
        ("garbage:bytes=5", "5 garbage bytes, then closed", None),
        ("stream-error:after=2", "error event after 2 events", 200),
        ("stall:after=1:seconds=0.01", r"sse: \d+ events, stalled 0.01s after 1 events", 200),
        ("cut-stream:after=5:clean=true", "ended cleanly after 5 events, no message_stop", 200),
        ("chunk:size=64", r"sse: \d+ events \(chunked\)", 200),
    ],
)
def test_journal_labels(mock: MockClaude, spec: str, sent: str, status: int | None) -> None:
    mock.reset()
    headers = {"x-api-key": SECRET, "anthropic-version": "2023-06-01", "x-mockclaude-fault": spec}
    body = {"model": MODEL, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    try:
        httpx.post(mock.url + "/v1/messages", json=body, headers=headers, timeout=5).read()
    except httpx.HTTPError:
        pass
    (e,) = mock.requests
    assert e.fault == str(__import__("mockclaude").faults.parse(spec))
    assert e.sent is not None and re.fullmatch(sent.replace("(RST)", r"\(RST\)"), e.sent), e.sent
    assert e.status == status
    assert e.headers["x-api-key"] == "[REDACTED]"
    assert e.headers["x-mockclaude-fault"] == spec
    assert e.notes[0] == f"fault from header: {e.fault}"


def test_malformed_header_is_journaled_as_an_error(mock: MockClaude) -> None:
    mock.reset()
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01", "x-mockclaude-fault": "nope"}
    body = {"model": MODEL, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(mock.url + "/v1/messages", json=body, headers=headers)
    assert r.status_code == 400
    (e,) = mock.requests
    assert e.status == 400 and e.error is not None
    assert e.error["message"].startswith("x-mockclaude-fault: unknown fault kind 'nope'")


def test_journal_delete_clears(mock: MockClaude) -> None:
    httpx.post(mock.url + "/v1/messages", json={}, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
    assert httpx.delete(mock.url + "/_mockclaude/requests").json() == {"requests": []}
    assert mock.requests == []
