"""A deterministic JSON value valid against a JSON Schema (tool inputs and structured outputs).

What the real API guarantees for ``strict`` tools and ``output_config.format``, the double gives
for every schema it can: the value validates. The generator understands what schemas built by
Pydantic, Zod, instructor and hand-written tool definitions use — local ``$ref`` into
``$defs``/``definitions`` (and ``#`` itself), ``allOf`` (merged), ``anyOf``/``oneOf`` (the first
branch that works; ``oneOf`` checks the others fail), ``not``, ``if``/``then``/``else``,
``enum``/``const``, type lists and nullable types, numeric bounds and ``multipleOf``, string lengths,
``pattern`` (:mod:`.regex_gen`) and formats, arrays (``items``, ``prefixItems``, ``contains``,
bounds, ``uniqueItems``), objects (``required``, ``properties``, ``patternProperties``,
``additionalProperties``, ``propertyNames``, ``min/maxProperties``, ``dependentRequired``), and
recursion (bounded: past a depth the cheapest branch, no optional members, fewest items).

Each candidate is checked with jsonschema (a runtime dependency already); a richer candidate (with
optional properties) is preferred, a minimal one is the fallback. A schema no value satisfies, or
one using remote references, gets the best effort (the answer is then not valid: nothing is).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import unquote

from .regex_gen import string_for_pattern

__all__ = ["SchemaValues", "instance_for_schema"]

_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "json-pointer": "/mock",
    "relative-json-pointer": "0",
    "regex": "mock",
}
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "deprecated", "readOnly",
                          "writeOnly", "$schema", "$id", "$anchor"})
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_RICH_DEPTH = 4  # optional members are filled in above this depth
_DEEP = 8  # past this depth every choice goes for the cheapest, terminating value
_MAX_DEPTH = 40


def _type_of(schema: dict[str, Any]) -> list[str]:
    """The types a schema allows, in preference order (inferred from its keywords when untyped)."""
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list) and t:
        return sorted((x for x in t if isinstance(x, str)), key=lambda x: _TYPE_ORDER.index(x) if x in _TYPE_ORDER else 9)
    if any(k in schema for k in ("properties", "required", "additionalProperties", "patternProperties",
                                 "minProperties", "maxProperties", "propertyNames")):
        return ["object"]
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")):
        return ["array"]
    if any(k in schema for k in ("pattern", "minLength", "maxLength", "format", "x-patterns")):
        return ["string"]
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return ["number"]
    return ["string", "integer", "boolean", "null", "object", "array"]


def _intersect_types(a: list[str], b: list[str]) -> list[str]:
    out = []
    for t in a:
        if t in b:
            out.append(t)
        elif t == "number" and "integer" in b:
            out.append("integer")
        elif t == "integer" and "number" in b:
            out.append("integer")
    return list(dict.fromkeys(out))


class SchemaValues:
    """Values for one root schema (its ``$ref`` targets resolve against it)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._merging = 0  # nesting of merges started by deref (bounds self-referencing chains)
        # jsonschema on first use: a server whose requests carry no schema never loads it (cold start)
        import jsonschema  # type: ignore[import-untyped]
        from jsonschema import validators

        try:
            cls = validators.validator_for(root, default=jsonschema.Draft202012Validator) if isinstance(root, dict) \
                else jsonschema.Draft202012Validator
            self._validator: Any = cls(root, format_checker=cls.FORMAT_CHECKER)
        except Exception:  # a schema jsonschema cannot load: generate without checking
            self._validator = None

    # --- checking --------------------------------------------------------------------------------

    def valid(self, value: Any, schema: Any = None) -> bool:
        """Whether ``value`` validates against ``schema`` (default: the root), refs resolved from the root."""
        if self._validator is None:
            return True
        try:
            if schema is None or schema is self.root:
                return bool(self._validator.is_valid(value))
            return next(iter(self._validator.descend(value, schema)), None) is None
        except Exception:  # an unresolvable ref, a bad regex: cannot tell
            return True

    # --- references and merging ------------------------------------------------------------------

    def _resolve(self, ref: str) -> Any:
        if ref == "#" or ref == "":
            return self.root
        if not ref.startswith("#/"):
            return {}  # remote or anchor references: not followed
        node: Any = self.root
        for part in ref[2:].split("/"):
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def deref(self, schema: Any) -> Any:
        """``schema`` with a top-level ``$ref`` replaced by its target (merged with the siblings).

        A reference back into a chain being resolved (``{"$ref": "#", ...}`` at the root) adds
        nothing the chain does not already say, and is dropped.
        """
        seen: list[Any] = []
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and len(seen) < 32:
            seen.append(schema)
            target = self._resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref" and k not in _ANNOTATIONS}
            if any(target is s for s in seen) or self._merging > 16:
                schema = rest
            elif rest:
                self._merging += 1
                try:
                    schema = self.merge(target, rest)
                finally:
                    self._merging -= 1
            else:
                schema = target
        return schema

    def merge(self, a: Any, b: Any) -> Any:
        """One schema with the constraints of both (what ``allOf`` means), as far as they combine."""
        a, b = self.deref(a), self.deref(b)
        if a is True or a == {}:
            return b
        if b is True or b == {}:
            return a
        if a is False or b is False or not isinstance(a, dict) or not isinstance(b, dict):
            return False
        out = dict(a)
        for key, bv in b.items():
            if key in _ANNOTATIONS:
                continue
            if key not in out:
                out[key] = bv
                continue
            av = out[key]
            if key == "type":
                out[key] = _intersect_types(_type_of(a), _type_of(b)) or ["null"]
            elif key == "properties" and isinstance(av, dict) and isinstance(bv, dict):
                props = dict(av)
                for name, sub in bv.items():
                    props[name] = {"allOf": [props[name], sub]} if name in props else sub
                out[key] = props
            elif key == "required" and isinstance(av, list) and isinstance(bv, list):
                out[key] = list(dict.fromkeys([*av, *bv]))
            elif key == "enum" and isinstance(av, list) and isinstance(bv, list):
                out[key] = [x for x in av if x in bv]
            elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"):
                out[key] = max(av, bv) if _nums(av, bv) else av
            elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"):
                out[key] = min(av, bv) if _nums(av, bv) else av
            elif key == "pattern":
                out["x-patterns"] = [*out.get("x-patterns", []), bv]
            elif key in ("items", "additionalProperties", "contains", "propertyNames"):
                out[key] = {"allOf": [av, bv]}
            elif key in ("anyOf", "oneOf") and isinstance(av, list) and isinstance(bv, list):
                if len(av) * len(bv) <= 16:
                    out[key] = [{"allOf": [x, y]} for x in av for y in bv]
            elif key == "allOf" and isinstance(av, list) and isinstance(bv, list):
                out[key] = [*av, *bv]
            elif key == "not":
                out["x-nots"] = [*out.get("x-nots", []), bv]
        # additionalProperties: false in one part forbids the other part's extra names too.
        for part in (a, b):
            if isinstance(part, dict) and part.get("additionalProperties") is False:
                allowed = set(part.get("properties") or {})
                out["x-allowed"] = sorted(allowed & set(out["x-allowed"])) if "x-allowed" in out else sorted(allowed)
        return out

    def flatten(self, schema: Any) -> Any:
        """``schema`` dereferenced, with its ``allOf`` merged in."""
        schema = self.deref(schema)
        for _ in range(16):
            if not isinstance(schema, dict) or not isinstance(schema.get("allOf"), list):
                break
            parts = schema["allOf"]
            base: Any = {k: v for k, v in schema.items() if k != "allOf"}
            for part in parts:
                base = self.merge(base, part)
            schema = self.deref(base)
        return schema

    # --- generation ------------------------------------------------------------------------------

    def value(self, schema: Any, hint: str = "", depth: int = 0, salt: int = 0) -> Any:
        """A value for ``schema``; ``salt`` varies it (distinct array items), ``hint`` names strings."""
        schema = self.flatten(schema)
        if schema is True or schema is None or schema == {}:
            return hint or "mock"
        if schema is False or not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            options = schema["enum"]
            rotated = options[salt % len(options):] + options[: salt % len(options)]
            rest = {k: v for k, v in schema.items() if k != "enum"}
            return next((x for x in rotated if self.valid(x, rest)), rotated[0])
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self._branch(schema, key, branches, hint, depth, salt)
        if "if" in schema:
            rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
            guess = self.value(rest, hint, depth, salt)
            chosen = schema.get("then") if self.valid(guess, schema["if"]) else schema.get("else")
            if chosen is None:
                return guess
            return self.value(self.merge(rest, chosen), hint, depth, salt)
        nots = [*([schema["not"]] if "not" in schema else []), *schema.get("x-nots", [])]
        plain = {k: v for k, v in schema.items() if k not in ("not", "x-nots")}
        first: Any = None
        for i, kind in enumerate(_type_of(plain)):
            candidate = self._typed(kind, plain, hint, depth, salt)
            if i == 0:
                first = candidate
            if all(not self.valid(candidate, n) for n in nots) and self.valid(candidate, plain):
                return candidate
        return first

    def _branch(self, schema: dict[str, Any], key: str, branches: list[Any], hint: str, depth: int, salt: int) -> Any:
        rest = {k: v for k, v in schema.items() if k != key}
        order = list(range(len(branches)))
        if depth >= _DEEP:  # a recursive schema: prefer the branch that ends soonest
            order.sort(key=lambda i: _cost(branches[i]))
        first: Any = None
        for n, i in enumerate(order):
            part = self.merge(rest, branches[i]) if rest else branches[i]
            candidate = self.value(part, hint, depth + 1, salt)
            if n == 0:
                first = candidate
            if not self.valid(candidate, part):
                continue
            if key == "oneOf" and any(self.valid(candidate, b) for j, b in enumerate(branches) if j != i):
                continue
            return candidate
        return first

    def _typed(self, kind: str, schema: dict[str, Any], hint: str, depth: int, salt: int) -> Any:
        if kind == "object":
            return self._object(schema, depth, salt)
        if kind == "array":
            return self._array(schema, hint, depth, salt)
        if kind in ("integer", "number"):
            return _number(schema, kind == "integer", salt)
        if kind == "boolean":
            return salt % 2 == 0
        if kind == "null":
            return None
        return self._string(schema, hint, salt)

    def _string(self, schema: dict[str, Any], hint: str, salt: int) -> str:
        lo = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
        hi = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        patterns = [p for p in [schema.get("pattern"), *schema.get("x-patterns", [])] if isinstance(p, str)]
        fmt_raw = schema.get("format")
        fmt = fmt_raw if isinstance(fmt_raw, str) else ""
        base = _FORMATS.get(fmt, hint or "mock")
        if salt and fmt not in _FORMATS:
            base = f"{base}-{salt}"

        def ok(text: str) -> bool:
            return self.valid(text, schema)

        if ok(base):
            return base
        if not patterns:
            text = base if len(base) >= lo else base + "x" * (lo - len(base))
            return text[:hi] if hi is not None else text
        for pattern in patterns:
            for want in (lo, lo + salt):
                made = string_for_pattern(pattern, want, hi)
                if made is not None and ok(made):
                    return made
        made = string_for_pattern(patterns[0], lo, hi)
        return made if made is not None else base

    def _array(self, schema: dict[str, Any], hint: str, depth: int, salt: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):  # draft-07 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        lo = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        hi = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        contains = schema.get("contains")
        need_contains = max(schema.get("minContains", 1), 0) if contains is not None else 0
        want = max(lo, len(prefix) if depth < _RICH_DEPTH else 0, need_contains, 1 if depth < _RICH_DEPTH else 0)
        if hi is not None:
            want = min(want, hi)
        unique = schema.get("uniqueItems") is True
        out: list[Any] = []
        for i in range(want):
            if i < len(prefix):
                sub = prefix[i]
            elif items is False:
                break
            else:
                sub = items if items is not None else {}
            if contains is not None and i < need_contains:
                sub = self.merge(sub, contains) if sub not in (None, True, {}) else contains
            value = self.value(sub, hint, depth + 1, salt + i)
            if unique:
                bump = 0
                while value in out and bump < 8:
                    bump += 1
                    value = self.value(sub, hint, depth + 1, salt + i + 17 * bump)
            out.append(value)
        return out

    def _object(self, schema: dict[str, Any], depth: int, salt: int) -> dict[str, Any]:
        props = _dict(schema, "properties")
        required = [r for r in _list(schema, "required") if isinstance(r, str)]
        allowed = schema.get("x-allowed")
        names = list(required)
        if depth < _RICH_DEPTH:
            names += [p for p in props if p not in names]
        if allowed is not None:
            names = [n for n in names if n in allowed or n in required]
        deps = _dict(schema, "dependentRequired")
        for name in list(names):
            names += [d for d in deps.get(name, []) if isinstance(d, str) and d not in names]
        hi = schema.get("maxProperties") if isinstance(schema.get("maxProperties"), int) else None
        if hi is not None and len(names) > hi:
            names = names[: max(hi, len(required))]
        out: dict[str, Any] = {}
        for name in names:
            out[name] = self.value(self._member(schema, name), name, depth + 1, salt)
        lo = schema.get("minProperties", 0) if isinstance(schema.get("minProperties"), int) else 0
        extra = 0
        while len(out) < lo and extra < lo + 8:
            key = self._extra_name(schema, extra)
            extra += 1
            if key is not None and key not in out:
                out[key] = self.value(self._member(schema, key), key, depth + 1, salt)
        return out

    def _member(self, schema: dict[str, Any], name: str) -> Any:
        """The schema a property ``name`` must satisfy (properties, patternProperties, additionalProperties)."""
        import re

        props = _dict(schema, "properties")
        parts: list[Any] = []
        if name in props:
            parts.append(props[name])
        for pattern, sub in _dict(schema, "patternProperties").items():
            try:
                if re.search(pattern, name):
                    parts.append(sub)
            except re.error:
                continue
        if not parts:
            extra = schema.get("additionalProperties", True)
            parts.append(extra if extra is not False else {})
        merged: Any = parts[0]
        for part in parts[1:]:
            merged = self.merge(merged, part)
        return merged

    def _extra_name(self, schema: dict[str, Any], i: int) -> str | None:
        props = _dict(schema, "properties")
        for name in props:
            if i == 0:
                return str(name)
            i -= 1
        for pattern in _dict(schema, "patternProperties"):
            made = string_for_pattern(pattern, 1 + i)
            if made is not None:
                return made
        if schema.get("additionalProperties") is False:
            return None
        names = schema.get("propertyNames")
        if isinstance(names, dict):
            made = self._string(self.flatten(names), f"key{i}", i)
            return made
        return f"key{i}"


def _list(schema: dict[str, Any], key: str) -> list[Any]:
    value = schema.get(key)
    return value if isinstance(value, list) else []


def _dict(schema: dict[str, Any], key: str) -> dict[str, Any]:
    value = schema.get(key)
    return value if isinstance(value, dict) else {}


def _nums(*xs: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)


def _bounds(schema: dict[str, Any]) -> tuple[float | None, float | None, float | None, float | None]:
    """(minimum, exclusiveMinimum, maximum, exclusiveMaximum), draft-04 boolean exclusives read too."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    ex_lo, ex_hi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_lo is True and _nums(lo):
        ex_lo, lo = lo, None
    if ex_hi is True and _nums(hi):
        ex_hi, hi = hi, None

    def num(x: Any) -> float | None:
        return float(x) if _nums(x) else None

    return num(lo), num(ex_lo), num(hi), num(ex_hi)


def _number(schema: dict[str, Any], integer: bool, salt: int) -> int | float:
    step_raw = schema.get("multipleOf")
    step = float(step_raw) if isinstance(step_raw, (int, float)) and not isinstance(step_raw, bool) and step_raw > 0 \
        else None
    lo, ex_lo, hi, ex_hi = _bounds(schema)
    if integer:
        return _integer(lo, ex_lo, hi, ex_hi, step, salt)
    return _float(lo, ex_lo, hi, ex_hi, step, salt)


def _integer(lo: float | None, ex_lo: float | None, hi: float | None, ex_hi: float | None,
             step: float | None, salt: int) -> int:
    lows = [math.ceil(lo)] if lo is not None else []
    lows += [math.floor(ex_lo) + 1] if ex_lo is not None else []
    highs = [math.floor(hi)] if hi is not None else []
    highs += [math.ceil(ex_hi) - 1] if ex_hi is not None else []
    a = max(lows) if lows else None
    b = min(highs) if highs else None
    start = a if a is not None else (min(b, 1) if b is not None else 1)
    if step is not None and step.is_integer():
        m = int(step)
        value = -(-start // m) * m + salt * m
        if b is not None and value > b:
            value = (b // m) * m
        return int(value)
    value = start + salt
    return int(b if b is not None and value > b else value)


def _float(lo: float | None, ex_lo: float | None, hi: float | None, ex_hi: float | None,
           step: float | None, salt: int) -> int | float:
    if ex_lo is not None and lo is not None and lo > ex_lo:
        ex_lo = None  # the inclusive bound is the tighter one
    elif ex_lo is not None:
        lo = None
    if ex_hi is not None and hi is not None and hi < ex_hi:
        ex_hi = None
    elif ex_hi is not None:
        hi = None
    value: float
    if step is not None:
        start = lo if lo is not None else (ex_lo if ex_lo is not None else (min(hi, 1.0) if hi is not None else 1.0))
        k = math.ceil(start / step)
        if ex_lo is not None and k * step <= ex_lo:
            k += 1
        rounded = round((k + salt) * step, 12)
        return int(rounded) if rounded.is_integer() else rounded
    if lo is not None:
        value = lo + salt
    elif ex_lo is not None:
        top = ex_hi if ex_hi is not None else hi
        value = (ex_lo + top) / 2 if top is not None and top - ex_lo <= 2 else ex_lo + 1
    elif hi is not None:
        value = min(hi, 1.0)
    elif ex_hi is not None:
        value = min(ex_hi - 1, 1.0)
    else:
        value = 1.0 + salt
    if hi is not None and value > hi:
        value = hi
    if ex_hi is not None and value >= ex_hi:
        bottom = ex_lo if ex_lo is not None else (lo if lo is not None else ex_hi - 2)
        value = (bottom + ex_hi) / 2
    # A "number" reads best with a fraction where the bounds leave room (and then it is not also an
    # "integer", which a oneOf of the two needs).
    if value.is_integer() and (hi is None or value + 0.5 <= hi) and (ex_hi is None or value + 0.5 < ex_hi):
        value += 0.5
    return int(value) if value.is_integer() else value


def _cost(schema: Any, depth: int = 0) -> int:
    """How deep a branch is likely to go: references and members cost, null and scalars are cheap."""
    if not isinstance(schema, dict) or depth > 3:
        return 0
    if "$ref" in schema:
        return 10
    if schema.get("type") == "null":
        return 0
    cost = 1
    for sub in (schema.get("properties") or {}).values():
        cost += _cost(sub, depth + 1)
    for key in ("items", "additionalProperties"):
        cost += _cost(schema.get(key), depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            cost += min((_cost(s, depth + 1) for s in schema[key]), default=0)
    return cost


def instance_for_schema(schema: Any, hint: str = "") -> Any:
    """A deterministic value valid against ``schema`` (best effort when none exists or it cannot tell).

    Tries a rich value first (optional members filled in), then a minimal one, and returns the first
    that validates.
    """
    gen = SchemaValues(schema)
    try:
        rich = gen.value(schema, hint)
        if gen.valid(rich):
            return rich
        minimal = _Minimal(schema).value(schema, hint)
        return minimal if gen.valid(minimal) else rich
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError, OverflowError):
        # A malformed schema (the double does not judge schemas): an answer still, never a 500.
        return {} if isinstance(schema, dict) and schema.get("type") == "object" else (hint or "mock")


class _Minimal(SchemaValues):
    """The same generator with no optional members and as few items as allowed."""

    def value(self, schema: Any, hint: str = "", depth: int = 0, salt: int = 0) -> Any:
        return super().value(schema, hint, max(depth, _RICH_DEPTH), salt)
