"""The one pass over the messages (``scan.py``) decides and counts exactly as the path it replaced.

The reference is validation as it was before the pass: the whole body's shape by jsonschema (the
before-schema rules and the worded shape error when it fails), then the model, the settings and the
precise message checks (``rules._check_messages``), the turns merged by ``rules.merge_turns`` and the
tokens counted by ``tokens.count_request`` over them. On every generated body — the mutations of
test_fastpath.py, and long plain conversations with random roles, blank or odd contents and extra
members (what the pass's plain-message shortcut sees) — ``validate_messages`` must give the same
outcome: the same error (status and words), or the same max_tokens, merged turns, token count and
cache breakpoints. Also: the tails the answer reads (``recent_turns``, ``tail_turns``) are the tails of
the merged turns, and the synthetic answer's seed is what it was.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockclaude.errors import ApiError
from mockclaude.protocol import rules, validate_messages
from mockclaude.protocol.scan import merged_turns, recent_turns, tail_turns
from mockclaude.protocol.schema import ENDPOINTS, get_validator, shape_error
from mockclaude.responders.synthetic import request_digest
from mockclaude.tokens import count_request

from .helpers import MODEL, SIGNER
from .test_fastpath import CORPUS, CORPUS_2026, VERSIONS, _breakpoints, _precise, rule_mutated, shape_mutated

CASES = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def _reference(body: Any, version: str, endpoint: str) -> tuple[Any, ...]:
    """(max_tokens, merged turns, message tokens, cache breakpoints) by the path before the pass."""
    if not get_validator(version, endpoint).is_valid(body):
        rules.check_before_schema(body, version, endpoint)
        error = shape_error(body, version, endpoint)
        assert error is not None
        raise error
    rules.check_model(body["model"], strict=False)  # validate_messages' order: the model, then the rest
    max_tokens, turns = _precise(body, version, endpoint)
    return max_tokens, turns, count_request([], turns, []), _breakpoints(body)


def _now(body: Any, version: str, endpoint: str) -> tuple[Any, ...]:
    valid = validate_messages(body, version=version, signer=SIGNER, endpoint=endpoint)
    recent = valid.recent_turns()  # made before the turns, from the messages
    turns = valid.messages  # made on first use
    assert turns == rules.merge_turns(body["messages"])[0]
    users = [t for t, turn in enumerate(turns) if turn["role"] == "user"]
    assert recent == (turns[users[-1]:] if users else turns)
    tokens = count_request([], [], [], valid.message_tokens) if valid.message_tokens is not None else None
    if tokens is not None:  # what the pass counted is what counting the merged turns gives
        assert tokens == count_request([], turns, [])
    breakpoints = valid.cache_breakpoints if valid.cache_breakpoints is not None else _breakpoints(body)
    return valid.max_tokens, turns, count_request([], turns, []), breakpoints


def _outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", fn(*args))
    except ApiError as e:
        return ("error", e.status, e.type, e.message)


def _same(body: Any, version: str, endpoint: str) -> None:
    if endpoint == "count_tokens" and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("max_tokens", "stop_sequences", "metadata", "service_tier")}
    before = _outcome(_reference, copy.deepcopy(body), version, endpoint)
    assert _outcome(_now, body, version, endpoint) == before


@CASES
@given(shape_mutated(CORPUS + CORPUS_2026), st.sampled_from(VERSIONS), st.sampled_from(ENDPOINTS))
def test_shape_mutations_decide_as_before(body: Any, version: str, endpoint: str) -> None:
    _same(body, version, endpoint)


@CASES
@given(rule_mutated(), st.sampled_from(ENDPOINTS))
def test_rule_mutations_decide_as_before(case: tuple[dict[str, Any], str], endpoint: str) -> None:
    body, version = case
    _same(body, version, endpoint)


_CONTENTS = st.one_of(
    st.sampled_from(["Hello there.", "x", "ok ", "", " ", "\n\t", "\u3000", "a" * 37]),
    st.text(max_size=12),
    st.sampled_from([[{"type": "text", "text": "in a block"}], [], [{"type": "text", "text": " "}], None, 7,
                     [{"type": "text", "text": "t", "cache_control": {"type": "ephemeral"}}]]),
)
_ROLES = st.sampled_from(["user", "assistant", "user", "assistant", "system", "tool", "User", None, 1])


@st.composite
def plain_conversation(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly alternating plain turns (the pass's shortcut), with random breaks in the pattern."""
    messages: list[Any] = []
    role = draw(st.sampled_from(["user", "assistant"]))
    for _ in range(draw(st.integers(1, 14))):
        odd = draw(st.integers(0, 9)) == 0  # now and then, something the shortcut must not take
        message: Any = {"role": draw(_ROLES) if odd else role,
                        "content": draw(_CONTENTS) if odd else draw(st.sampled_from(["Question?", "Answer.", "x"]))}
        if draw(st.integers(0, 19)) == 0:
            message = draw(st.sampled_from([{**message, "name": "n"}, {"role": message["role"]}, "text", [message]]))
        messages.append(message)
        role = "assistant" if role == "user" else "user"
    return {"model": draw(st.sampled_from([MODEL, "claude-opus-4-6"])), "max_tokens": 1024, "messages": messages}


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(plain_conversation(), st.sampled_from(VERSIONS), st.sampled_from(ENDPOINTS))
def test_plain_conversations_decide_as_before(body: dict[str, Any], version: str, endpoint: str) -> None:
    _same(body, version, endpoint)


def test_long_plain_conversation_takes_the_pass_and_counts_as_before() -> None:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"Turn {i}: " + "words " * (i % 7)}
                for i in range(501)]
    messages[-1]["content"] += "end"
    body = {"model": MODEL, "max_tokens": 1024, "messages": messages}
    valid = validate_messages(body, version="2023-06-01", signer=SIGNER)
    assert valid.message_tokens is not None and valid.cache_breakpoints == 0
    assert count_request([], [], [], valid.message_tokens) == count_request([], rules.merge_turns(messages)[0], [])
    assert valid.recent_turns() == valid.messages[-1:]
    _same(body, "2023-06-01", "messages")


# --------------------------------------------------------------------------- tails of the turns

_TAIL_ROLES = st.sampled_from(["user", "assistant", "system"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TAIL_ROLES, st.sampled_from(["a", "b ", [{"type": "text", "text": "c"}], []])), max_size=9),
       st.integers(1, 3))
def test_tails_are_the_tails_of_the_merged_turns(spec: list[tuple[str, Any]], n: int) -> None:
    messages = [{"role": role, "content": content} for role, content in spec]
    turns = rules.merge_turns(messages)[0]
    assert merged_turns(messages) == turns
    tail = tail_turns(messages, n)
    assert tail == turns[len(turns) - len(tail):]
    dialogue = [t for t in turns if t["role"] != "system"]
    if len(dialogue) >= n:  # from the n-th last dialogue turn
        assert [t for t in tail if t["role"] != "system"] == dialogue[len(dialogue) - n:]
        assert tail[0]["role"] != "system"
    else:
        assert tail == turns
    recent = recent_turns(messages)
    users = [t for t, turn in enumerate(turns) if turn["role"] == "user"]
    assert recent == (turns[users[-1]:] if users else turns)


# --------------------------------------------------------------------------- the answer's seed


def _seed_before(raw: bytes) -> bytes:
    """The synthetic answer's digest as computed before (a substring test, then the flag cut)."""
    if b'"stream"' not in raw:
        return hashlib.sha256(raw).digest()
    m = re.search(rb'"stream"\s*:\s*(?:true|false)', raw)
    if m is None:
        return hashlib.sha256(raw).digest()
    before, after = raw[: m.start()].rstrip(b" \t\r\n"), raw[m.end():]
    if before.endswith(b","):
        return hashlib.sha256(before[:-1] + after).digest()
    after = after.lstrip(b" \t\r\n")
    if after.startswith(b","):
        after = after[1:].lstrip(b" \t\r\n")
    return hashlib.sha256(before + after).digest()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b'"stream":true', b'"stream": false', b'"stream"', b'"x":"stream"', b'\\"stream"',
                                 b'"streams":true', b'"a":1', b'"input":{"stream":true}', b' ', b',']), max_size=6))
def test_the_answer_seed_is_unchanged(parts: list[bytes]) -> None:
    raw = b"{" + b",".join(parts) + b"}"  # not always JSON: the digest is of the bytes either way
    assert request_digest({}, raw, hashlib.sha256(raw).digest()) == _seed_before(raw)
    assert request_digest({}, raw) == _seed_before(raw)


# --------------------------------------------------------------------------- plain blocks


def test_plain_block_forms_are_the_schemas() -> None:
    """The forms ``scan._plain_block`` recognises without the generated check are what the schema
    says of them, in every version (a regenerated schema that changes them fails here)."""
    from mockclaude.protocol.schema import TOOL_USE_ID_PATTERN, build_schema

    for version in VERSIONS:
        for endpoint in ENDPOINTS:
            root = build_schema(version, endpoint)
            defs = root["$defs"]
            for role in ("UserMessageParam", "AssistantMessageParam"):
                content = defs[role]["properties"]["content"]["anyOf"]
                assert {"type": "string"} in content
                [array] = [b for b in content if b.get("type") == "array"]
                mapping = array["items"]["x-discriminator"]["mapping"]
                assert mapping["text"] == "#/$defs/TextBlockParam"
                assert mapping["tool_use"] == "#/$defs/ToolUseBlockParam"
                assert mapping["tool_result"] == "#/$defs/ToolResultBlockParam"
            text, use, result = (defs[n] for n in ("TextBlockParam", "ToolUseBlockParam", "ToolResultBlockParam"))
            assert all(d.get("additionalProperties") is False for d in (text, use, result))
            assert set(text["required"]) == {"text", "type"} and text["properties"]["text"] == {"type": "string"}
            assert set(use["required"]) == {"id", "input", "name", "type"}
            assert use["properties"]["id"] == {"type": "string", "pattern": TOOL_USE_ID_PATTERN}
            assert use["properties"]["name"] == {"type": "string"}
            assert use["properties"]["input"] == {"type": "object"}
            assert set(result["required"]) == {"tool_use_id", "type"}
            assert result["properties"]["tool_use_id"] == {"type": "string", "pattern": TOOL_USE_ID_PATTERN}
            assert {"type": "string"} in result["properties"]["content"]["anyOf"]
            assert result["properties"]["is_error"] == {"type": "boolean"}


_ANY = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6), st.just({}), st.just({"a": 1}),
                 st.just([]), st.just(1.5))
_IDS = st.one_of(st.text(alphabet="ab_-9Z \n.é", max_size=6), st.sampled_from(["toolu_01", "_", "-", "", "x\n"]))


@st.composite
def near_plain_blocks(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["text", "tool_use", "tool_result", "image", None]))
    block: dict[str, Any] = {"type": kind}
    if kind == "text":
        block["text"] = draw(st.text(max_size=5) | _ANY)
    elif kind == "tool_use":
        block.update(id=draw(_IDS | _ANY), name=draw(st.text(max_size=4) | _ANY), input=draw(st.just({"q": 1}) | _ANY))
    elif kind == "tool_result":
        block.update(tool_use_id=draw(_IDS | _ANY), content=draw(st.text(max_size=4) | _ANY))
        if draw(st.booleans()):
            block["is_error"] = draw(_ANY)
    for key in draw(st.lists(st.sampled_from(["type", "text", "id", "name", "input", "content", "tool_use_id"]),
                             max_size=2)):
        if draw(st.booleans()):
            block.pop(key, None)
        else:
            block[key] = draw(_ANY)
    if draw(st.integers(0, 9)) == 0:
        block[draw(st.sampled_from(["cache_control", "citations", "extra"]))] = draw(_ANY)
    return block if draw(st.integers(0, 19)) else draw(st.sampled_from([[block], "text", None]))


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(near_plain_blocks(), st.sampled_from(VERSIONS))
def test_a_plain_block_is_a_valid_block(block: Any, version: str) -> None:
    from mockclaude.protocol.scan import _plain_block

    if _plain_block(block):  # never accepts what the schema refuses
        message = {"role": "user", "content": [block]}
        assert get_validator(version, "messages").is_valid({"model": MODEL, "max_tokens": 1, "messages": [message]})


# --------------------------------------------------------------------------- no stream flag to search for

_FLAG_KEYS = st.sampled_from(["stream", 'a"stream', "streams", "Stream", "x"])


@st.composite
def flagged(draw: st.DrawFn) -> dict[str, Any]:
    """A valid or invalid body with, now and then, a member that could be (or look like) a stream flag."""
    body = copy.deepcopy(draw(plain_conversation() | st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(0, 2))):
        key, value = draw(_FLAG_KEYS), draw(st.sampled_from([True, False, 1, "stream", None]))
        where = draw(st.sampled_from(["top", "message", "block", "input", "metadata"]))
        message = draw(st.sampled_from(body["messages"]))
        if where == "top":
            body[key] = value
        elif where == "message" and isinstance(message, dict):
            message[key] = value
        elif where in ("block", "input") and isinstance(message, dict) and isinstance(message.get("content"), list):
            blocks = [b for b in message["content"] if isinstance(b, dict)]
            if blocks:
                block = draw(st.sampled_from(blocks))
                (block.setdefault("input", {}) if where == "input" and isinstance(block.get("input"), dict) else block)[key] = value
        elif where == "metadata":
            body["metadata"] = {key: value}
    return body


def _raws(body: dict[str, Any]) -> list[bytes]:
    import json

    import orjson

    return [orjson.dumps(body), json.dumps(body).encode(), json.dumps(body, indent=1, ensure_ascii=False).encode()]


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(flagged(), st.sampled_from(VERSIONS))
def test_no_stream_keys_means_the_digest_is_the_sha256(body: dict[str, Any], version: str) -> None:
    try:
        valid = validate_messages(body, version=version, signer=SIGNER)
    except ApiError:
        return
    if not valid.stream_keys:
        for raw in _raws(body):
            assert request_digest(body, raw) == hashlib.sha256(raw).digest() == _seed_before(raw)


def test_stream_keys_are_seen() -> None:
    messages = [{"role": "user", "content": "Hi"}]
    plain = {"model": MODEL, "max_tokens": 9, "messages": messages}
    assert not validate_messages(plain, version="2023-06-01", signer=SIGNER).stream_keys
    for body in ({**plain, "stream": False}, {**plain, "metadata": {"user_id": "u"}},
                 {**plain, "messages": [{"role": "user", "content": [{"type": "text", "text": "t"}]}, {
                     "role": "assistant", "content": [
                         {"type": "tool_use", "id": "toolu_1", "name": "n", "input": {"stream": True}}]}, {
                     "role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}]}):
        assert validate_messages(body, version="2023-06-01", signer=SIGNER).stream_keys
    # a duplicate key: the parsed body keeps the last value, the bytes still hold the flag
    raw = b'{"model":"%s","max_tokens":9,"stream":true,"stream":1,"messages":[{"role":"user","content":"Hi"}]}' % MODEL.encode()
    from mockclaude.protocol import parse_body

    parsed = parse_body(raw)
    with pytest.raises(ApiError):  # stream: 1 is refused; the flag's presence is what matters
        validate_messages(parsed, version="2023-06-01", signer=SIGNER)
    assert "stream" in parsed  # (so stream_keys would be True for it)


def test_the_model_is_judged_before_the_messages() -> None:
    for body in ({"model": "text", "max_tokens": 9, "messages": []}, {"model": MODEL, "max_tokens": 9, "messages": []}):
        _same(body, "2023-06-01", "messages")
