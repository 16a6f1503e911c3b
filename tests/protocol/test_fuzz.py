"""Random and mutated input never produces anything but an ApiError (never a 500), and the fast
accept-path agrees with jsonschema."""

from __future__ import annotations

import copy
import functools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockclaude.errors import ApiError
from mockclaude.protocol import parse_body, validate_messages
from mockclaude.protocol._fastcheck import compile_closures
from mockclaude.protocol.schema import _fast, build_schema, get_validator

from .helpers import PNG, SIGNER, json_paths, thinking_block
from .test_tutorial import ACCEPTED

json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(["type", "text", "role", "content", "model", "max_tokens", "messages", "id", "name",
                        "input", "source", "tool_use_id", "cache_control", "thinking", "budget_tokens", "tools",
                        "system", "data", "media_type", "signature", "tool_choice", "ttl", "citations"])
tags = st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking", "base64",
                        "ephemeral", "enabled", "auto", "tool", "user", "assistant", "document", "url", "custom"])

RICH = {
    "model": "claude-opus-4-6", "max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048},
    "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "tools": [{"name": "t", "input_schema": {"type": "object"}}, {"type": "web_search_20250305", "name": "web_search"}],
    "tool_choice": {"type": "auto"},
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
        {"role": "assistant", "content": [thinking_block("hm"), {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "r"}]}]},
    ],
}
SEEDS = [*ACCEPTED, RICH]


def _validate(body: Any, version: str = "2023-06-01", endpoint: str = "messages") -> None:
    try:
        validate_messages(body, version=version, signer=SIGNER, endpoint=endpoint)
    except ApiError as e:
        assert e.status in (400, 404) and e.message


def _set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    body = copy.deepcopy(body)
    node = body
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return body


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    body = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        paths = json_paths(body)
        path = draw(st.sampled_from(paths))
        action = draw(st.integers(0, 3))
        if action == 0:
            body = _set(body, path, draw(json_values))
        elif action == 1:
            body = _set(body, path, draw(tags))
        elif action == 2 and path:
            body = copy.deepcopy(body)
            node = body
            for p in path[:-1]:
                node = node[p]
            del node[path[-1]]
        else:
            target = _set(body, (), body)
            node = target
            for p in path:
                node = node[p]
            if isinstance(node, dict):
                body = _set(body, (*path, draw(keys)), draw(json_values | tags))
    return body


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.dictionaries(keys, json_values, max_size=6), st.sampled_from(["2023-06-01", "2026-10-21"]),
       st.sampled_from(["messages", "count_tokens"]))
def test_random_bodies_only_api_errors(body: dict[str, Any], version: str, endpoint: str) -> None:
    _validate(body, version, endpoint)


@FUZZ
@given(mutated(), st.sampled_from(["2023-06-01", "2026-10-21"]), st.sampled_from(["messages", "count_tokens"]))
def test_mutated_bodies_only_api_errors(body: Any, version: str, endpoint: str) -> None:
    _validate(body, version, endpoint)


@settings(FUZZ, max_examples=1500)
@given(st.one_of(mutated(), st.dictionaries(keys, json_values, max_size=6)),
       st.sampled_from(["2023-06-01", "2026-10-21"]), st.sampled_from(["messages", "count_tokens"]))
def test_fast_checker_agrees_with_jsonschema(body: Any, version: str, endpoint: str) -> None:
    assert _fast(version, endpoint)(body) == get_validator(version, endpoint).is_valid(body)
    # and with the previous closure checker (more mutations: tests/protocol/test_fastpath.py)
    assert _fast(version, endpoint)(body) == _closures(version, endpoint)(body)


@functools.cache
def _closures(version: str, endpoint: str) -> Any:
    return compile_closures(build_schema(version, endpoint))


@FUZZ
@given(st.binary(max_size=64) | json_values.map(lambda v: repr(v).encode()))
def test_parse_body_only_api_errors(raw: bytes) -> None:
    try:
        parse_body(raw)
    except ApiError as e:
        assert e.status == 400


def test_seeds_are_valid() -> None:
    for body in SEEDS:
        validate_messages(body, version="2023-06-01", signer=SIGNER)


def test_deeply_nested_tool_input_is_not_a_500() -> None:
    deep: Any = {}
    for _ in range(5000):
        deep = {"a": deep}
    body = copy.deepcopy(ACCEPTED[3])
    body["messages"][1]["content"][1]["input"] = deep
    validate_messages(body, version="2023-06-01", signer=SIGNER)
    nested: Any = "x"
    for _ in range(5000):
        nested = [nested]
    _validate({**ACCEPTED[0], "messages": nested})
    _validate({**ACCEPTED[0], "system": nested})
