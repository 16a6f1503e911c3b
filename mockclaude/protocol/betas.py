"""Request fields that only a beta flag admits (``anthropic-beta``), per version.

The schema layer is built from the SDK's GA request types, where these fields do not exist, so a
request that sends one without its flag gets the API's own answer for an unknown field
(``<field>: Extra inputs are not permitted``). With the flag, the field is checked here against its
shape, taken out of the body the schema sees, and handed to the responder.

Today's table:

* ``output_format`` under ``structured-outputs-2025-11-13`` — the beta form of structured outputs
  that became GA as ``output_config.format`` (LiteLLM 1.110 still sends it). Its shape is the GA
  one, ``{"type": "json_schema", "schema": {...}}``; sending both forms is refused (the two would
  disagree; wording ours).
* ``context_management`` (``context-management-2025-06-27``, ``compact-2026-01-12``),
  ``mcp_servers`` (the ``mcp-client-*`` flags), ``fallbacks`` (``server-side-fallback-*``) and the
  member ``output_config.task_budget`` (``task-budgets-2026-03-13``; its parent is checked whole):
  checked against the SDK's beta types (generated into ``_sdk_defs.BETA_DEFS``), then accepted; the
  synthetic model needs no context edits, calls no MCP server and never declines, so they change
  nothing in its answers (a recording carries the real API's).

* beta-only tool types in ``tools`` (``BETA_TOOLS``): the computer-use tools of
  ``computer-use-2024-10-22`` / ``-2025-01-24`` / ``-2025-11-24``, ``mcp_toolset`` (``mcp-client-2025-11-20``,
  ``-2026-09-15``), ``advisor_20260301`` (``advisor-tool-2026-03-01``): checked as the beta type,
  then shown to the GA schema and rules as a plain custom tool of the same name (so names stay
  unique and ``tool_choice`` can name them); the synthetic model never calls them.

The table is the one place to add the next gated field. Not admitted yet (still refused as extra
inputs): ``compaction``, ``fallback_credit_token``, ``billing_policy`` — each changes what the API
answers in ways the double does not model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from ..errors import ApiError, invalid
from ._sdk_defs import BETA_DEFS, BETA_FIELD_NODES

__all__ = ["BETA_FIELDS", "BETA_TOOLS", "BetaField", "split_beta_fields"]

# Tool types only the beta surface declares, and the flags that admit each.
BETA_TOOLS: dict[str, tuple[str, ...]] = {
    "computer_20241022": ("computer-use-2024-10-22",),
    "bash_20241022": ("computer-use-2024-10-22",),
    "text_editor_20241022": ("computer-use-2024-10-22",),
    "computer_20250124": ("computer-use-2025-01-24",),
    "computer_20251124": ("computer-use-2025-11-24",),
    "mcp_toolset": ("mcp-client-2025-11-20", "mcp-client-2026-09-15"),
    "advisor_20260301": ("advisor-tool-2026-03-01",),
}
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def _json_schema_format(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{path}: Input should be a valid dictionary")
    if "type" not in value:
        raise invalid(f"{path}.type: Field required")
    if value["type"] != "json_schema":
        raise invalid(f"{path}.type: Input should be 'json_schema'")
    if "schema" not in value:
        raise invalid(f"{path}.schema: Field required")
    if not isinstance(value["schema"], dict):
        raise invalid(f"{path}.schema: Input should be a valid dictionary")
    for key in value:
        if key not in ("type", "schema"):
            raise invalid(f"{path}.{key}: Extra inputs are not permitted")
    return value


@functools.cache
def _field_schema(name: str) -> dict[str, Any]:
    from .schema import _node, _object  # the same construction as the request schema

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {name: _node(cast("dict[str, Any]", BETA_FIELD_NODES[name]))},
        "$defs": {d: _object(defn) for d, defn in BETA_DEFS.items()},
    }


def _sdk_shape(value: Any, path: str) -> Any:
    """Check a beta field against its SDK type, with the request schema's error wording."""
    from .schema import _describe, _Validator

    schema = _field_schema(path)
    error = next(iter(_Validator(schema).iter_errors({path: value})), None)
    if error is not None:
        raise invalid(_describe(error, schema))
    return value


_ALL_VERSIONS = ("2023-06-01", "2026-10-21")


def _beta_tools(tools: list[Any], flags: set[str]) -> list[Any] | None:
    """``tools`` with each admitted beta tool checked and replaced by a custom tool of its name; None if none."""
    from .schema import _describe, _Validator

    variants = cast("dict[str, Any]", BETA_FIELD_NODES["tools"])["items"]["variants"]
    out: list[Any] | None = None
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if not isinstance(kind, str) or not flags.intersection(BETA_TOOLS.get(kind, ())):
            continue
        where = {"type": "object", "properties": {kind: {"$ref": f"#/$defs/{variants[kind]}"}}}
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                  "properties": {"tools": {"type": "object", "properties": {str(i): where}}},
                  "$defs": _field_schema("tools")["$defs"]}
        error = next(iter(_Validator(schema).iter_errors({"tools": {str(i): {kind: tool}}})), None)
        if error is not None:
            raise invalid(_describe(error, schema))
        name = tool.get("name") or _NAME_CHARS.sub("_", f"mcp_{tool.get('mcp_server_name', '')}")[:128]
        out = list(tools) if out is None else out
        out[i] = {"name": name, "input_schema": {"type": "object"}}
    return out


@dataclass(frozen=True, slots=True)
class BetaField:
    """A top-level request field admitted by any of ``flags`` under ``versions``, checked by ``check``."""

    name: str
    flags: tuple[str, ...]
    versions: tuple[str, ...]
    endpoints: tuple[str, ...]
    check: Callable[[Any, str], Any]


BETA_FIELDS: tuple[BetaField, ...] = (
    BetaField(
        "output_format",
        ("structured-outputs-2025-11-13",),
        ("2023-06-01", "2026-10-21"),
        ("messages", "count_tokens"),
        _json_schema_format,
    ),
    BetaField("context_management", ("context-management-2025-06-27", "compact-2026-01-12"), _ALL_VERSIONS,
              ("messages", "count_tokens"), _sdk_shape),
    BetaField("mcp_servers", ("mcp-client-2025-04-04", "mcp-client-2025-11-20", "mcp-client-2026-09-15"),
              _ALL_VERSIONS, ("messages", "count_tokens"), _sdk_shape),
    BetaField("output_config.task_budget", ("task-budgets-2026-03-13",), _ALL_VERSIONS, ("messages", "count_tokens"),
              _sdk_shape),
    BetaField("fallbacks", ("server-side-fallback-2026-06-01", "server-side-fallback-2026-07-01"), _ALL_VERSIONS,
              ("messages",), _sdk_shape),
)


def split_beta_fields(
    body: dict[str, Any], betas: Iterable[str], *, version: str, endpoint: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the body the schema should see, the admitted beta fields by name, checked).

    A gated field sent without its flag stays in the body (the schema refuses it as the API does).
    """
    flags = set(betas)
    admitted: dict[str, Any] = {}
    if not flags:  # every beta field and beta tool needs a flag: nothing to admit (the common case)
        return body, admitted
    nested: dict[str, list[str]] = {}  # parent -> admitted members (``output_config.task_budget``)
    for field in BETA_FIELDS:
        if endpoint not in field.endpoints or version not in field.versions or not flags.intersection(field.flags):
            continue
        parent, _, member = field.name.partition(".")
        if member:
            holder = body.get(parent)
            if isinstance(holder, dict) and member in holder:
                field.check(holder, parent)  # the whole parent, as the beta type declares it
                admitted[field.name] = holder[member]
                nested.setdefault(parent, []).append(member)
        elif field.name in body:
            admitted[field.name] = field.check(body[field.name], field.name)
    tools = body.get("tools")
    shown_tools = _beta_tools(tools, flags) if isinstance(tools, list) else None
    if shown_tools is not None:
        admitted["tools"] = tools
    if not admitted:
        return body, admitted
    if "output_format" in admitted:
        config = body.get("output_config")
        if isinstance(config, dict) and config.get("format") is not None:
            raise ApiError(
                400,
                "output_format: cannot be used together with `output_config.format`; use only `output_config.format`",
                type="invalid_request_error",
            )
    seen = {k: v for k, v in body.items() if k not in admitted}
    if shown_tools is not None:
        seen["tools"] = shown_tools
    for parent, members in nested.items():
        seen[parent] = {k: v for k, v in body[parent].items() if k not in members}
    return seen, admitted
