"""Generated values validate against their schemas: random schemas, Pydantic models, known cases."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter

from mockclaude.responders.jsonschema_gen import instance_for_schema
from mockclaude.responders.regex_gen import string_for_pattern

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _check(schema: Any) -> Any:
    value = instance_for_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=CHECKER).validate(value)
    return value


# --- random satisfiable schemas ---------------------------------------------------------------------

PATTERNS = [r"^[A-Z]{3}-\d{4}$", r"^\S+@\S+\.\S+$", r"^#[0-9a-fA-F]{6}$", r"^(foo|bar)+$", r"\d", r"^[a-z_]+$",
            r"^\+?[1-9]\d{1,14}$", r"^v\d+\.\d+\.\d+(-[a-z]+)?$", r"^[^\s]{2,}$", r"^(?:[01]\d|2[0-3]):[0-5]\d$"]
FORMATS = ["date-time", "date", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname", "duration",
           "json-pointer"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-50, 50), st.text("abc", max_size=3))


@st.composite
def integers(draw: st.DrawFn) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "integer"}
    step = draw(st.sampled_from([None, 1, 2, 5, 7]))
    lo = draw(st.one_of(st.none(), st.integers(-100, 100)))
    width = draw(st.integers(0, 40)) + (step or 1) + 2
    if lo is not None:
        s["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = lo
        if draw(st.booleans()):
            s["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = lo + width
    if step:
        s["multipleOf"] = step
    return s


@st.composite
def numbers(draw: st.DrawFn) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "number"}
    lo = draw(st.one_of(st.none(), st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2))))
    width = draw(st.floats(0.5, 50).map(lambda x: round(x, 2)))
    if lo is not None:
        s["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = lo
        if draw(st.booleans()):
            s["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = lo + width
    elif draw(st.booleans()):
        s["multipleOf"] = draw(st.sampled_from([0.5, 0.25, 3]))
    return s


@st.composite
def strings(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["plain", "pattern", "format", "lengths"]))
    if kind == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(PATTERNS))}
    if kind == "format":
        return {"type": "string", "format": draw(st.sampled_from(FORMATS))}
    if kind == "lengths":
        lo = draw(st.integers(0, 12))
        return {"type": "string", "minLength": lo, "maxLength": lo + draw(st.integers(0, 5))}
    return {"type": "string"}


leaves = st.one_of(
    integers(), numbers(), strings(), st.just({"type": "boolean"}), st.just({"type": "null"}), st.just({}),
    st.lists(scalars, min_size=1, max_size=4, unique_by=lambda x: (type(x).__name__, x)).map(lambda e: {"enum": e}),
    scalars.map(lambda c: {"const": c}),
)
NAMES = st.sampled_from(["id", "name", "items", "next", "value", "kind", "meta", "data"])


@st.composite
def objects(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> dict[str, Any]:
    props = draw(st.dictionaries(NAMES, children, max_size=4))
    s: dict[str, Any] = {"type": "object", "properties": props}
    s["required"] = [n for n in props if draw(st.booleans())]
    extra = draw(st.sampled_from(["absent", "false", "schema"]))
    if extra == "false":
        s["additionalProperties"] = False
    elif extra == "schema":
        s["additionalProperties"] = draw(children)
        if draw(st.booleans()):
            s["minProperties"] = len(props) + 1
    return s


@st.composite
def arrays(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> dict[str, Any]:
    lo = draw(st.integers(0, 3))
    s: dict[str, Any] = {"type": "array", "items": draw(children), "minItems": lo}
    if draw(st.booleans()):
        s["maxItems"] = lo + draw(st.integers(0, 3))
    if draw(st.booleans()):
        s = {"type": "array", "prefixItems": [draw(children), draw(children)], "items": draw(children)}
    return s


def _open(obj: dict[str, Any], suffix: str) -> dict[str, Any]:
    """An object part for allOf: its own member names (parts that disagree are unsatisfiable), open."""
    return {"type": "object", "properties": {k + suffix: v for k, v in obj["properties"].items()},
            "required": [k + suffix for k in obj["required"]]}


def composites(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        objects(children),
        arrays(children),
        st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b}),
        children.map(lambda c: {"anyOf": [c, {"type": "null"}]}),
        st.tuples(strings(), integers()).map(lambda t: {"oneOf": list(t)}),
        st.tuples(objects(children), objects(children)).map(lambda t: {"allOf": [_open(t[0], ""), _open(t[1], "_b")]}),
        children.map(lambda c: {"allOf": [c]}),
    )


schemas = st.recursive(leaves, composites, max_leaves=12)


@st.composite
def with_defs(draw: st.DrawFn) -> dict[str, Any]:
    """A schema whose parts live in ``$defs`` and are referenced, as Pydantic and Zod write them."""
    defs = draw(st.lists(schemas, min_size=1, max_size=3))
    root = draw(schemas)
    refs = [{"$ref": f"#/$defs/D{i}"} for i in range(len(defs))]
    body = {"type": "object", "properties": {f"p{i}": r for i, r in enumerate(refs)} | {"root": root},
            "required": [f"p{i}" for i in range(len(refs))]}
    return {**body, "$defs": {f"D{i}": d for i, d in enumerate(defs)}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas)
def test_random_schemas(schema: Any) -> None:
    _check(schema)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_defs())
def test_random_schemas_with_refs(schema: Any) -> None:
    _check(schema)


# --- Pydantic models (what instructor, pydantic-ai, LangChain and llama-index send) -----------------

class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class City(BaseModel):
    name: str
    population: Annotated[int, Field(ge=1000)]
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: Annotated[int, Field(ge=1, le=9)]


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


class Tree(BaseModel):
    label: str
    children: list[Tree] = []
    parent: Tree | None = None


class Everything(BaseModel):
    cities: list[City]
    capital: City | None
    by_code: dict[str, City]
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]
    color: Color
    when: dt.datetime
    day: dt.date
    ident: uuid.UUID
    ratio: Annotated[float, Field(gt=0, lt=1)]
    price: Annotated[float, Field(multiple_of=0.01, ge=0)]
    tags: Annotated[list[str], Field(min_length=2, max_length=4)]
    unique: set[int]
    pair: tuple[int, str]
    short: Annotated[str, Field(min_length=3, max_length=5)]
    tree: Tree
    note: str | None = None


@pytest.mark.parametrize("model", [City, Cat, Tree, Everything])
def test_pydantic_models(model: type[BaseModel]) -> None:
    value = _check(model.model_json_schema())
    model.model_validate(value)  # Pydantic agrees, formats included


def test_instructor_list_of_cities() -> None:
    """instructor's `list[City]` tool: items are a $ref into $defs (was `{"tasks": ["tasks"]}`)."""
    schema = TypeAdapter(list[City]).json_schema()
    wrapped = {"type": "object", "properties": {"tasks": {"type": "array", "items": schema["items"]}},
               "required": ["tasks"], "$defs": schema["$defs"]}
    value = _check(wrapped)
    assert value["tasks"] and value["tasks"][0]["country_code"] == "AA"


def test_recursion_is_bounded() -> None:
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "required": ["next"], "properties": {
        "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}}}
    value = _check(schema)
    depth = 0
    while value is not None:
        value, depth = value["next"], depth + 1
    assert 1 <= depth <= 10
    assert _check({"type": "object", "properties": {"self": {"$ref": "#"}}}) is not None


def test_one_of_gets_a_value_matching_exactly_one() -> None:
    assert isinstance(_check({"oneOf": [{"type": "integer"}, {"type": "number"}]}), float)


@pytest.mark.parametrize("pattern", [*PATTERNS, r"^(a|b)\1$", r"^[^a0Ab1x]$", r"^.{3}$", r"x*y+z?", r"(?i)^abc$"])
def test_regex_strings_match(pattern: str) -> None:
    import re

    made = string_for_pattern(pattern)
    assert made is not None and re.search(pattern, made)
    long = string_for_pattern(pattern, 6, 30)
    assert long is None or (6 <= len(long) <= 30 and re.search(pattern, long))


def test_regex_unsatisfiable_lengths_and_bad_patterns_give_none() -> None:
    assert string_for_pattern(r"^a{2}$", 5) is None
    assert string_for_pattern("(") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["type", "$ref", "items", "properties", "anyOf", "allOf", "oneOf", "not",
                                       "enum", "const", "pattern", "minimum", "maxLength", "required", "if",
                                       "then", "additionalProperties", "$defs", "multipleOf", "format", "x"]),
                      children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_as_a_schema_never_raises(schema: Any) -> None:
    """A broken schema (the API would refuse it; the double does not judge schemas) gets a value, never a 500."""
    import json

    json.dumps(instance_for_schema(schema))  # serialisable, whatever came in
