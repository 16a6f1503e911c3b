"""Layer 1 of request validation: the shape of a request body, as a JSON Schema per API version.

The schema is built once per (version, endpoint) from ``_sdk_defs`` (generated from the official SDK's
request types) plus what the types cannot say (patterns, bounds, the 2023-06-01 sampling fields), and
validated with ``jsonschema`` (Draft 2020-12). Discriminated unions (content blocks, tools, sources,
``thinking``, ``cache_control``…) use one extra keyword, ``x-discriminator``: it picks the variant by
the ``type`` field and descends only into that one — so an error names the real problem, the cost is
one dict lookup, and the error path gets the API's tag segment (``content.1.image.source.base64…``).

Accepting a valid body is the hot path: :func:`shape_error` first runs a checker compiled from the
very same schema into generated Python (see ``_fastcheck``); only when that says "invalid" does
``jsonschema`` run, to find and word the error. Tests check that both agree on random input.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, invalid
from . import _fastcheck
from ._sdk_defs import DEFS, ROOTS

if TYPE_CHECKING:  # jsonschema is imported when a body is invalid: a valid one never needs it
    from jsonschema import ValidationError  # type: ignore[import-untyped]

__all__ = ["ENDPOINTS", "build_schema", "fast_parts", "get_validator", "shape_error", "shape_ok"]

ENDPOINTS = ("messages", "count_tokens")

# Patterns and bounds the real API enforces that the SDK types do not spell out.
TOOL_NAME_PATTERN = "^[a-zA-Z0-9_-]{1,128}$"
TOOL_USE_ID_PATTERN = "^[a-zA-Z0-9_-]+$"
SERVER_TOOL_USE_ID_PATTERN = "^srvtoolu_[a-zA-Z0-9_]+$"
MAX_MESSAGES = 100_000
MIN_BUDGET_TOKENS = 1024
_SINGLE_TAG_UNIONS = {"CacheControlEphemeralParam": "ephemeral"}


# --------------------------------------------------------------------------- schema construction


def _node(node: dict[str, Any]) -> dict[str, Any]:
    kind = node["kind"]
    if kind == "str":
        return {"type": "string"}
    if kind == "int":
        return {"type": "integer"}
    if kind == "float":
        return {"type": "number"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "any":
        return {}
    if kind == "dict":
        return {"type": "object"}
    if kind == "enum":
        return {"enum": list(node["values"])}
    if kind == "ref":
        if node["name"] in _SINGLE_TAG_UNIONS:
            # The API models these as discriminated unions of one member, so its error paths carry
            # the tag (`cache_control.ephemeral.ttl`); model them the same way.
            tag = _SINGLE_TAG_UNIONS[node["name"]]
            return {
                "type": "object",
                "x-discriminator": {
                    "property": "type",
                    "mapping": {tag: f"#/$defs/{node['name']}"},
                    "default": None,
                },
            }
        return {"$ref": f"#/$defs/{node['name']}"}
    if kind == "array":
        return {"type": "array", "items": _node(node["items"])}
    if kind == "nullable":
        return {"anyOf": [_node(node["of"]), {"type": "null"}]}
    if kind == "anyof":
        return {"anyOf": [_node(n) for n in node["of"]]}
    if kind == "union":
        return {
            "type": "object",
            "x-discriminator": {
                "property": node["tag"],
                "mapping": {tag: f"#/$defs/{name}" for tag, name in node["variants"].items()},
                "default": _default_tag(node),
            },
        }
    raise ValueError(f"unknown node kind {kind!r}")


def _default_tag(node: dict[str, Any]) -> str | None:
    name = node.get("optional_tag")
    if name is None:
        return None
    return str(next(tag for tag, n in node["variants"].items() if n == name))


def _object(defn: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if defn["required"]:
        out["required"] = list(defn["required"])
    out["properties"] = {k: _node(v) for k, v in defn["props"].items()}
    if not defn["extra"]:
        out["additionalProperties"] = False
    return out


@functools.cache
def build_schema(version: str, endpoint: str = "messages") -> dict[str, Any]:
    """The Draft 2020-12 schema (with ``x-discriminator``) of a request body."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {ENDPOINTS}, not {endpoint!r}")
    defs = {name: _object(d) for name, d in DEFS.items()}
    # --- what the types do not say
    defs["ToolParam"]["properties"]["name"]["pattern"] = TOOL_NAME_PATTERN
    defs["ToolUseBlockParam"]["properties"]["id"]["pattern"] = TOOL_USE_ID_PATTERN
    defs["ToolResultBlockParam"]["properties"]["tool_use_id"]["pattern"] = TOOL_USE_ID_PATTERN
    defs["ServerToolUseBlockParam"]["properties"]["id"]["pattern"] = SERVER_TOOL_USE_ID_PATTERN
    defs["ThinkingConfigEnabledParam"]["properties"]["budget_tokens"]["minimum"] = MIN_BUDGET_TOKENS
    # Messages: the role is checked (with the API's own wording) before the schema runs, so here it
    # only selects the variant; it adds no segment to error paths (`messages.3.content.0…`).
    roles = {"user": "UserMessageParam", "assistant": "AssistantMessageParam"}
    if version != "2023-06-01":
        roles["system"] = "SystemMessageParam"
    for name in roles.values():
        defs[name]["properties"]["role"] = {"type": "string"}
    message = {
        "type": "object",
        "x-discriminator": {
            "property": "role",
            "mapping": {role: f"#/$defs/{name}" for role, name in roles.items()},
            "default": None,
            "in_path": False,
        },
    }

    root_def = DEFS[ROOTS["MessageCreateParams" if endpoint == "messages" else "MessageCountTokensParams"]]
    root = _object(root_def)
    props = root["properties"]
    props["model"] = {"type": "string"}
    props["messages"] = {"type": "array", "maxItems": MAX_MESSAGES, "items": message}
    if endpoint == "messages":
        props["max_tokens"] = {"type": "integer", "minimum": 0}
        props["stream"] = {"type": "boolean"}
        if version == "2023-06-01":
            # removed in 2026-10-21 (the SDK of that version no longer has them)
            props["temperature"] = {"type": "number", "minimum": 0, "maximum": 1}
            props["top_p"] = {"type": "number", "minimum": 0, "maximum": 1}
            props["top_k"] = {"type": "integer", "minimum": 0}
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["$defs"] = defs
    return root


# --------------------------------------------------------------------------- the validator


def _x_discriminator(
    validator: Any, spec: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if not isinstance(instance, dict):
        return  # the sibling "type": "object" reports it
    prop = spec["property"]
    tag = instance.get(prop)
    if tag is None:
        tag = spec["default"]
        if tag is None:
            yield ValidationError(
                f"Unable to extract tag using discriminator '{prop}'", validator="x-discriminator"
            )
            return
    target = spec["mapping"].get(tag) if isinstance(tag, str) else None
    if target is None:
        expected = ", ".join(f"'{t}'" for t in spec["mapping"])
        shown = tag if isinstance(tag, str) else _short_json(tag)
        yield ValidationError(
            f"Input tag '{shown}' found using '{prop}' does not match any of the expected tags: {expected}",
            validator="x-discriminator",
        )
        return
    in_path = spec.get("in_path", True)
    for error in validator.descend(instance, {"$ref": target}, schema_path=tag):
        if in_path:
            error.path.appendleft(tag)
        yield error


def _short_json(value: Any) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


@functools.cache
def _validator_class() -> Any:
    import jsonschema

    return jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-discriminator": _x_discriminator})


def __getattr__(name: str) -> Any:
    # ``_Validator``, the jsonschema class with x-discriminator, made on first use (imports jsonschema)
    if name == "_Validator":
        return _validator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def get_validator(version: str, endpoint: str = "messages") -> Any:
    """The compiled jsonschema validator (built once per version and endpoint)."""
    return _validator_class()(build_schema(version, endpoint))


@functools.cache
def fast_parts(version: str, endpoint: str = "messages") -> tuple[Callable[[Any], bool], Callable[[Any], bool]]:
    """The generated checker in two parts: (the body but for the items of ``messages``, one message).

    A body is of the right shape exactly when the first says yes and the second says yes to each of
    its messages — which lets the validator check each message's shape on its way through the
    messages for the rules, in one pass (see ``rules.scan_messages``)."""
    root = build_schema(version, endpoint)
    props = root["properties"]
    if "messages" not in root.get("required", ()):  # the split below relies on it
        raise ValueError("the request schema must require messages")
    messages = {k: v for k, v in props["messages"].items() if k != "items"}
    outer = {**root, "properties": {**props, "messages": messages}}
    checks = _fastcheck.compile_checks(outer, {"entry_message": props["messages"]["items"]})
    return checks["check"], checks["entry_message"]


@functools.cache
def _fast(version: str, endpoint: str) -> Callable[[Any], bool]:
    """The whole body's check, from the two parts of :func:`fast_parts`."""
    outer, message = fast_parts(version, endpoint)

    def check(body: Any) -> bool:
        # outer() says the body is an object whose "messages" is a list
        return bool(outer(body)) and all(map(message, body["messages"]))

    return check


def shape_ok(body: Any, version: str, endpoint: str = "messages") -> bool:
    """True when ``body`` has the right shape (the fast checker alone; False when it cannot tell,
    e.g. nesting too deep for it: :func:`shape_error` then words the answer)."""
    try:
        return bool(_fast(version, endpoint)(body))
    except RecursionError:
        return False


def shape_error(body: Any, version: str, endpoint: str = "messages") -> ApiError | None:
    """None when ``body`` has the right shape; else the 400 the API answers, worded like it."""
    try:
        if _fast(version, endpoint)(body):
            return None
        error = next(iter(get_validator(version, endpoint).iter_errors(body)), None)
    except RecursionError:
        return invalid("The request body is too deeply nested")
    if error is None:  # pragma: no cover - the fast checker and jsonschema disagree
        return None
    return invalid(_describe(error, build_schema(version, endpoint)))


# --------------------------------------------------------------------------- error wording

_TYPE_WORDS = {
    "string": "a valid string",
    "integer": "a valid integer",
    "number": "a valid number",
    "boolean": "a valid boolean",
    "object": "a valid dictionary",
    "array": "a valid list",
    "null": "None",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _branch_types(root: dict[str, Any], schema: Any) -> set[str]:
    """The JSON types a branch of an ``anyOf`` accepts (``$ref`` followed)."""
    if not isinstance(schema, dict):
        return set()
    if "$ref" in schema:  # always "#/$defs/<name>" here
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    t = schema.get("type")
    if isinstance(t, str):
        return {"number", "integer"} if t == "number" else {t}
    if isinstance(t, list):
        return set(t)
    if "enum" in schema:
        return {_json_type(v) for v in schema["enum"]}
    return set()


def _pick(error: ValidationError, root: dict[str, Any]) -> ValidationError:
    """For an ``anyOf`` failure, the error of the branch the input was evidently meant for."""
    while error.validator == "anyOf" and error.context:
        kind = _json_type(error.instance)
        branches = error.validator_value
        chosen = next((i for i, b in enumerate(branches) if kind in _branch_types(root, b)), None)
        if kind == "integer" and chosen is None:
            chosen = next((i for i, b in enumerate(branches) if "number" in _branch_types(root, b)), None)
        if chosen is None:
            return error
        subs = [e for e in error.context if e.schema_path and e.schema_path[0] == chosen]
        if not subs:
            return error
        error = subs[0]
    return error


def _path(error: ValidationError) -> list[Any]:
    return list(error.absolute_path)


def _fmt_path(parts: list[Any]) -> str:
    return ".".join(str(p) for p in parts)


def _literal(values: list[Any]) -> str:
    shown = [f"'{v}'" if isinstance(v, str) else _short_json(v) for v in values]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def _describe(error: ValidationError, root: dict[str, Any]) -> str:
    picked = _pick(error, root)
    path = _path(picked)
    kw = picked.validator
    value = picked.validator_value
    inst = picked.instance
    if kw == "anyOf":
        # no branch takes this JSON type at all
        kinds: list[str] = []
        for branch in value:
            for t in sorted(_branch_types(root, branch)):
                if t != "null" and _TYPE_WORDS[t] not in kinds:
                    kinds.append(_TYPE_WORDS[t])
        what = " or ".join(kinds) if kinds else "valid"
        return f"{_fmt_path(path)}: Input should be {what}"
    if kw == "required":
        missing = next((k for k in value if k not in inst), value[0])
        return f"{_fmt_path([*path, missing])}: Field required"
    if kw == "additionalProperties":
        known = picked.schema.get("properties", {})
        extra = next((k for k in inst if k not in known), "")
        return f"{_fmt_path([*path, extra])}: Extra inputs are not permitted"
    prefix = f"{_fmt_path(path)}: " if path else ""
    if kw == "type":
        want = value if isinstance(value, str) else value[0]
        msg = f"Input should be {_TYPE_WORDS.get(want, 'valid')}"
        if want == "integer" and isinstance(inst, float):
            msg += ", got a number with a fractional part"
        return prefix + msg
    if kw == "enum":
        return prefix + f"Input should be {_literal(value)}"
    if kw == "const":
        return prefix + f"Input should be {_literal([value])}"
    if kw == "pattern":
        return prefix + f"String should match pattern '{value}'"
    if kw == "minimum":
        return prefix + f"Input should be greater than or equal to {value}"
    if kw == "maximum":
        return prefix + f"Input should be less than or equal to {value}"
    if kw == "maxItems":
        return prefix + f"List should have at most {value} items after validation, not {len(inst)}"
    if kw == "minItems":
        return (
            prefix
            + f"List should have at least {value} item{'s' if value != 1 else ''} after validation, not {len(inst)}"
        )
    if kw == "x-discriminator":
        return prefix + str(picked.message)
    return prefix + re.sub(r"\s+", " ", str(picked.message))[:200]
