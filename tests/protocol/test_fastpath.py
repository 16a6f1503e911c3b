"""The fast paths decide exactly what the precise paths decide.

* Shape: the generated checker (``_fastcheck.compile_schema``) answers like jsonschema and like the
  previous closure checker, on valid bodies of every block/tool kind and on mutations of them
  (drop, rename, retype, wrong or missing tags, extra keys, edge numbers) at random paths.
* Rules: ``rules.check_request`` (one fast pass, falling back to the precise checks on any doubt)
  returns the same turns, or raises the same error, as the precise checks alone, on
  conversations mutated at the message level (roles, ids, empty/whitespace text, cache_control,
  order, system turns).
* Counts: what the fast pass counts on its way (input tokens of the messages, cache breakpoints)
  gives the same synthetic answer, usage included, as counting afterwards; a body the shape check
  accepts never breaks a before-schema rule (which therefore runs only when the shape fails).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockclaude.errors import ApiError
from mockclaude.protocol import _fastcheck, rules, scan
from mockclaude.protocol.schema import ENDPOINTS, _fast, build_schema, fast_parts, get_validator
from mockclaude.protocol.versions import KNOWN_VERSIONS

from .helpers import GIF, JPEG, MODEL, PNG, SIGNER, json_paths, thinking_block
from .test_fuzz import RICH, SEEDS

VERSIONS = sorted(KNOWN_VERSIONS)


def _blocks_body() -> dict[str, Any]:
    cc = {"type": "ephemeral"}
    return {
        "model": MODEL, "max_tokens": 2048, "metadata": {"user_id": "u"}, "stop_sequences": ["STOP"],
        "service_tier": "auto", "tool_choice": {"type": "tool", "name": "calc"},
        "tools": [
            {"name": "calc", "description": "d", "input_schema": {"type": "object"}, "cache_control": cc},
            {"type": "custom", "name": "look_up", "input_schema": {"type": "object", "properties": {}}, "strict": True},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"type": "bash_20250124", "name": "bash"},
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
        ],
        "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": "5m"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "t", "citations": None},
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": JPEG}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}, "title": "T"},
                {"type": "document", "source": {"type": "content", "content": [
                    {"type": "text", "text": "c"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/gif", "data": GIF}}]}},
                {"type": "search_result", "source": "s", "title": "t", "content": [{"type": "text", "text": "r"}]},
            ]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "a"},
                {"type": "tool_use", "id": "toolu_a", "name": "calc", "input": {"x": 1}},
                {"type": "tool_use", "id": "toolu_b", "name": "look_up", "input": {}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": [
                    {"type": "text", "text": "r", "cache_control": cc},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": "plain", "is_error": False},
                {"type": "text", "text": "go on"},
            ]},
            {"role": "assistant", "content": "Prefill"},
        ],
    }


def _system_turns_body() -> dict[str, Any]:  # 2026-10-21 only
    return {
        "model": MODEL, "max_tokens": 1024,
        "tools": [{"name": "t", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
            {"role": "system", "content": [{"type": "text", "text": "Note."}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
            {"role": "system", "content": "Last word."},
        ],
    }


def _thinking_loop_body() -> dict[str, Any]:
    return {
        "model": "claude-opus-4-5", "max_tokens": 4096, "thinking": {"type": "adaptive"},
        "tools": [{"name": "t", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [thinking_block("first"), {"type": "text", "text": "x"}]},
            {"role": "user", "content": "again"},
            {"role": "assistant", "content": [
                thinking_block("hm"), {"type": "redacted_thinking", "data": SIGNER.sign("")},
                {"type": "tool_use", "id": "toolu_9", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9"}]},
        ],
    }


CORPUS = [*SEEDS, _blocks_body(), _thinking_loop_body()]
CORPUS_2026 = [_system_turns_body()]


def test_corpus_is_valid() -> None:
    from .helpers import ok

    for body in CORPUS:
        ok(body)
    for body in CORPUS_2026:
        ok(body, "2026-10-21")


# --------------------------------------------------------------------------- shape mutations

json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
KEYS = ["type", "text", "role", "content", "model", "max_tokens", "messages", "id", "name", "input", "source",
        "tool_use_id", "cache_control", "thinking", "budget_tokens", "tools", "system", "data", "media_type",
        "signature", "tool_choice", "ttl", "citations", "is_error", "title", "url", "display", "stream", "extra",
        "temperature", "top_p", "top_k", "metadata", "user_id", "max_uses", "strict", "description"]
TAGS = ["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking", "base64", "ephemeral",
        "enabled", "disabled", "adaptive", "auto", "any", "tool", "none", "user", "assistant", "system", "document",
        "url", "custom", "content", "search_result", "web_search_20250305", "bash_20250124", "char_location",
        "Text", "text ", "", "file", "image/png", "image/bmp", "5m", "2h", "summarized"]
EDGE = [None, True, False, 0, -1, 1, 1.5, 1024.0, 1023, 1024, 2**63, -(2**63), float("inf"), float("nan"), "",
        " ", "x" * 129, "toolu.1", "srvtoolu_1", "1024", [], {}, [[]], [{}], {"type": None}, {"type": 5}]


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        body = body[p]
    return body


def _retyped(value: Any) -> list[Any]:
    """Values of other JSON types built from ``value`` (the same data, the wrong shape)."""
    out: list[Any] = [None, [value], {"value": value}]
    if isinstance(value, str):
        out += [len(value), value.encode().hex()[:4] and 1.0, [value], {value: value}]
    elif isinstance(value, bool):
        out += [int(value), str(value).lower()]
    elif isinstance(value, (int, float)):
        out += [str(value), float(value), value + 0.5, bool(value), -value]
    elif isinstance(value, list):
        out += [dict(enumerate(value)), value[:1] * 2, value[1:], "".join(map(str, value))]
    elif isinstance(value, dict):
        out += [list(value.values()), list(value), {k: None for k in value}, dict(list(value.items())[1:])]
    return out


@st.composite
def shape_mutated(draw: st.DrawFn, corpus: list[dict[str, Any]] = CORPUS) -> Any:
    body = copy.deepcopy(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(json_paths(body)))
        if not path:
            continue
        parent, key = _at(body, path[:-1]), path[-1]
        action = draw(st.sampled_from(
            ["set", "edge", "tag", "retype", "drop", "rename", "extra", "wrong_tag", "no_tag", "dup", "clear"]))
        if action == "set":
            parent[key] = copy.deepcopy(draw(json_values))
        elif action == "edge":
            parent[key] = copy.deepcopy(draw(st.sampled_from(EDGE)))
        elif action == "tag":
            parent[key] = draw(st.sampled_from(TAGS))
        elif action == "retype":
            parent[key] = copy.deepcopy(draw(st.sampled_from(_retyped(parent[key]))))
        elif action == "drop":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from([*KEYS, "Type", "typ", f"{key}_"]))] = parent.pop(key)
        elif action == "extra" and isinstance(parent[key], dict):
            parent[key][draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(json_values | st.sampled_from(TAGS + EDGE)))
        elif action == "wrong_tag" and isinstance(parent[key], dict):
            parent[key]["type"] = draw(st.sampled_from(TAGS))
        elif action == "no_tag" and isinstance(parent[key], dict):
            parent[key].pop("type", None)
        elif action == "dup" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif action == "clear" and isinstance(parent[key], (list, dict)):
            parent[key] = type(parent[key])()
    return body


def _closures(version: str, endpoint: str) -> Any:
    key = (version, endpoint)
    if key not in _CLOSURES:
        _CLOSURES[key] = _fastcheck.compile_closures(build_schema(version, endpoint))
    return _CLOSURES[key]


_CLOSURES: dict[tuple[str, str], Any] = {}
SHAPE = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


def _agree(body: Any, version: str, endpoint: str) -> None:
    fast = _fast(version, endpoint)(body)
    assert fast == get_validator(version, endpoint).is_valid(body)
    assert fast == _closures(version, endpoint)(body)


@SHAPE
@given(shape_mutated(), st.sampled_from(VERSIONS), st.sampled_from(ENDPOINTS))
def test_generated_checker_agrees_on_mutations(body: Any, version: str, endpoint: str) -> None:
    _agree(body, version, endpoint)


@SHAPE
@given(shape_mutated(CORPUS_2026), st.sampled_from(ENDPOINTS))
def test_generated_checker_agrees_on_2026_mutations(body: Any, endpoint: str) -> None:
    _agree(body, "2026-10-21", endpoint)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_generated_checker_agrees_on_every_single_path_mutation(version: str, endpoint: str) -> None:
    """Exhaustive over the rich bodies: every path dropped, retyped and set to each edge value."""
    for seed in (RICH, _blocks_body(), _thinking_loop_body(), *(CORPUS_2026 if version != "2023-06-01" else [])):
        _agree(seed, version, endpoint)
        for path in json_paths(seed)[1:]:
            values = [*_retyped(_at(seed, path)), *EDGE, "text", "custom", "ephemeral"]
            for value in [*values, ...]:
                body, value = copy.deepcopy((seed, value))
                parent = _at(body, path[:-1])
                if value is ...:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = value
                _agree(body, version, endpoint)


def test_unsupported_keyword_refused_and_str_subclasses_kept() -> None:
    with pytest.raises(ValueError, match="does not support"):
        _fastcheck.compile_schema({"type": "object", "propertyNames": {"pattern": "^a"}})

    class S(str):
        pass

    class D(dict):  # type: ignore[type-arg]
        pass

    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^x+$"},
                                               "b": {"enum": ["p", "q"]}}, "additionalProperties": False}
    gen, old = _fastcheck.compile_schema(schema), _fastcheck.compile_closures(schema)
    for value in ({"a": S("xx")}, D(a="xx"), {"a": S("xy")}, {"b": S("p")}, {"b": S("r")}, {"a": "x\n"},
                  {"a": "xx" * 200}, {1: "x"}, {"b": ["p"]}):
        assert gen(value) == old(value), value


def test_pattern_memo_stays_bounded() -> None:
    check = _fast("2023-06-01", "messages")
    body = copy.deepcopy(RICH)
    for n in range(_fastcheck._MEMO_ITEMS + 10):
        body["tools"][0]["name"] = f"tool_{n}"
        body["tool_choice"] = {"type": "auto"}
        assert check(body)
    body["tools"][0]["name"] = "x" * 129
    assert not check(body)
    generated = fast_parts("2023-06-01", "messages")[0].__globals__  # the generated module's namespace
    memos = [v for k, v in generated.items() if k.startswith("P") and isinstance(v, dict)]
    assert memos and all(len(m) <= _fastcheck._MEMO_ITEMS for m in memos)


# --------------------------------------------------------------------------- rule mutations


def _precise(body: dict[str, Any], version: str, endpoint: str) -> Any:
    """check_request with the fast message pass switched off (the precise checks alone)."""
    messages = body["messages"]
    if not messages:
        raise ApiError(400, "messages: at least one message is required")
    info = rules.check_model(body["model"], strict=False)
    max_tokens = rules._max_tokens(body, body["model"], info) if endpoint == "messages" else None
    thinking_on, breakpoints = rules._check_settings(body, max_tokens, info)
    return max_tokens, rules._check_messages(messages, breakpoints, thinking_on, info, SIGNER)


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except ApiError as e:
        return ("error", e.status, e.message)


def _ids(body: dict[str, Any]) -> list[str]:
    out = ["toolu_x"]
    for m in body["messages"]:
        if isinstance(m["content"], list):
            for b in m["content"]:
                out += [b[k] for k in ("id", "tool_use_id") if k in b]
    return out


@st.composite
def rule_mutated(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    version = draw(st.sampled_from(VERSIONS))
    corpus = CORPUS + (CORPUS_2026 if version != "2023-06-01" else [])
    body = copy.deepcopy(draw(st.sampled_from(corpus)))
    if version != "2023-06-01":
        for name in ("temperature", "top_p", "top_k"):
            body.pop(name, None)
    msgs = body["messages"]
    roles = ["user", "assistant"] + (["system"] if version != "2023-06-01" else [])
    for _ in range(draw(st.integers(1, 4))):
        if not msgs:
            break
        i = draw(st.integers(0, len(msgs) - 1))
        m = msgs[i]
        blocks = m["content"] if isinstance(m["content"], list) else []
        action = draw(st.sampled_from(["drop", "dup", "swap", "role", "content", "id", "cache", "text",
                                       "insert", "system", "move", "thinking"]))
        if action == "drop":
            del msgs[i]
        elif action == "dup":
            msgs.insert(i, copy.deepcopy(m))
        elif action == "swap":
            j = draw(st.integers(0, len(msgs) - 1))
            msgs[i], msgs[j] = msgs[j], msgs[i]
        elif action == "role":
            m["role"] = draw(st.sampled_from(roles))
            if m["role"] == "system":
                m["content"] = "sys"
        elif action == "content":
            m["content"] = draw(st.sampled_from(["", " ", "\n", [], "x", "x ", [{"type": "text", "text": " "}]]))
        elif action == "id" and blocks:
            b = draw(st.sampled_from(blocks))
            for k in ("id", "tool_use_id"):
                if k in b:
                    b[k] = draw(st.sampled_from(_ids(body)))
        elif action == "cache" and blocks:
            draw(st.sampled_from(blocks))["cache_control"] = draw(st.sampled_from([{"type": "ephemeral"}, None]))
        elif action == "text" and blocks:
            b = draw(st.sampled_from(blocks))
            if b.get("type") == "text":
                b["text"] = draw(st.sampled_from(["", " ", "ok", "ok "]))
        elif action == "insert" and m["role"] != "system":
            m["content"] = [{"type": "text", "text": "x"}, *blocks] if draw(st.booleans()) else [*blocks, {"type": "text", "text": "y"}]
        elif action == "system" and version != "2023-06-01":
            msgs.insert(i, {"role": "system", "content": draw(st.sampled_from(["s", [{"type": "text", "text": "s"}]]))})
        elif action == "move" and blocks:
            blocks.append(blocks.pop(draw(st.integers(0, len(blocks) - 1))))
        elif action == "thinking" and m["role"] == "assistant":
            m["content"] = [draw(st.sampled_from([thinking_block("t"), {**thinking_block("t"), "thinking": "u"},
                                                  {"type": "thinking", "thinking": "t", "signature": "bad"},
                                                  {"type": "redacted_thinking", "data": "bad"}])), *blocks]
    if draw(st.booleans()):
        body["thinking"] = draw(st.sampled_from([{"type": "adaptive"}, {"type": "disabled"}]))
    body["model"] = draw(st.sampled_from([body["model"], "claude-opus-4-6", "claude-sonnet-4-5", "claude-new-9"]))
    body["max_tokens"] = 16000
    return body, version


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(rule_mutated(), st.sampled_from(ENDPOINTS))
def test_fast_rules_decide_like_the_precise_rules(case: tuple[dict[str, Any], str], endpoint: str) -> None:
    body, version = case
    if endpoint == "count_tokens":
        body = {k: v for k, v in body.items() if k not in ("max_tokens", "stop_sequences", "metadata", "service_tier")}
    if not _fast(version, endpoint)(body):
        return  # a shape error: the rules never run
    rules.check_before_schema(body, version, endpoint)
    info = rules.check_model(body["model"], strict=False)
    fast = _outcome(lambda: rules.check_request(body, version=version, endpoint=endpoint, model_id=body["model"],
                                                info=info, signer=SIGNER))
    precise = _outcome(lambda: _precise(body, version, endpoint))
    assert fast == precise
    if precise[0] == "ok":  # and a valid request never needs the precise pass
        max_tokens = precise[1][0]
        thinking_on, breakpoints = rules._check_settings(body, max_tokens, info)
        found = scan.scan_messages(body["messages"], fast_parts(version, endpoint)[1], SIGNER)
        assert found is not None
        assert scan.finish_scan(found, body["messages"], breakpoints, thinking_on, info) is not None


def test_valid_corpus_takes_the_fast_pass() -> None:
    for body, _version in [*((b, "2023-06-01") for b in CORPUS), *((b, "2026-10-21") for b in CORPUS_2026)]:
        info = rules.check_model(body["model"], strict=False)
        thinking_on, breakpoints = rules._check_settings(body, body["max_tokens"], info)
        found = scan.scan_messages(body["messages"], fast_parts(_version, "messages")[1], SIGNER)
        assert found is not None and scan.finish_scan(found, body["messages"], breakpoints, thinking_on, info) is not None
        assert found.turns is None or found.turns == rules.merge_turns(body["messages"])[0]


# --------------------------------------------------------------------------- counts of the fast pass


def _answers(body: dict[str, Any], version: str, endpoint: str) -> None:
    """The answer from the fast pass's counts is the answer from counting afterwards."""
    from mockclaude.protocol import validate_messages
    from mockclaude.responders.synthetic import PromptCache, SyntheticResponder
    from mockclaude.tokens import count_request

    try:
        valid = validate_messages(body, version=version, signer=SIGNER, endpoint=endpoint)
    except ApiError:
        return
    if valid.message_tokens is not None:
        counted = count_request(valid.system_blocks, valid.messages, valid.tools, valid.message_tokens)
        assert counted == count_request(valid.system_blocks, valid.messages, valid.tools)
    if valid.cache_breakpoints is not None:
        assert valid.cache_breakpoints == _breakpoints(body)
    uncounted = copy.copy(valid)
    uncounted.message_tokens = uncounted.cache_breakpoints = None
    for _ in range(2):  # the second time, the prompt cache has the prefixes
        a, b = (SyntheticResponder(SIGNER, cache) for cache in (PromptCache(), PromptCache()))
        assert a.message(valid) == b.message(uncounted)


def _breakpoints(body: dict[str, Any]) -> int:
    """Every truthy cache_control of a request: top level, tools, system, blocks and nested blocks."""
    found = 1 if body.get("cache_control") else 0
    found += sum(1 for t in body.get("tools") or [] if t.get("cache_control"))
    system = body.get("system")
    found += sum(1 for b in system if b.get("cache_control")) if isinstance(system, list) else 0
    for m in body["messages"]:
        for b in m["content"] if isinstance(m["content"], list) else []:
            found += 1 if b.get("cache_control") else 0
            source = b.get("source")
            inner = b.get("content") if b.get("type") in ("tool_result", "search_result") else (
                source.get("content") if b.get("type") == "document" and isinstance(source, dict)
                and source.get("type") == "content" else None)
            found += sum(1 for i in inner if i.get("cache_control")) if isinstance(inner, list) else 0
    return found


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(rule_mutated(), st.sampled_from(ENDPOINTS))
def test_fast_counts_answer_like_counting_afterwards(case: tuple[dict[str, Any], str], endpoint: str) -> None:
    body, version = case
    if endpoint == "count_tokens":
        body = {k: v for k, v in body.items() if k not in ("max_tokens", "stop_sequences", "metadata", "service_tier")}
    _answers(body, version, endpoint)


def test_valid_corpus_is_counted_by_the_fast_pass() -> None:
    from .helpers import ok

    for body, version in [*((b, "2023-06-01") for b in CORPUS), *((b, "2026-10-21") for b in CORPUS_2026)]:
        valid = ok(body, version)
        assert valid.message_tokens is not None and valid.cache_breakpoints is not None
        _answers(body, version, "messages")


@SHAPE
@given(shape_mutated(CORPUS + CORPUS_2026), st.sampled_from(VERSIONS), st.sampled_from(ENDPOINTS))
def test_a_right_shape_never_breaks_a_before_schema_rule(body: Any, version: str, endpoint: str) -> None:
    from mockclaude.protocol.schema import shape_ok

    if shape_ok(body, version, endpoint):
        rules.check_before_schema(body, version, endpoint)  # raises nothing


def test_compiled_checker_cache_is_used_and_survives_damage(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("MOCKCLAUDE_CACHE_DIR", str(tmp_path / "cache"))
    schema = build_schema("2023-06-01", "count_tokens")
    fresh = _fastcheck.compile_schema(schema)
    [cached] = (tmp_path / "cache").iterdir()
    again = _fastcheck.compile_schema(schema)  # from the cache
    cached.write_bytes(b"not marshal data")  # damaged: compiled again, and the cache rewritten
    repaired = _fastcheck.compile_schema(schema)
    assert cached.read_bytes() != b"not marshal data"
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("MOCKCLAUDE_CACHE_DIR", str(tmp_path / "file" / "sub"))  # cannot be created
    uncached = _fastcheck.compile_schema(schema)
    for body in [{"model": MODEL, "messages": [{"role": "user", "content": "x"}]}, {"model": MODEL}, *CORPUS]:
        body = {k: v for k, v in body.items() if k not in ("max_tokens", "stop_sequences", "metadata", "service_tier")}
        answers = {f(body) for f in (fresh, again, repaired, uncached)}
        assert answers == {get_validator("2023-06-01", "count_tokens").is_valid(body)}
