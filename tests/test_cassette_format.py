"""The cassette file format, matching and the index — no servers here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockclaude import CassetteError, CassetteNotFoundError, ConfigError, MockClaude
from mockclaude.cassette import (
    FORMAT_VERSION,
    Cassette,
    Index,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    RequestView,
)
from mockclaude.cassette.matching import canonical
from mockclaude.sse import Event, encode_all, event

EXAMPLES = Path(__file__).resolve().parent.parent / "cassettes"


def _interaction(text: str = "hi", *, stream: bool = False, model: str = "claude-sonnet-4-6") -> Interaction:
    body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    message = {
        "id": "msg_x",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": f"answer to {text}"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    if stream:
        body["stream"] = True
        from mockclaude.sse import events_from_message

        evs = events_from_message(message)
        resp = RecordedResponse(
            200, {"request-id": "req_1"}, events=evs, offsets=[i * 0.01 for i in range(len(evs))]
        )
    else:
        resp = RecordedResponse(200, {"request-id": "req_1"}, body=message)
    return Interaction(RecordedRequest("POST", "/v1/messages", body=body), resp)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return p


# --- round trips ---------------------------------------------------------------------------------


def test_round_trip_json_and_stream(tmp_path: Path) -> None:
    c = Cassette([_interaction("one"), _interaction("two", stream=True)], path=tmp_path / "c.yaml")
    c.save()
    text = (tmp_path / "c.yaml").read_text()
    assert text.startswith(f"format: mockclaude-cassette\nversion: {FORMAT_VERSION}\n")
    assert "&id" not in text and "*id" not in text  # no YAML aliases
    # one line per event
    assert text.count("- {at: ") == len(c[1].response.events or [])
    back = Cassette.load(tmp_path / "c.yaml")
    assert len(back) == 2
    assert back[0].response.body == c[0].response.body
    assert back[1].response.events == c[1].response.events
    assert back[1].response.offsets == c[1].response.offsets
    assert back.dumps() == c.dumps()


def test_raw_kept_only_when_reencoding_differs(tmp_path: Path) -> None:
    evs = [event({"type": "message_start", "message": {"id": "m"}}), event({"type": "message_stop"})]
    faithful = RecordedResponse(200, events=evs, raw=encode_all(evs))
    crlf = encode_all(evs).replace(b"\n", b"\r\n") + b": a comment\r\n\r\n"
    odd = RecordedResponse(200, events=evs, raw=crlf)
    req = RecordedRequest("POST", "/v1/messages", body={"stream": True})
    c = Cassette([Interaction(req, faithful), Interaction(req, odd)], path=tmp_path / "c.yaml")
    c.save()
    back = Cassette.load(tmp_path / "c.yaml")
    assert back[0].response.raw is None and back[0].response.exact_bytes() == encode_all(evs)
    assert back[1].response.raw == crlf


@pytest.mark.parametrize(
    "text",
    [
        "line one\nline two\n",
        "  leading spaces\nand a trailing newline\n\n\n",
        "no trailing newline\nbut two lines",
        "tabs\tand trailing space \nx",
        "unicode ✓ — ü\n",
        "\n",
        "- looks: like yaml\n# and a comment\n",
    ],
)
def test_multiline_strings_round_trip_exactly(tmp_path: Path, text: str) -> None:
    it = _interaction(text)
    it.response.raw = None
    c = Cassette([it], path=tmp_path / "c.yaml")
    c.save()
    assert Cassette.load(tmp_path / "c.yaml")[0].request.body["messages"][0]["content"] == text


def test_hand_written_events_may_use_mappings(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """\
format: mockclaude-cassette
version: 1
interactions:
- request: {method: post, path: /v1/messages, body: {stream: true}}
  response:
    status: 200
    events:
    - data: {type: message_start, message: {id: m}}
    - {event: message_stop, data: '{"type":"message_stop"}'}
""",
    )
    c = Cassette.load(p)
    assert c[0].request.method == "POST"
    assert c[0].response.events == [
        Event("message_start", '{"type":"message_start","message":{"id":"m"}}'),
        Event("message_stop", '{"type":"message_stop"}'),
    ]
    assert c[0].response.offsets is None  # untimed


def test_atomic_save_leaves_no_temp_files(tmp_path: Path) -> None:
    c = Cassette([_interaction()], path=tmp_path / "sub" / "c.yaml")
    c.save()
    c.append(_interaction("more"))
    c.save()
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["c.yaml"]
    assert len(Cassette.load(tmp_path / "sub" / "c.yaml")) == 2



def test_save_mode_follows_the_umask_then_the_existing_file(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        c = Cassette([_interaction()], path=tmp_path / "c.yaml")
        c.save()
        assert (tmp_path / "c.yaml").stat().st_mode & 0o777 == 0o640
        (tmp_path / "c.yaml").chmod(0o604)
        c.append(_interaction("more"))
        c.save()
        assert (tmp_path / "c.yaml").stat().st_mode & 0o777 == 0o604
    finally:
        os.umask(umask)

def test_examples_load() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert {"plain_answer.yaml", "streamed_answer.yaml", "tool_loop.yaml", "thinking_tools.yaml"} <= set(
        names
    )
    assert {"prompt_cache.yaml", "midstream_error.yaml"} <= set(names)
    for name in names:
        c = Cassette.load(EXAMPLES / name)
        assert len(c) >= 1
        assert Cassette.from_text(c.dumps()).dumps() == c.dumps()


# --- broken files ----------------------------------------------------------------------------------


def test_bad_yaml_names_path_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST\n")
    with pytest.raises(CassetteError) as info:
        Cassette.load(p)
    msg = str(info.value)
    assert str(p) in msg and "invalid YAML" in msg
    assert f"{p}:5:" in msg or f"{p}:4:" in msg


def test_bad_yaml_line_number_is_the_broken_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "format: mockclaude-cassette\nversion: 1\ninteractions: []\nkey: [unclosed\nother: 1\n"
    )
    with pytest.raises(CassetteError, match=r"c\.yaml:[45]:"):
        Cassette.load(p)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("format: something-else\nversion: 1\n", "not a mockclaude cassette"),
        (
            "format: mockclaude-cassette\nversion: 99\ninteractions: []\n",
            "unsupported cassette format version 99",
        ),
        ("format: mockclaude-cassette\ninteractions: []\n", "unsupported cassette format version None"),
        ("format: mockclaude-cassette\nversion: 1\ninteractions: {}\n", "'interactions' must be a list"),
        (
            "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST, path: /v1/messages}\n",
            "interactions.0: missing required field 'response'",
        ),
        (
            (
                "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {path: /v1/messages}\n"
                "  response: {status: 200, body: {}}\n"
            ),
            "interactions.0.request: missing required field 'method'",
        ),
        (
            (
                "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST, path: /v1/messages}\n"
                "  response: {body: {}}\n"
            ),
            "interactions.0.response: missing required field 'status'",
        ),
        (
            (
                "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST, path: /v1/messages}\n"
                "  response: {status: 200}\n"
            ),
            "needs one of 'body', 'events' or 'raw'",
        ),
        (
            (
                "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST, path: /v1/messages}\n"
                "  response: {status: 200, events: [{event: ping}]}\n"
            ),
            "interactions.0.response.events.0: missing required field 'data'",
        ),
        (
            (
                "format: mockclaude-cassette\nversion: 1\ninteractions:\n- request: {method: POST, path: /v1/messages,"
                " body: {when: 2026-01-01}}\n  response: {status: 200, body: {}}\n"
            ),
            "interactions.0.request.body.when: date is not a JSON value",
        ),
        (
            (
                "version: 1\ninteractions:\n- request: {uri: 'https://api.anthropic.com/v1/messages', method: POST}\n"
                "  response: {status: {code: 200}}\n"
            ),
            "looks like a VCR.py cassette",
        ),
    ],
)
def test_broken_files_fail_loudly_with_path(tmp_path: Path, text: str, expected: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(CassetteError) as info:
        Cassette.load(p)
    assert str(p) in str(info.value)
    assert expected in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(CassetteNotFoundError) as info:
        Cassette.load("/nonexistent/dir/c.yaml")
    assert isinstance(info.value, FileNotFoundError)
    assert "/nonexistent/dir/c.yaml" in str(info.value)


def test_missing_file_in_mode_none_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match=r"c.yaml"):
        MockClaude(cassette=tmp_path / "c.yaml")


def test_broken_file_fails_at_startup(tmp_path: Path) -> None:
    p = _write(tmp_path, "format: mockclaude-cassette\nversion: 2\n")
    with pytest.raises(CassetteError, match="version 2"):
        MockClaude(cassette=p)


# --- matching ----------------------------------------------------------------------------------------


def _view(body: dict[str, object], path: str = "/v1/messages") -> RequestView:
    return RequestView("POST", path, "", body)


def test_default_matcher_ignores_stream_and_metadata_and_key_order() -> None:
    m = Matcher()
    a = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    b = {"messages": [{"content": "x", "role": "user"}], "max_tokens": 5, "model": "m", "stream": True}
    b["metadata"] = {"user_id": "u-123"}
    assert m.key(_view(a)) == m.key(_view(b))
    assert m.key(_view(a)) != m.key(_view({**a, "max_tokens": 6}))
    assert m.key(_view(a)) != m.key(_view(a, path="/v1/messages/count_tokens"))


def test_match_on_fields_and_ignore_fields() -> None:
    a = {"model": "m", "max_tokens": 5, "temperature": 0.2, "messages": [{"role": "user", "content": "x"}]}
    b = {**a, "max_tokens": 500, "temperature": 0.9}
    assert Matcher(("method", "path", "model", "messages")).key(_view(a)) == Matcher(
        ("method", "path", "model", "messages")
    ).key(_view(b))
    m = Matcher(ignore_fields=("max_tokens", "temperature"))
    assert m.key(_view(a)) == m.key(_view(b))
    nested = Matcher(ignore_fields=("messages.*.content",))
    assert nested.key(_view(a)) == nested.key(_view({**a, "messages": [{"role": "user", "content": "y"}]}))


def test_unknown_matcher_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown matcher 'bdy'.*valid matchers"):
        Matcher(("method", "bdy"))
    Matcher(("body.some_new_field",))  # any field through body.NAME


def test_index_plays_in_order_then_repeats_last() -> None:
    its = [_interaction("same"), _interaction("same"), _interaction("other")]
    its[1].response.body = {**(its[1].response.body or {}), "id": "msg_second"}
    idx = Index(Matcher(), its)
    view = Index.view(its[0])
    assert idx.next(view, repeat=True) == (0, 2)
    assert idx.next(view, repeat=True) == (1, 2)
    assert idx.next(view, repeat=True) == (1, 2)
    assert idx.next(view, repeat=False) == (None, 2)
    idx.rewind()
    assert idx.next(view, repeat=False) == (0, 2)
    assert idx.next(_view({"model": "nope"}), repeat=True) == (None, 0)


def test_closest_names_failed_matchers_and_differences() -> None:
    its = [_interaction("alpha"), _interaction("beta", model="claude-haiku-4-5")]
    idx = Index(Matcher(("method", "path", "model", "messages")), its)
    req = _view(
        {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "gamma"}]}
    )
    closest = idx.closest(req)
    assert [c.index for c in closest] == [0]  # one failed matcher beats two
    assert closest[0].failed == ["messages"]
    assert "messages.0.content" in closest[0].describe() and '"gamma"' in closest[0].describe()


def test_index_lookup_is_hash_based() -> None:
    its = [_interaction(f"q{i}") for i in range(2000)]
    idx = Index(Matcher(), its)
    assert len(idx._by_key) == 2000
    assert idx.next(Index.view(its[1234]), repeat=True)[0] == 1234


def test_show_example_streams_accumulate() -> None:
    c = Cassette.load(EXAMPLES / "thinking_tools.yaml")
    msg = c[0].response.message()
    assert msg is not None
    assert [b["type"] for b in msg["content"]] == ["thinking", "tool_use"]
    assert msg["content"][1]["input"] == {"expression": "pi * 7.5 ** 2"}
    assert json.loads(c[0].response.events[0].data)["type"] == "message_start"  # type: ignore[index]


# --- the JSON syntax (for big, machine-made cassettes) -------------------------------------------------


def test_json_syntax_is_the_same_document(tmp_path: Path) -> None:
    c = Cassette([_interaction("one"), _interaction("two", stream=True)], path=tmp_path / "c.json")
    c.save()
    text = (tmp_path / "c.json").read_text()
    assert json.loads(text)["format"] == "mockclaude-cassette"
    assert len(text.splitlines()) == 4  # header line, one line per interaction, closing line
    back = Cassette.load(tmp_path / "c.json")
    assert back.dumps("yaml") == c.dumps("yaml")
    # and a JSON cassette under a .yaml name still loads (JSON is YAML)
    (tmp_path / "c.yaml").write_text(text)
    assert Cassette.load(tmp_path / "c.yaml").dumps("yaml") == c.dumps("yaml")


def test_bad_json_names_path_and_line(tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    p.write_text('{"format": "mockclaude-cassette",\n "version": 1,\n "interactions": [,]}\n')
    with pytest.raises(CassetteError, match=r"c\.json:3:\d+: invalid JSON"):
        Cassette.load(p)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(body=json_values, text=st.text(), data=st.text())
def test_any_json_and_text_round_trip_in_both_syntaxes(body: object, text: str, data: str) -> None:
    evs = [Event("content_block_delta", json.dumps({"type": "x", "text": data}, ensure_ascii=False))]
    it = Interaction(
        RecordedRequest("POST", "/v1/messages", body={"b": body, "t": text}),
        RecordedResponse(200, events=evs, raw=text.encode("utf-8", "surrogatepass")),
    )
    for syntax in ("yaml", "json"):
        c = Cassette([it])
        back = Cassette.from_text(c.dumps(syntax))[0]
        assert back.request.body == {"b": body, "t": text}
        assert back.response.events == evs
        assert back.response.exact_bytes() == it.response.exact_bytes()


def test_closest_is_ranked_by_likeness_of_content() -> None:
    def body(text: str) -> dict[str, Any]:
        return {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": text}]}

    recorded = [Interaction(RecordedRequest("POST", "/v1/messages", body=body(t)), RecordedResponse(200, body={}))
                for t in ("Write a haiku about tides.", "Stream a haiku.")]  # the nearer one is older
    index = Index(Matcher(), recorded)
    closest = index.closest(RequestView("POST", "/v1/messages", "", body("Write a haiku about tides!")))
    assert [c.index for c in closest] == [0, 1]
    assert "Write a haiku about tides." in canonical(closest[0].interaction.request.body)
