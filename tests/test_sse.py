from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockclaude.sse import (
    Accumulator,
    Decoder,
    Event,
    StreamError,
    decode_all,
    encode_all,
    encode_message,
    event,
    events_from_message,
    message_from_events,
)

FIXTURES = Path(__file__).parent / "fixtures"  # copies of ../shared/fixtures, the documented grammar

COMPLETE = ["text.sse", "thinking.sse", "tool_use.sse"]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", [*COMPLETE, "midstream_error.sse"])
def test_fixture_round_trips_byte_for_byte(name: str) -> None:
    raw = fixture_bytes(name)
    events = decode_all(raw)
    assert events and all(ev.json()["type"] == ev.name for ev in events)
    assert encode_all(events) == raw


def test_tool_use_fixture_accumulates_like_the_sdk() -> None:
    message = message_from_events(decode_all(fixture_bytes("tool_use.sse")))
    assert message["stop_reason"] == "tool_use"
    assert message["usage"]["output_tokens"] == 89
    assert message["content"][0]["text"].startswith("Okay, let's check the weather")
    assert message["content"][1]["input"] == {"location": "San Francisco, CA", "unit": "fahrenheit"}


def test_thinking_fixture_keeps_signature() -> None:
    message = message_from_events(decode_all(fixture_bytes("thinking.sse")))
    thinking = message["content"][0]
    assert thinking["type"] == "thinking"
    assert thinking["signature"].startswith("EqQB")
    assert thinking["thinking"].endswith("12,231")


def test_midstream_error_raises() -> None:
    with pytest.raises(StreamError) as info:
        message_from_events(decode_all(fixture_bytes("midstream_error.sse")))
    assert info.value.error["type"] == "overloaded_error"


def test_stream_without_message_stop_is_incomplete() -> None:
    events = decode_all(fixture_bytes("text.sse"))[:-1]
    with pytest.raises(StreamError):
        message_from_events(events)


def test_unknown_events_and_pings_are_ignored() -> None:
    events = decode_all(fixture_bytes("text.sse"))
    events.insert(2, Event("future_event", '{"type":"future_event","x":1}'))
    assert message_from_events(events)["content"][0]["text"] == "Hello!"


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(COMPLETE),
    cuts=st.lists(st.integers(min_value=1, max_value=8000), max_size=40),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_decoder_survives_any_chunking_and_line_ending(name: str, cuts: list[int], newline: str) -> None:
    raw = fixture_bytes(name).decode().replace("\n", newline).encode()
    expected = decode_all(fixture_bytes(name))
    points = sorted({c % len(raw) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=False)]
    dec = Decoder()
    got = [ev for piece in pieces for ev in dec.feed(piece)] + dec.close()
    assert got == expected


def test_decoder_handles_comments_multiline_data_and_split_utf8() -> None:
    raw = ": keep-alive\nevent: x\ndata: {\"a\":\ndata: \"é\"}\n\n".encode()
    cut = raw.index("é".encode()) + 1  # in the middle of the two-byte character
    dec = Decoder()
    got = dec.feed(raw[:cut]) + dec.feed(raw[cut:]) + dec.close()
    assert got == [Event("x", '{"a":\n"é"}')]
    assert json.loads(got[0].data) == {"a": "é"}


MESSAGES = [
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello there, this is a somewhat longer text to split in pieces."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 16, "cache_read_input_tokens": 0},
    },
    {
        "id": "msg_2",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": [
            {"type": "thinking", "thinking": "Let me think about this properly.", "signature": "c2ln"},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Calling the tool."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris", "n": [1, 2]}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 40},
    },
]


@pytest.mark.parametrize("message", MESSAGES, ids=["text", "thinking-tools"])
def test_message_to_events_and_back(message: dict) -> None:
    events = events_from_message(message)
    names = [e.name for e in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    start = events[0].json()["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert message_from_events(decode_all(encode_all(events))) == message


def test_events_for_tool_input_are_partial_json_pieces() -> None:
    events = events_from_message(MESSAGES[1])
    pieces = [
        e.json()["delta"]["partial_json"]
        for e in events
        if e.name == "content_block_delta" and e.json()["delta"]["type"] == "input_json_delta"
    ]
    assert pieces[0] == "" and len(pieces) > 2
    assert json.loads("".join(pieces)) == MESSAGES[1]["content"][3]["input"]


def test_accumulator_message_delta_overwrites_usage() -> None:
    acc = Accumulator()
    for ev in events_from_message(MESSAGES[0]):
        acc.add(ev)
    acc.add(event({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 99}}))
    assert acc.message is not None and acc.message["usage"]["output_tokens"] == 99


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["line\nbreak", "cr\r\nlf", "\u2028sep", 'quote "q" \\ back', "emoji 🦀", ""])


@settings(max_examples=200, deadline=None)
@given(texts, texts, st.integers(0, 2**70), st.sampled_from(MESSAGES))
def test_encode_message_is_the_events_encoded(text: str, thought: str, big: int, base: dict) -> None:
    """The fast path (bytes straight from the message) writes what encoding the events writes."""
    message = json.loads(json.dumps(base))
    message["content"] = [{"type": "thinking", "thinking": thought, "signature": "s"},
                          {"type": "text", "text": text},
                          {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {"q": text, "n": big}}]
    events = events_from_message(message)
    raw, count = encode_message(message)
    assert raw == encode_all(events) and count == len(events)


_BLOCKS = st.sampled_from([
    {"type": "text", "text": "plain text, long enough to be cut in a few pieces of about two dozen"},
    {"text": "keys in the other order", "type": "text"},
    {"type": "text", "text": ""},
    {"type": "text", "text": "cited", "citations": [{"type": "char_location", "cited_text": "x"}]},
    {"type": "text", "citations": []},
    {"type": "thinking", "thinking": "a thought\nwith a newline", "signature": "sig"},
    {"type": "thinking", "thinking": ""},
    {"type": "redacted_thinking", "data": "opaque"},
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
    {"type": "tool_use", "id": "toolu_2", "name": "t", "input": {}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_BLOCKS, max_size=5), st.sampled_from([1, 7, 24, 100]), st.booleans(), st.sampled_from(MESSAGES),
       st.sampled_from([{}, {"container": None}, {"usage": {"output_tokens": 3}}, {"usage": None}, {"model": "m\u2028"}]))
def test_encode_message_agrees_for_any_blocks(blocks: list[dict], chunk: int, pings: bool, base: dict,
                                              extra: dict) -> None:
    """The templates of the fast path cover the blocks answers are made of; others fall back; both
    write exactly what the events write (an answer's own fields, or more)."""
    message = {**json.loads(json.dumps(base)), "content": json.loads(json.dumps(blocks)), **extra}
    events = events_from_message(message, chunk=chunk, pings=pings)
    raw, count = encode_message(message, chunk=chunk, pings=pings)
    assert raw == encode_all(events) and count == len(events)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n\r\t🙂é"), max_size=200) | texts, st.integers(1, 60))
def test_pieces_scan_is_the_loop(text: str, size: int) -> None:
    """Deltas split by the one-pass pattern are the pieces the definition's loop cuts."""
    from mockclaude.sse import _pieces, _pieces_slow

    assert _pieces(text, size) == _pieces_slow(text, size)
    assert "".join(_pieces(text, size)) == text
