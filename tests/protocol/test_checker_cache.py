"""The generated shape checker kept on disk (``_fastcheck._generated``): a checker loaded from the
cache answers exactly like a freshly generated one, and a cache entry is never used for another
schema or another version of the generator."""

from __future__ import annotations

from typing import Any

import pytest

from mockclaude.protocol import _fastcheck

# Every kind of constant the generator writes: patterns (compiled searches and their memo), string
# enums, other enums, bounds, and a discriminated union's table of functions.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "items"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z]+_[0-9]+$"},
        "mode": {"enum": ["fast", "slow"]},
        "level": {"enum": [1, "two", None]},
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "items": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/Item"}},
    },
    "$defs": {
        "Item": {
            "type": "object",
            "x-discriminator": {"property": "type", "mapping": {"a": "#/$defs/A", "b": "#/$defs/B"}, "default": None},
        },
        "A": {"type": "object", "required": ["type"], "properties": {"type": {"const": "a"}, "n": {"type": "number"}}},
        "B": {"type": "object", "required": ["type", "s"], "properties": {"type": {"const": "b"}, "s": {"type": "string"}}},
    },
}

BODIES: list[Any] = [
    {"id": "abc_12", "items": []},
    {"id": "abc_12", "items": [{"type": "a", "n": 1.5}, {"type": "b", "s": "x"}], "mode": "fast", "level": None, "size": 10},
    {"id": "ABC_12", "items": []},  # pattern
    {"id": "abc_12", "items": [], "mode": "medium"},  # string enum
    {"id": "abc_12", "items": [], "level": 2},  # other enum
    {"id": "abc_12", "items": [], "size": 11},  # bound
    {"id": "abc_12", "items": [{"type": "b"}]},  # union member's required
    {"id": "abc_12", "items": [{"type": "c"}]},  # unknown tag
    {"id": "abc_12", "items": [{"type": "a"}] * 4},  # maxItems
    {"id": "abc_12", "items": [], "extra": 1},  # additionalProperties
    {"items": []},
    [],
]


@pytest.fixture
def cache(tmp_path: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("MOCKCLAUDE_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_a_checker_from_the_cache_answers_like_a_fresh_one(cache: Any) -> None:
    fresh = _fastcheck.compile_schema(SCHEMA)
    [entry] = cache.iterdir()
    cached = _fastcheck.compile_schema(SCHEMA)
    assert [cached(b) for b in BODIES] == [fresh(b) for b in BODIES]
    assert [fresh(b) for b in BODIES] == [True, True] + [False] * (len(BODIES) - 2)
    # a damaged entry is generated again and replaced, never trusted
    entry.write_bytes(b"\x00damaged")
    again = _fastcheck.compile_schema(SCHEMA)
    assert [again(b) for b in BODIES] == [fresh(b) for b in BODIES]
    assert entry.read_bytes() != b"\x00damaged"


def test_the_cache_is_keyed_by_the_schema_and_the_generator(cache: Any, monkeypatch: Any) -> None:
    _fastcheck.compile_schema(SCHEMA)
    looser = {**SCHEMA, "additionalProperties": True}
    check = _fastcheck.compile_schema(looser)
    assert check({"id": "abc_12", "items": [], "extra": 1})  # not the stricter schema's entry
    assert len(list(cache.iterdir())) == 2
    monkeypatch.setattr(_fastcheck, "_generator_digest", lambda: "another version of the generator")
    _fastcheck.compile_schema(SCHEMA)
    assert len(list(cache.iterdir())) == 3


def test_without_the_generator_source_nothing_is_cached(cache: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_fastcheck, "_generator_digest", lambda: None)  # e.g. a zip import: staleness unknowable
    check = _fastcheck.compile_schema(SCHEMA)
    assert [check(b) for b in BODIES[:3]] == [True, True, False]
    assert list(cache.iterdir()) == []
