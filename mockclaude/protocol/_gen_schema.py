"""Development tool: derive the request-shape definitions from the official SDK's types.

Run ``python -m mockclaude.protocol._gen_schema`` (needs the ``anthropic`` package) to rewrite
``_sdk_defs.py``; ``--diff`` reports what that would change without writing, and ``--sdk latest``
(or a version) does so for another release, installed into a temporary folder. The SDK's ``TypedDict`` request types are the ground truth for which fields and
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
import json
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
BETAS = "anthropic.types.anthropic_beta_param:AnthropicBetaParam"
MODELS = "anthropic.types.model_param:ModelParam"
# Request fields that only the beta surface (client.beta.messages.create) declares: the double does not
# derive its schema from them, but a reviewer must see when a release adds one (threads, output_format...).
BETA_ROOT = "anthropic.types.beta.message_create_params:MessageCreateParamsBase"
# Beta-only fields whose shapes the double checks and admits under their flags (protocol/betas.py).
ADMITTED_BETA_FIELDS = ("context_management", "fallbacks", "mcp_servers", "output_config")


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


def _literal_values(hint: Any) -> list[str]:
    """Every string literal inside a (possibly nested) ``Union[str, Literal[...]]`` alias."""
    if typing.get_origin(hint) is typing.Literal:
        return [v for v in typing.get_args(hint) if isinstance(v, str)]
    values: list[str] = []
    for arg in typing.get_args(hint):
        values.extend(_literal_values(arg))
    return values


def generate() -> dict[str, Any]:
    """The definitions, beta flags and model ids of the installed SDK, as plain data."""
    import anthropic

    gen = _Gen()
    roots = {alias: gen.typeddict(_import(spec)) for alias, spec in ROOTS.items()}
    beta_gen = _Gen()
    beta_hints = typing.get_type_hints(_import(BETA_ROOT))
    beta_nodes = {name: beta_gen.node(beta_hints[name]) for name in ADMITTED_BETA_FIELDS}
    beta_nodes["tools"] = beta_gen.node(beta_hints["tools"])  # the beta-only tool types (betas.py)
    return {
        "SDK_VERSION": anthropic.__version__,
        "ROOTS": roots,
        "SDK_BETAS": sorted(set(_literal_values(_import(BETAS)))),
        "SDK_MODELS": list(dict.fromkeys(_literal_values(_import(MODELS)))),
        "SDK_BETA_FIELDS": sorted(set(typing.get_type_hints(_import(BETA_ROOT))) - set(gen.defs[roots["MessageCreateParams"]]["props"])),
        "DEFS": gen.defs,
        "BETA_FIELD_NODES": beta_nodes,
        "BETA_DEFS": beta_gen.defs,
    }


# The large tables are written as JSON text that the module parses when imported: Python compiles a
# 270 KB nest of dict literals in 30-180 ms whenever no .pyc can be written (a source checkout under
# PYTHONDONTWRITEBYTECODE, a read-only tree); a string constant and orjson take about 1 ms either way.
_JSON_TABLES = ("DEFS", "BETA_FIELD_NODES", "BETA_DEFS")
_WIDTH = 110
_QUOTES = "'" * 3


def _json_text(value: Any, indent: str = "") -> str:
    """``value`` as JSON, on one line when it fits the width, else one member a line (like pprint)."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= _WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_json_text(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _json_text(v, inner) for v in value) + "\n" + indent + "]"


def render(data: dict[str, Any]) -> str:
    tables = []
    for name in _JSON_TABLES:
        text = _json_text(data[name])
        if _QUOTES in text:  # not in type names and tags; fail loudly rather than write a broken file
            raise ValueError(f"{name} holds a triple quote")
        tables.append(f"{name}: dict[str, Any] = orjson.loads(r{_QUOTES}\n{text}\n{_QUOTES})\n")
    return (
        '"""Generated by ``python -m mockclaude.protocol._gen_schema`` from the anthropic SDK '
        f"{data['SDK_VERSION']}'s request types. Do not edit by hand: regenerate.\"\"\"\n\n"
        "# fmt: off\n"
        "from typing import Any\n\n"
        "import orjson\n\n"
        f"SDK_VERSION = {data['SDK_VERSION']!r}\n\n"
        f"ROOTS = {pprint.pformat(data['ROOTS'], width=_WIDTH)}\n\n"
        f"SDK_BETAS = {pprint.pformat(data['SDK_BETAS'], width=_WIDTH)}\n\n"
        f"SDK_MODELS = {pprint.pformat(data['SDK_MODELS'], width=_WIDTH)}\n\n"
        f"SDK_BETA_FIELDS = {pprint.pformat(data['SDK_BETA_FIELDS'], width=_WIDTH)}\n\n"
        + "\n".join(tables)
    )


def committed() -> dict[str, Any]:
    """What ``_sdk_defs.py`` holds now (read as data, so a stale or partial file still compares)."""
    import ast

    namespace: dict[str, Any] = {}
    for node in ast.parse(_OUT.read_text()).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if not isinstance(target, ast.Name):
                continue
            if isinstance(node.value, ast.Call) and len(node.value.args) == 1:  # orjson.loads(JSON text)
                namespace[target.id] = json.loads(ast.literal_eval(node.value.args[0]))
            else:  # a literal (the small lists, and every table of files written before the JSON tables)
                namespace[target.id] = ast.literal_eval(node.value)
    return {key: namespace.get(key, empty) for key, empty in _EMPTY.items()}


# Every name _sdk_defs.py holds, with what an older file that lacks it compares as.
_EMPTY: dict[str, Any] = {
    "SDK_VERSION": "", "ROOTS": {}, "SDK_BETAS": [], "SDK_MODELS": [], "SDK_BETA_FIELDS": [], "DEFS": {},
    "BETA_FIELD_NODES": {}, "BETA_DEFS": {},
}


def _set_delta(label: str, old: Any, new: Any) -> list[str]:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    lines = []
    if added:
        lines.append(f"  {label} added: {', '.join(map(str, added))}")
    if removed:
        lines.append(f"  {label} removed: {', '.join(map(str, removed))}")
    return lines


def _enums(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("kind") == "enum":
            return [str(v) for v in node["values"]]
        return [v for child in node.values() for v in _enums(child)]
    if isinstance(node, list):
        return [v for child in node for v in _enums(child)]
    return []


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a regeneration would change, for a reviewer: fields, block types, enum values, betas, models.

    An empty list means the committed definitions already match the installed SDK.
    """
    lines: list[str] = []
    if old["SDK_VERSION"] != new["SDK_VERSION"]:
        lines.append(f"SDK {old['SDK_VERSION']} -> {new['SDK_VERSION']}")
    lines += _set_delta("model ids", old["SDK_MODELS"], new["SDK_MODELS"])
    lines += _set_delta("beta flags", old["SDK_BETAS"], new["SDK_BETAS"])
    lines += _set_delta("beta-only request fields", old["SDK_BETA_FIELDS"], new["SDK_BETA_FIELDS"])
    if old.get("BETA_FIELD_NODES") != new.get("BETA_FIELD_NODES") or old.get("BETA_DEFS") != new.get("BETA_DEFS"):
        lines.append(f"beta field shapes changed ({', '.join(ADMITTED_BETA_FIELDS)}): see protocol/betas.py")
    old_defs, new_defs = old["DEFS"], new["DEFS"]
    lines += _set_delta("definitions", list(old_defs), list(new_defs))
    for name in new_defs:
        before, after = old_defs.get(name), new_defs[name]
        if before is None or before == after:
            continue
        section: list[str] = []
        if before.get("kind") == after.get("kind") == "object":
            section += _set_delta("fields", list(before["props"]), list(after["props"]))
            section += _set_delta("required", before["required"], after["required"])
            for field in after["props"]:
                if field in before["props"] and before["props"][field] != after["props"][field]:
                    old_values, new_values = _enums(before["props"][field]), _enums(after["props"][field])
                    delta = _set_delta(f"{field} values", old_values, new_values)
                    section += delta or [f"  {field}: shape changed"]
            if before.get("extra") != after.get("extra"):
                section.append(f"  extra fields allowed: {before.get('extra')} -> {after.get('extra')}")
        elif before.get("kind") == after.get("kind") == "union":
            section += _set_delta("block types", list(before["variants"]), list(after["variants"]))
            if before["variants"] == after["variants"]:
                section.append("  variant mapping changed")
        else:
            section.append(f"  {before.get('kind')} -> {after.get('kind')}")
        if section:
            lines.append(f"{name}:")
            lines += section
    return lines


def _run_with_sdk(version: str, argv: list[str]) -> int:
    """Run this tool in a subprocess against another SDK release, installed into a throw-away folder."""
    import os
    import subprocess
    import tempfile

    spec = "anthropic" if version == "latest" else f"anthropic=={version}"
    with tempfile.TemporaryDirectory(prefix="mockclaude-sdk-") as target:
        print(f"installing {spec} into a temporary folder ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", target, spec],
            check=True,
        )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [target, os.environ.get("PYTHONPATH")])))
        return subprocess.run([sys.executable, "-m", "mockclaude.protocol._gen_schema", *argv], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mockclaude.protocol._gen_schema",
        description="Regenerate mockclaude's request definitions from the official SDK, or report what a "
        "regeneration would change (fields, block types, model ids, beta flags).",
    )
    parser.add_argument("--diff", action="store_true", help="report the changes; write nothing")
    parser.add_argument("--write", action="store_true", help="rewrite _sdk_defs.py (the default without --sdk)")
    parser.add_argument("--check", action="store_true", help="like --diff, and exit 1 when anything changed")
    parser.add_argument(
        "--sdk", metavar="VERSION", help="use this anthropic release (or 'latest') from PyPI, installed into a "
        "temporary folder; the environment is left as it is",
    )
    args = parser.parse_args(argv)
    if args.sdk:
        flags = [f"--{name}" for name in ("diff", "check", "write") if getattr(args, name)]
        return _run_with_sdk(args.sdk, flags or ["--diff"])
    new = generate()
    changes = diff(committed(), new)
    if args.diff or args.check:
        print(f"anthropic {new['SDK_VERSION']} against the committed definitions ({committed()['SDK_VERSION']}):")
        print("\n".join(changes) if changes else "  no changes: the double's definitions match this SDK")
        return 1 if (args.check and changes) else 0
    _OUT.write_text(render(new))
    print(f"wrote {_OUT} ({len(new['DEFS'])} definitions)", file=sys.stderr)
    print("\n".join(changes) if changes else "no changes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
