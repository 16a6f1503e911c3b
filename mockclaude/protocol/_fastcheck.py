"""Compile the request schema into plain Python closures that only answer "valid or not".

jsonschema walks a schema generically and costs tens of microseconds per block; a request that is
fine (nearly all of them) needs only a yes. This compiles the subset of Draft 2020-12 that
:mod:`.schema` emits — ``type``, ``enum``, ``const``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``anyOf``, ``$ref`` (local), ``pattern``, ``minimum``,
``maximum``, ``minItems``, ``maxItems`` and ``x-discriminator`` — with jsonschema's semantics. Any other
keyword raises at compile time, so the two can never silently disagree; the tests also check that
they agree on random bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$defs", "description", "title", "default", "examples"}


def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_int,
    "number": _is_num,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _always(_: Any) -> bool:
    return True


def _eq_json(a: Any, b: Any) -> bool:
    # jsonschema's equality: bool is not a number, 1 == 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _type_check(fns: list[Check]) -> Check:
    if len(fns) == 1:
        return fns[0]
    return lambda v: any(f(v) for f in fns)


def _enum_check(values: list[Any]) -> Check:
    if all(isinstance(x, str) for x in values):
        allowed = frozenset(values)
        return lambda v: isinstance(v, str) and v in allowed
    return lambda v: any(_eq_json(v, x) for x in values)


def _pattern_check(rx: re.Pattern[str]) -> Check:
    search = rx.search
    return lambda v: not isinstance(v, str) or search(v) is not None


def _bound_check(kw: str, m: Any) -> Check:
    if kw == "minimum":
        return lambda v: not _is_num(v) or bool(v >= m)
    if kw == "maximum":
        return lambda v: not _is_num(v) or bool(v <= m)
    if kw == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= m
    return lambda v: not isinstance(v, list) or len(v) <= m


def _any_check(branches: list[Check]) -> Check:
    return lambda v: any(b(v) for b in branches)


def _items_check(item: Check) -> Check:
    return lambda v: not isinstance(v, list) or all(item(x) for x in v)


def _required_check(req: tuple[str, ...]) -> Check:
    return lambda v: not isinstance(v, dict) or all(k in v for k in req)


def _empty_object_check(v: Any) -> bool:
    return not isinstance(v, dict) or not v


def _all_check(checks: list[Check]) -> Check:
    if len(checks) == 2:
        a, b = checks
        return lambda v: a(v) and b(v)
    return lambda v: all(c(v) for c in checks)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if ref not in self.refs:
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {ref!r}")
            slot: list[Check] = []
            self.refs[ref] = lambda v: slot[0](v)  # placeholder: allows recursive definitions
            slot.append(self.compile(self.root["$defs"][ref[len("#/$defs/") :]]))
            self.refs[ref] = slot[0]
            return lambda v: slot[0](v)
        return self.refs[ref]

    def compile(self, schema: dict[str, Any]) -> Check:
        checks: list[Check] = []
        for kw, value in schema.items():
            if kw in _ANNOTATIONS:
                continue
            if kw == "type":
                types = [value] if isinstance(value, str) else list(value)
                checks.append(_type_check([_TYPES[t] for t in types]))
            elif kw == "enum":
                checks.append(_enum_check(list(value)))
            elif kw == "const":
                checks.append(_enum_check([value]))
            elif kw == "pattern":
                checks.append(_pattern_check(re.compile(value)))
            elif kw in ("minimum", "maximum", "minItems", "maxItems"):
                checks.append(_bound_check(kw, value))
            elif kw == "$ref":
                checks.append(self.ref(value))
            elif kw == "anyOf":
                checks.append(_any_check([self.compile(b) for b in value]))
            elif kw == "items":
                checks.append(_items_check(self.compile(value)))
            elif kw == "required":
                checks.append(_required_check(tuple(value)))
            elif kw == "properties":
                props = {k: self.compile(s) for k, s in value.items()}
                closed = schema.get("additionalProperties") is False
                checks.append(self._properties(props, closed))
            elif kw == "additionalProperties":
                if value is not False and value is not True:
                    raise ValueError("additionalProperties must be a boolean here")
                if value is False and "properties" not in schema:
                    checks.append(_empty_object_check)
            elif kw == "x-discriminator":
                checks.append(self._discriminator(value))
            else:
                raise ValueError(f"fast checker does not support the keyword {kw!r}")
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return _all_check(checks)

    @staticmethod
    def _properties(props: dict[str, Check], closed: bool) -> Check:
        get = props.get

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for k, x in v.items():
                f = get(k)
                if f is None:
                    if closed:
                        return False
                elif not f(x):
                    return False
            return True

        return check

    def _discriminator(self, spec: dict[str, Any]) -> Check:
        prop = spec["property"]
        default = spec.get("default")
        mapping = {tag: self.ref(ref) for tag, ref in spec["mapping"].items()}

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            tag = v.get(prop)
            if tag is None:
                tag = default
            f = mapping.get(tag) if isinstance(tag, str) else None
            return f is not None and f(v)

        return check


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether an instance is valid under ``schema`` (the subset described above)."""
    return _Compiler(schema).compile(schema)
