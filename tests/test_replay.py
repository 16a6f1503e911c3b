"""Replaying the example cassettes that ship in cassettes/, through the SDK and raw HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from mockclaude import MockClaude, UnmatchedRequestError
from mockclaude.cassette import Cassette
from mockclaude.sse import decode_all, encode_all

EXAMPLES = Path(__file__).resolve().parent.parent / "cassettes"
HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def request_body(name: str, index: int = 0) -> dict[str, Any]:
    return dict(Cassette.load(EXAMPLES / name)[index].request.body)


def sdk(mock: MockClaude) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock.url, api_key="sk-test-key", max_retries=0)


def post(mock: MockClaude, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=mock.url, headers=HEADERS) as h:
        return h.post("/v1/messages", json=body)


# --- each example, in its own form -------------------------------------------------------------------


def test_plain_answer_through_sdk() -> None:
    recorded = Cassette.load(EXAMPLES / "plain_answer.yaml")[0]
    with MockClaude(cassette=EXAMPLES / "plain_answer.yaml") as mock, sdk(mock) as client:
        msg = client.messages.create(**recorded.request.body)
        assert msg.model_dump(exclude_none=True) == {
            k: v for k, v in recorded.response.body.items() if v is not None
        }
        raw = post(mock, recorded.request.body)
        assert (
            raw.content
            == json.dumps(recorded.response.body, separators=(",", ":"), ensure_ascii=False).encode()
        )
        assert raw.headers["request-id"] == recorded.response.headers["request-id"]


def test_streamed_answer_is_byte_for_byte() -> None:
    recorded = Cassette.load(EXAMPLES / "streamed_answer.yaml")[0]
    with MockClaude(cassette=EXAMPLES / "streamed_answer.yaml") as mock:
        raw = post(mock, recorded.request.body)
        assert raw.headers["content-type"].startswith("text/event-stream")
        assert raw.content == encode_all(recorded.response.events or [])
        names = [ev.name for ev in decode_all(raw.content)]
        assert "ping" in names and "future_event_kind" in names  # kept, in order
        with (
            sdk(mock) as client,
            client.messages.stream(
                **{k: v for k, v in recorded.request.body.items() if k != "stream"}
            ) as stream,
        ):
            text = "".join(stream.text_stream)
        assert text.startswith("A haiku about tides:\n\nThe moon pulls softly")


def test_tool_loop_replays_each_turn() -> None:
    c = Cassette.load(EXAMPLES / "tool_loop.yaml")
    with MockClaude(cassette=EXAMPLES / "tool_loop.yaml") as mock, sdk(mock) as client:
        first = client.messages.create(**c[0].request.body)
        assert first.stop_reason == "tool_use"
        assert first.content[1].type == "tool_use" and first.content[1].name == "find_train"
        second = client.messages.create(**c[1].request.body)
        assert second.content[0].input == {"train_id": "TGV-9241", "seat_class": "second"}  # type: ignore[union-attr]
        body = {k: v for k, v in c[2].request.body.items() if k != "stream"}
        with client.messages.stream(**body) as stream:
            final = stream.get_final_message()
        assert "QX7R2" in final.content[0].text  # type: ignore[union-attr]
        assert [e.source for e in mock.requests] == ["cassette"] * 3


def test_thinking_with_tools_and_the_signature_passed_back() -> None:
    c = Cassette.load(EXAMPLES / "thinking_tools.yaml")
    with MockClaude(cassette=EXAMPLES / "thinking_tools.yaml") as mock, sdk(mock) as client:
        with client.messages.stream(
            **{k: v for k, v in c[0].request.body.items() if k != "stream"}
        ) as stream:
            first = stream.get_final_message()
        assert [b.type for b in first.content] == ["thinking", "tool_use"]
        # The client passes the (recorded) signed thinking block back: the validator accepts it.
        second = client.messages.create(**c[1].request.body)
        assert second.content[1].text.startswith("The area is about 176.71")  # type: ignore[union-attr]
        # A tampered thinking block is rejected as the real API would (not by the cassette).
        tampered = json.loads(json.dumps(c[1].request.body))
        tampered["messages"][1]["content"][0]["thinking"] += " (edited)"
        with pytest.raises(anthropic.BadRequestError) as info:
            client.messages.create(**tampered)
        assert "x-mockclaude-unmatched" not in info.value.response.headers


def test_prompt_cache_usage() -> None:
    c = Cassette.load(EXAMPLES / "prompt_cache.yaml")
    with MockClaude(cassette=EXAMPLES / "prompt_cache.yaml") as mock, sdk(mock) as client:
        a = client.messages.create(**c[0].request.body)
        b = client.messages.create(**c[1].request.body)
    assert a.usage.cache_creation_input_tokens == 1874 and a.usage.cache_read_input_tokens == 0
    assert b.usage.cache_read_input_tokens == 1874 and b.usage.cache_creation_input_tokens == 0


def test_midstream_error() -> None:
    body = request_body("midstream_error.yaml")
    with MockClaude(cassette=EXAMPLES / "midstream_error.yaml") as mock:
        raw = post(mock, body)
        assert raw.status_code == 200
        events = decode_all(raw.content)
        assert (
            events[-1].name == "error" and json.loads(events[-1].data)["error"]["type"] == "overloaded_error"
        )
        with sdk(mock) as client:
            stream_body = {k: v for k, v in body.items() if k != "stream"}
            with (
                pytest.raises(anthropic.APIStatusError) as info,
                client.messages.stream(**stream_body) as stream,
            ):
                for _ in stream.text_stream:
                    pass
            assert "Overloaded" in str(info.value)
            # Asked without streaming, the recorded stream's error becomes the API's JSON error.
            no_stream = {k: v for k, v in body.items() if k != "stream"}
            as_json = post(mock, no_stream)
            assert as_json.status_code == 529
            assert as_json.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}


# --- JSON <-> SSE ------------------------------------------------------------------------------------------


def test_recorded_json_requested_as_stream() -> None:
    recorded = Cassette.load(EXAMPLES / "plain_answer.yaml")[0]
    with MockClaude(cassette=EXAMPLES / "plain_answer.yaml") as mock:
        raw = post(mock, {**recorded.request.body, "stream": True})
        events = decode_all(raw.content)
        assert [events[0].name, events[-1].name] == ["message_start", "message_stop"]
        with sdk(mock) as client, client.messages.stream(**recorded.request.body) as stream:
            msg = stream.get_final_message()
    assert msg.model_dump(exclude_none=True) == {
        k: v for k, v in recorded.response.body.items() if v is not None
    }


def test_recorded_stream_requested_as_json() -> None:
    recorded = Cassette.load(EXAMPLES / "streamed_answer.yaml")[0]
    body = {k: v for k, v in recorded.request.body.items() if k != "stream"}
    with MockClaude(cassette=EXAMPLES / "streamed_answer.yaml") as mock:
        raw = post(mock, body)
        assert raw.headers["content-type"].startswith("application/json")
        assert raw.json() == recorded.response.message()
        with sdk(mock) as client:
            msg = client.messages.create(**body)
    assert msg.stop_reason == "end_turn" and msg.usage.output_tokens == 31


# --- unmatched ----------------------------------------------------------------------------------------------


def test_unmatched_request_http_answer_and_error_data() -> None:
    body = request_body("tool_loop.yaml")
    body["max_tokens"] = 999
    with MockClaude(cassette=EXAMPLES / "tool_loop.yaml") as mock:
        r = post(mock, body)
        assert r.status_code == 400
        assert r.headers["x-should-retry"] == "false"
        payload = r.json()
        assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
        message = payload["error"]["message"]
        assert "tool_loop.yaml" in message and "matches POST /v1/messages" in message
        assert "#0 POST /v1/messages" in message and "failed body" in message
        assert "max_tokens: 999 != recorded 1024" in message
        assert len(mock.app.unmatched) == 1
        err = mock.app.unmatched[0]
        assert isinstance(err, UnmatchedRequestError) and isinstance(err, AssertionError)
        assert str(err) == message
        assert err.request["body"]["max_tokens"] == 999 and err.request["path"] == "/v1/messages"
        assert err.closest[0].index == 0 and err.closest[0].failed == ["body"]
        assert mock.requests[-1].source == "cassette"
        with (
            sdk(mock) as client,
            pytest.raises(anthropic.BadRequestError, match="no interaction in cassette"),
        ):
            client.messages.create(**body)
        assert len(mock.app.unmatched) == 2
        mock.reset()
        assert mock.app.unmatched == []


def test_unmatched_hooks_are_called() -> None:
    seen: list[UnmatchedRequestError] = []
    with MockClaude(cassette=EXAMPLES / "plain_answer.yaml") as mock:
        mock.app.on_unmatched.append(seen.append)
        post(mock, {**request_body("plain_answer.yaml"), "model": "claude-opus-4-6"})
    assert len(seen) == 1 and "failed body" in str(seen[0]) and "model" in str(seen[0])


def test_match_on_selected_fields() -> None:
    body = request_body("plain_answer.yaml")
    with MockClaude(
        cassette=EXAMPLES / "plain_answer.yaml", match_on=("method", "path", "model", "messages")
    ) as m:
        assert post(m, {**body, "max_tokens": 5}).status_code == 200
        assert post(m, {**body, "model": "claude-opus-4-6"}).status_code == 400
    with MockClaude(cassette=EXAMPLES / "plain_answer.yaml", ignore_fields=("max_tokens",)) as m:
        assert post(m, {**body, "max_tokens": 5}).status_code == 200
        assert post(m, {**body, "metadata": {"user_id": "someone"}}).status_code == 200


# --- playback order, repeats, pacing ---------------------------------------------------------------------


def _two_answers(tmp_path: Path) -> Path:
    c = Cassette.load(EXAMPLES / "plain_answer.yaml")
    second = Cassette.load(EXAMPLES / "plain_answer.yaml")[0]
    second.response.body["content"][0]["text"] = "Second recording."
    c.append(second)
    c.save(tmp_path / "two.yaml")
    return tmp_path / "two.yaml"


def test_identical_requests_replay_in_order_then_repeat_the_last(tmp_path: Path) -> None:
    path = _two_answers(tmp_path)
    body = request_body("plain_answer.yaml")
    with MockClaude(cassette=path) as mock:
        texts = [post(mock, body).json()["content"][0]["text"] for _ in range(3)]
        assert texts[1:] == ["Second recording.", "Second recording."]
        assert texts[0].startswith("Three European rivers")
        mock.reset()  # rewinds
        assert post(mock, body).json()["content"][0]["text"] == texts[0]


def test_playback_repeats_can_be_refused(tmp_path: Path) -> None:
    path = _two_answers(tmp_path)
    body = request_body("plain_answer.yaml")
    with MockClaude(cassette=path, allow_playback_repeats=False) as mock:
        assert post(mock, body).status_code == 200
        assert post(mock, body).status_code == 200
        r = post(mock, body)
        assert r.status_code == 400
        assert "already played" in r.json()["error"]["message"]


def test_replay_speed_paces_recorded_offsets() -> None:
    body = request_body("midstream_error.yaml")  # recorded over 1.4 s
    with MockClaude(cassette=EXAMPLES / "midstream_error.yaml", replay_speed=10) as mock:
        started = time.monotonic()
        raw = post(mock, body)
        elapsed = time.monotonic() - started
    assert 0.12 <= elapsed < 1.2
    assert raw.content == encode_all(
        Cassette.load(EXAMPLES / "midstream_error.yaml")[0].response.events or []
    )
    with MockClaude(cassette=EXAMPLES / "midstream_error.yaml") as fast:  # replay_speed 0: no delays
        started = time.monotonic()
        post(fast, body)
        assert time.monotonic() - started < 0.5
