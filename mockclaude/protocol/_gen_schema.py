"""Development tool: derive the request-shape definitions from the official SDK's types.

Run ``python -m mockclaude.protocol._gen_schema`` (needs the ``anthropic`` package) to rewrite
``_sdk_defs.py``. The SDK's ``TypedDict`` request types are the ground truth for which fields and
block types exist; this walks them and writes a plain-data intermediate form (no SDK code is copied,
and mockclaude does not import the SDK at run time). :mod:`mockclaude.protocol.schema` turns that
form into a Draft 2020-12 JSON Schema per API version and adds what the types cannot say
(patterns, the 2023-06-01 sampling fields, ...).

Intermediate form (JSON-like):

* ``{"kind": "object", "props": {name: node}, "required": [...], "extra": bool}``
* ``{"kind": "union", "tag": "type", "variants": {tag: "DefName"}, "optional_tag": "DefName"|None}``
  — a discriminated union on ``type`` (``optional_tag`` names the variant used when ``type`` is absent)
* ``{"kind": "anyof", "of": [node, ...]}`` — any other union (e.g. ``str | list[...]``)
* ``{"kind": "ref", "name": "DefName"}``, ``{"kind": "array", "items": node}``,
  ``{"kind": "enum", "values": [...]}``, ``{"kind": "nullable", "of": node}``,
  ``{"kind": "str"|"int"|"float"|"bool"|"any"|"dict"}``
"""

from __future__ import annotations

import collections.abc
import pprint
import sys
import typing
from pathlib import Path
from typing import Any


def _is_td(obj: Any) -> bool:
    import typing_extensions

    return bool(typing_extensions.is_typeddict(obj))


_OUT = Path(__file__).with_name("_sdk_defs.py")

ROOTS = {
    "MessageCreateParams": "anthropic.types.message_create_params:MessageCreateParamsBase",
    "MessageCountTokensParams": "anthropic.types.message_count_tokens_params:MessageCountTokensParams",
}


def _import(spec: str) -> Any:
    mod, _, name = spec.partition(":")
    module = __import__(mod, fromlist=[name])
    return getattr(module, name)


class _Gen:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def typeddict(self, cls: Any) -> str:
        name: str = cls.__name__
        if name in self.defs:
            return name
        self.defs[name] = None  # placeholder against recursion
        hints = typing.get_type_hints(cls, include_extras=True)
        props: dict[str, Any] = {}
        required: list[str] = []
        for key, hint in hints.items():
            origin = typing.get_origin(hint)
            req = key in cls.__required_keys__
            if origin is typing.Required or getattr(origin, "__name__", "") == "Required":
                hint = typing.get_args(hint)[0]
                req = True
            elif origin is typing.NotRequired or getattr(origin, "__name__", "") == "NotRequired":
                hint = typing.get_args(hint)[0]
                req = False
            props[key] = self.node(hint)
            if req:
                required.append(key)
        config = getattr(cls, "__pydantic_config__", None) or {}
        self.defs[name] = {
            "kind": "object",
            "props": props,
            "required": sorted(required),
            "extra": config.get("extra") == "allow",
        }
        return name

    @staticmethod
    def _tag_of(td: Any) -> tuple[list[str], bool] | None:
        hints = typing.get_type_hints(td, include_extras=True)
        hint = hints.get("type")
        if hint is None:
            return None
        required = "type" in td.__required_keys__
        while typing.get_origin(hint) is not None and typing.get_origin(hint) is not typing.Literal:
            origin = typing.get_origin(hint)
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            if getattr(origin, "__name__", "") == "Required":
                required = True
            elif origin is typing.Union:
                required = required and len(args) == len(typing.get_args(hint))
            if len(args) != 1:
                return None
            hint = args[0]
        if typing.get_origin(hint) is not typing.Literal:
            return None
        return [str(v) for v in typing.get_args(hint)], required

    def node(self, hint: Any) -> Any:
        while typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is str:
            return {"kind": "str"}
        if hint is bool:
            return {"kind": "bool"}
        if hint is int:
            return {"kind": "int"}
        if hint is float:
            return {"kind": "float"}
        if hint is object or hint is Any:
            return {"kind": "any"}
        if origin is typing.Literal:
            return {"kind": "enum", "values": list(args)}
        if origin is typing.Union:
            members = [a for a in args if a is not type(None)]
            nullable = len(members) != len(args)
            inner = self.union(members)
            return {"kind": "nullable", "of": inner} if nullable else inner
        if origin in (dict, collections.abc.Mapping) or hint is dict:
            return {"kind": "dict"}
        if origin in (list, tuple, collections.abc.Iterable, collections.abc.Sequence) or (
            getattr(hint, "__name__", "") == "SequenceNotStr"
            or getattr(origin, "__name__", "") == "SequenceNotStr"
        ):
            return {"kind": "array", "items": self.node(args[0]) if args else {"kind": "any"}}
        if isinstance(hint, type) and _is_td(hint):
            return {"kind": "ref", "name": self.typeddict(hint)}
        if isinstance(hint, type) and hasattr(hint, "model_fields"):
            return None  # a response (pydantic) model: its wire form is covered by the param types
        # file-like inputs (Base64FileInput and friends) travel as strings
        return {"kind": "str"}

    def union(self, members: list[Any]) -> Any:
        flat: list[Any] = []
        for m in members:
            while typing.get_origin(m) is typing.Annotated:
                m = typing.get_args(m)[0]
            if typing.get_origin(m) is typing.Union:
                flat.extend(a for a in typing.get_args(m) if a is not type(None))
            elif not (isinstance(m, type) and hasattr(m, "model_fields")):
                flat.append(m)
        members = flat
        tds = [m for m in members if isinstance(m, type) and _is_td(m)]
        models = [m for m in members if isinstance(m, type) and hasattr(m, "model_fields")]
        others = [m for m in members if m not in tds and m not in models]
        if len(members) == 1:
            return self.node(members[0])
        if tds and not others and all(self._tag_of(t) for t in tds):
            variants: dict[str, str] = {}
            optional_tag = None
            for t in tds:
                tags, required = self._tag_of(t)  # type: ignore[misc]
                name = self.typeddict(t)
                for tag in tags:
                    variants.setdefault(tag, name)
                if not required:
                    optional_tag = name
            return {"kind": "union", "tag": "type", "variants": variants, "optional_tag": optional_tag}
        nodes = [n for n in (self.node(m) for m in members) if n is not None]
        # a union of a typed dict and a plain dict (InputSchema) is just "an object"
        if any(n.get("kind") == "dict" for n in nodes):
            return {"kind": "dict"}
        if len(nodes) == 1:
            return nodes[0]
        return {"kind": "anyof", "of": nodes}


def main() -> None:
    gen = _Gen()
    roots = {alias: gen.typeddict(_import(spec)) for alias, spec in ROOTS.items()}
    import anthropic

    text = (
        '"""Generated by ``python -m mockclaude.protocol._gen_schema`` from the anthropic SDK '
        f'{anthropic.__version__}\'s request types. Do not edit by hand: regenerate."""\n\n'
        "# fmt: off\n"
        f"SDK_VERSION = {anthropic.__version__!r}\n\n"
        f"ROOTS = {pprint.pformat(roots, width=110)}\n\n"
        f"DEFS = {pprint.pformat(gen.defs, width=110, sort_dicts=False)}\n"
    )
    _OUT.write_text(text)
    print(f"wrote {_OUT} ({len(gen.defs)} definitions)", file=sys.stderr)


if __name__ == "__main__":
    main()
