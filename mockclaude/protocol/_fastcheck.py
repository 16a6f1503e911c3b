"""Compile the request schema into a Python checker that only answers "valid or not".

jsonschema walks a schema generically and costs tens of microseconds per block; a request that is
fine (nearly all of them) needs only a yes. :func:`compile_schema` generates Python source for the
subset of Draft 2020-12 that :mod:`.schema` emits — ``type``, ``enum``, ``const``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``anyOf``, ``$ref`` (local), ``pattern``,
``minimum``, ``maximum``, ``minItems``, ``maxItems`` and ``x-discriminator`` — with jsonschema's
semantics, once per schema, and compiles it in memory. Any other keyword raises at compile time, so
the two can never silently disagree; the tests also check that they agree on random and mutated
bodies. :func:`compile_closures` is the previous closure-based checker, kept as a reference for those
tests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any

import orjson

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


def compile_closures(schema: dict[str, Any]) -> Check:
    """The previous, closure-based checker (kept for the agreement tests and the benchmark)."""
    return _Compiler(schema).compile(schema)


# --------------------------------------------------------------------------- generated source
#
# The closures above cost a Python call (often a generator too) per keyword per node. The hot path
# instead uses Python source generated from the schema once: one function per definition and per
# discriminated union, plain ``if``/``for`` statements, exact-type tests first (``type(x) is str``,
# falling back to ``isinstance`` so subclasses keep jsonschema's answer), unions dispatched by a
# dict on their tag, and no intermediate objects. Same keywords, same semantics, same answers.

_KEYWORDS = {
    "type", "enum", "const", "pattern", "minimum", "maximum", "minItems", "maxItems", "$ref", "anyOf",
    "items", "required", "properties", "additionalProperties", "x-discriminator",
}

# A valid-type test for a variable ``{v}``: the exact builtin first (the JSON parser's types), then
# the same test the closures use, so a subclass gets the same answer.
_TYPE_EXPR = {
    "string": "(type({v}) is str or isinstance({v}, str))",
    "integer": "(type({v}) is int or _is_int({v}))",
    "number": "(type({v}) is float or type({v}) is int or _is_num({v}))",
    "boolean": "({v} is True or {v} is False)",
    "object": "(type({v}) is dict or isinstance({v}, dict))",
    "array": "(type({v}) is list or isinstance({v}, list))",
    "null": "({v} is None)",
}


def _enum_any(v: Any, values: tuple[Any, ...]) -> bool:
    for x in values:
        if _eq_json(v, x):
            return True
    return False


# Union variants nearly every request uses: their checks are written inline where the union is
# dispatched (one call less per message or block); other variants go through the tag's table.
_INLINE_TAGS = frozenset({"user", "assistant", "text", "custom", "tool_use", "tool_result", "ephemeral"})
_INLINE_DEPTH = 2
_MEMO_ITEMS = 4096  # strings remembered per pattern
_MEMO_LENGTH = 256  # longest string remembered


class _Source:
    """Writes the checker's source: ``lines`` of module-level functions, ``ns`` their constants."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.ns: dict[str, Any] = {"_is_int": _is_int, "_is_num": _is_num, "_enum_any": _enum_any}
        self.lines: list[str] = []
        self.funcs: dict[str, str] = {}  # key (ref or canonical JSON of a node) -> function name
        self.consts: dict[tuple[str, str], str] = {}
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.nvars = 0
        self.inlining = 0  # union variants being inlined into the current function

    # --- names
    def const(self, kind: str, value: Any, key: str) -> str:
        if (kind, key) not in self.consts:
            name = f"{kind}{len(self.consts)}"
            self.consts[(kind, key)] = name
            self.ns[name] = value
        return self.consts[(kind, key)]

    def var(self) -> str:
        self.nvars += 1
        return f"x{self.nvars}"

    def ref(self, ref: str) -> str:
        if ref not in self.funcs:
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {ref!r}")
            name = f"d_{re.sub(r'[^0-9A-Za-z_]', '_', ref[len('#/$defs/'):])}_{len(self.funcs)}"
            self.funcs[ref] = name
            self.pending.append((name, self.root["$defs"][ref[len("#/$defs/") :]]))
        return self.funcs[ref]

    def helper(self, schema: dict[str, Any]) -> str:
        """A module-level function checking ``schema`` (one per distinct node)."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self.funcs:
            name = f"f{len(self.funcs)}"
            self.funcs[key] = name
            self.pending.append((name, schema))
        return self.funcs[key]

    def function(self, name: str, schema: dict[str, Any]) -> None:
        self.nvars = 0
        self.inlining = 0
        body = self.stmts(schema, "v", "    ")  # may write other functions first
        self.lines += [f"def {name}(v):", *body, "    return True", ""]

    # --- expressions (a node simple enough to test in one expression), else a helper call
    def simple(self, schema: dict[str, Any], v: str) -> str | None:
        """An expression testing ``schema`` without calling a generated function, if there is one."""
        keys = set(schema) - _ANNOTATIONS
        if not keys:
            return "True"
        if keys == {"type"}:
            return self.type_expr(schema["type"], v)
        if keys == {"enum"}:
            return self.enum_expr(list(schema["enum"]), v)
        if keys == {"const"}:
            return self.enum_expr([schema["const"]], v)
        if keys == {"anyOf"}:
            parts = [self.simple(b, v) for b in _flat_any(schema["anyOf"])]
            if all(p is not None for p in parts):
                return "(" + " or ".join(p for p in parts if p is not None) + ")"
        return None

    def expr(self, schema: dict[str, Any], v: str) -> str:
        found = self.simple(schema, v)
        if found is not None:
            return found
        if set(schema) - _ANNOTATIONS == {"$ref"}:
            return f"{self.ref(schema['$ref'])}({v})"
        if set(schema) - _ANNOTATIONS == {"anyOf"}:
            # the cheap branches first (the order of an ``or`` of pure tests does not matter)
            branches = sorted(_flat_any(schema["anyOf"]), key=lambda b: self.simple(b, v) is None)
            return "(" + " or ".join(self.expr(b, v) for b in branches) + ")"
        return f"{self.helper(schema)}({v})"

    def type_expr(self, value: Any, v: str) -> str:
        types = [value] if isinstance(value, str) else list(value)
        parts = [_TYPE_EXPR[t].format(v=v) for t in types]
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def enum_expr(self, values: list[Any], v: str) -> str:
        if all(isinstance(x, str) for x in values):
            name = self.const("E", frozenset(values), json.dumps(sorted(values)))
            return f"({_TYPE_EXPR['string'].format(v=v)} and {v} in {name})"
        name = self.const("V", tuple(values), json.dumps(values))
        return f"_enum_any({v}, {name})"

    # --- statements: ``return False`` when ``v`` is not valid under ``schema``
    def stmts(self, schema: dict[str, Any], v: str, ind: str, is_dict: bool = False) -> list[str]:
        """``is_dict``: ``v`` is already known to be a valid object."""
        for kw in schema:
            if kw not in _ANNOTATIONS and kw not in _KEYWORDS:
                raise ValueError(f"fast checker does not support the keyword {kw!r}")
        out: list[str] = []
        known: str | None = "object" if is_dict else None  # the JSON type v has past the type test
        if "type" in schema:
            types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
            if not (is_dict and "object" in types):
                out.append(f"{ind}if not {self.type_expr(schema['type'], v)}: return False")
                if len(types) == 1:
                    known = types[0]
        if "enum" in schema:
            out.append(f"{ind}if not {self.enum_expr(list(schema['enum']), v)}: return False")
        if "const" in schema:
            out.append(f"{ind}if not {self.enum_expr([schema['const']], v)}: return False")
        if "pattern" in schema:
            # Strings seen to match (tool names, tool_use ids: the same ones come back request after
            # request) are remembered, up to a bound: a dict lookup instead of a regex search.
            search = self.const("S", re.compile(schema["pattern"]).search, schema["pattern"])
            seen = self.const("P", {}, schema["pattern"])
            guard = "" if known == "string" else _TYPE_EXPR["string"].format(v=v) + " and "
            out += [
                f"{ind}if type({v}) is str:",
                f"{ind}    if {v} not in {seen}:",
                f"{ind}        if {search}({v}) is None: return False",
                f"{ind}        if len({seen}) < {_MEMO_ITEMS} and len({v}) <= {_MEMO_LENGTH}: {seen}[{v}] = None",
                f"{ind}elif {guard}{search}({v}) is None: return False",
            ]
        for kw, op in (("minimum", "<"), ("maximum", ">")):
            if kw in schema:
                bound = self.const("N", schema[kw], repr(schema[kw]))
                guard = "" if known in ("integer", "number") else _TYPE_EXPR["number"].format(v=v) + " and "
                out.append(f"{ind}if {guard}not ({v} {'>=' if op == '<' else '<='} {bound}): return False")
        for kw, op in (("minItems", "<"), ("maxItems", ">")):
            if kw in schema:
                guard = "" if known == "array" else f"{_TYPE_EXPR['array'].format(v=v)} and "
                out.append(f"{ind}if {guard}len({v}) {op} {int(schema[kw])}: return False")
        if "$ref" in schema:
            out.append(f"{ind}if not {self.ref(schema['$ref'])}({v}): return False")
        if "anyOf" in schema:
            branches = _flat_any(schema["anyOf"])
            simple = [b for b in branches if self.simple(b, v) is not None]
            rest = [b for b in branches if self.simple(b, v) is None]
            if len(rest) == 1:  # the cheap branches, else the one complex branch, inline
                sub = ind
                if simple:
                    out.append(f"{ind}if not {self.expr({'anyOf': simple}, v)}:")
                    sub += "    "
                out.extend(self.stmts(rest[0], v, sub) or [f"{sub}pass"])
            else:
                out.append(f"{ind}if not {self.expr({'anyOf': branches}, v)}: return False")
        if "items" in schema:
            body_ind = ind
            if known != "array":
                out.append(f"{ind}if {_TYPE_EXPR['array'].format(v=v)}:")
                body_ind += "    "
            item = self.var()
            out.append(f"{body_ind}for {item} in {v}:")
            out.extend(self.stmts(schema["items"], item, body_ind + "    ") or [f"{body_ind}    pass"])
        if "properties" in schema or "required" in schema or schema.get("additionalProperties") is False:
            out.extend(self.object_stmts(schema, v, ind, known == "object"))
        elif schema.get("additionalProperties", True) is not True:
            raise ValueError("additionalProperties must be a boolean here")
        if "x-discriminator" in schema:
            body_ind = ind
            if known != "object":
                out.append(f"{ind}if {_TYPE_EXPR['object'].format(v=v)}:")
                body_ind += "    "
            out.extend(self.dispatch(schema["x-discriminator"], v, body_ind))
        return out

    def object_stmts(self, schema: dict[str, Any], v: str, ind: str, is_dict: bool) -> list[str]:
        add = schema.get("additionalProperties", True)
        if add is not True and add is not False:
            raise ValueError("additionalProperties must be a boolean here")
        closed = add is False
        props: dict[str, Any] = schema.get("properties", {})
        required = list(schema.get("required", ()))
        out: list[str] = []
        if not is_dict:
            out.append(f"{ind}if {_TYPE_EXPR['object'].format(v=v)}:")
            ind += "    "
        body_start = len(out)
        for k in required:
            if k not in props:
                out.append(f"{ind}if {k!r} not in {v}: return False")
        if closed and not props:
            out.append(f"{ind}if {v}: return False")
        if props:
            n = self.var() if closed else None
            if n is not None:
                out.append(f"{ind}{n} = 0")
            for k, sub in props.items():
                checks: list[str] = []
                x = self.var()
                sub_stmts = self.stmts(sub, x, ind + "    ")
                if n is not None:
                    checks.append(f"{ind}    {n} += 1")
                if sub_stmts:
                    checks.append(f"{ind}    {x} = {v}[{k!r}]")
                    checks.extend(sub_stmts)
                if k in required:
                    out.append(f"{ind}if {k!r} not in {v}: return False")
                    out.extend(line[4:] for line in checks)
                elif checks:
                    out.append(f"{ind}if {k!r} in {v}:")
                    out.extend(checks)
            if n is not None:
                out.append(f"{ind}if len({v}) != {n}: return False")
        if len(out) == body_start and not is_dict:
            out.pop()  # nothing to check on a dict
        return out

    def dispatch(self, spec: dict[str, Any], v: str, ind: str) -> list[str]:
        """A discriminated union, inline: one dict lookup on the tag, one call."""
        key = "x-discriminator " + json.dumps(spec, sort_keys=True)
        table = self.const("U", {tag: self.ref(ref) for tag, ref in spec["mapping"].items()}, key)
        prop = spec["property"]
        default = spec.get("default")
        tag, fn = self.var(), self.var()
        out = [f"{ind}{tag} = {v}.get({prop!r})"]
        if default is None:
            out.append(f"{ind}if {tag} is None: return False")
        else:
            out.append(f"{ind}if {tag} is None: {tag} = {default!r}")
        generic = [
            f"if type({tag}) is not str and not isinstance({tag}, str): return False",
            f"{fn} = {table}.get({tag})",
            f"if {fn} is None or not {fn}({v}): return False",
        ]
        hot = [t for t in spec["mapping"] if t in _INLINE_TAGS] if self.inlining < _INLINE_DEPTH else []
        if not hot:
            return out + [ind + line for line in generic]
        # the variants most requests use, inline (same test as the call the table would make)
        self.inlining += 1
        for n, t in enumerate(hot):
            out.append(f"{ind}{'el' if n else ''}if type({tag}) is str and {tag} == {t!r}:")
            defn = self.root["$defs"][spec["mapping"][t][len("#/$defs/") :]]
            out.extend(self.stmts(defn, v, ind + "    ", is_dict=True) or [f"{ind}    pass"])
        self.inlining -= 1
        out.append(f"{ind}else:")
        return out + [f"{ind}    {line}" for line in generic]


def _flat_any(branches: list[Any]) -> list[Any]:
    """``anyOf`` branches, nested ``anyOf``-only branches spliced in (same meaning)."""
    out: list[Any] = []
    for b in branches:
        if isinstance(b, dict) and set(b) - _ANNOTATIONS == {"anyOf"}:
            out.extend(_flat_any(b["anyOf"]))
        else:
            out.append(b)
    return out


def compile_source(
    schema: dict[str, Any], entries: dict[str, dict[str, Any]] | None = None
) -> tuple[str, dict[str, Any]]:
    """The generated checker's source (entry point ``check``) and the constants it refers to.

    ``entries``: more entry points, by name (``entry_…``), for sub-schemas whose ``$ref`` resolve in
    ``schema`` (they share its functions)."""
    src = _Source(schema)
    src.function("check", schema)
    for name, sub in (entries or {}).items():
        if not name.startswith("entry_"):
            raise ValueError(f"entry names start with 'entry_', not {name!r}")
        src.function(name, sub)
    while src.pending:
        name, sub = src.pending.pop()
        src.function(name, sub)
    return "\n".join(src.lines) + "\n", src.ns


def _cache_dir() -> Path:
    """Where compiled checkers are kept between runs: ``$MOCKCLAUDE_CACHE_DIR``, else the user's
    cache directory (``%LOCALAPPDATA%``, ``$XDG_CACHE_HOME`` or ``~/.cache``) + ``/mockclaude``."""
    explicit = os.environ.get("MOCKCLAUDE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else os.environ.get("XDG_CACHE_HOME")
    return Path(base or Path.home() / ".cache") / "mockclaude"


def _compiled(source: str) -> CodeType:
    """``compile(source)``: the code of a generated checker."""
    return compile(source, "<mockclaude fast schema check>", "exec")


# The modules whose source decides the generated checker (with the schema): this one. A helper the
# generator comes to use from another module must be added here, or a stale checker could be loaded.
_GENERATOR_SOURCES = ("_fastcheck.py",)


@functools.cache
def _generator_digest() -> str | None:
    """A digest of the generator's sources; None when they cannot be read (a zip import, say): then
    no checker is cached, as none could be told stale."""
    try:
        digest = hashlib.sha256()
        for name in _GENERATOR_SOURCES:
            digest.update(name.encode() + b"\0" + Path(__file__).with_name(name).read_bytes() + b"\0")
        return digest.hexdigest()
    except OSError:
        return None


def _freeze(ns: dict[str, Any]) -> dict[str, Any] | None:
    """The checker's constants in a form marshal can write (regex searches as their pattern, this
    module's helpers by name), or None when one is of a kind not foreseen here (then nothing is kept)."""
    out: dict[str, Any] = {}
    for name, value in ns.items():
        owner = getattr(value, "__self__", None)
        if isinstance(owner, re.Pattern) and getattr(value, "__name__", "") == "search":
            out[name] = ("re.search", owner.pattern, owner.flags)
        elif callable(value):
            helper = getattr(value, "__name__", "")
            if globals().get(helper) is not value:
                return None
            out[name] = ("helper", helper)
        elif value is None or isinstance(value, (frozenset, tuple, dict, list, str, bytes, int, float)):
            out[name] = ("value", value)
        else:
            return None
    return out


def _thaw(frozen: dict[str, Any]) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    for name, (kind, *args) in frozen.items():
        if kind == "re.search":
            ns[name] = re.compile(args[0], args[1]).search
        elif kind == "helper":
            ns[name] = globals()[args[0]]
        else:
            ns[name] = args[0]
    return ns


def _generated(
    schema: dict[str, Any], entries: dict[str, dict[str, Any]] | None = None
) -> tuple[CodeType, dict[str, Any]]:
    """The checker's code and constants (entry points ``check`` and ``entries``, see
    :func:`compile_source`), kept on disk by the digest of the schema and entries, the generator's
    source and the interpreter: generating and compiling the ~5,000 lines is most of a cold start's
    first request, loading them ~1 ms. Any problem with the cache (read-only, missing, corrupt) only
    means generating again."""
    try:
        canon = orjson.dumps([schema, entries or {}], option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON (an int over 64 bits, a non-str key): no digest, so no cache
        canon = None
    generator = _generator_digest()
    if canon is None or generator is None:
        source, ns = compile_source(schema, entries)
        return _compiled(source), ns
    key = hashlib.sha256(f"{sys.version}\0{sys.implementation.cache_tag}\0{generator}\0".encode() + canon)
    path = _cache_dir() / f"fastcheck-{key.hexdigest()[:32]}.marshal"
    try:
        code, frozen = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType) and isinstance(frozen, dict):
            return code, _thaw(frozen)
    except (OSError, ValueError, EOFError, TypeError, KeyError, re.error):
        pass
    source, ns = compile_source(schema, entries)
    code = _compiled(source)
    frozen = _freeze(ns)
    if frozen is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps((code, frozen)))
            os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
        except (OSError, ValueError):
            pass
    return code, ns


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether an instance is valid under ``schema`` (the subset described above).

    The source is generated and executed in memory; its compiled form is cached on disk (see
    :func:`_generated`).
    """
    return compile_checks(schema, {})["check"]


def compile_checks(schema: dict[str, Any], entries: dict[str, dict[str, Any]]) -> dict[str, Check]:
    """:func:`compile_schema` with more entry points (see :func:`compile_source`): ``check`` and each
    name of ``entries``, compiled together."""
    code, ns = _generated(schema, entries)
    exec(code, ns)  # noqa: S102 - our own source
    for table in [k for k in ns if k.startswith("U") and k[1:].isdigit()]:
        ns[table] = {tag: ns[fn] for tag, fn in ns[table].items()}  # names -> the functions
    return {name: ns[name] for name in ("check", *entries)}
