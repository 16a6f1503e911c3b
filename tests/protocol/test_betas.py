"""Fields only a beta flag admits: refused without it (as the API refuses unknown fields), shape-checked with it."""

from __future__ import annotations

from typing import Any

import pytest

from mockclaude.errors import ApiError
from mockclaude.protocol import validate_messages

from .helpers import MODEL, SIGNER

BASE = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
CM = {"edits": [{"type": "clear_tool_uses_20250919", "trigger": {"type": "input_tokens", "value": 30000},
                 "keep": {"type": "tool_uses", "value": 3}}, {"type": "clear_thinking_20251015", "keep": "all"}]}
MCP = [{"type": "url", "url": "https://mcp.example.com/sse", "name": "example",
        "tool_configuration": {"enabled": True, "allowed_tools": ["search"]}}]
FALLBACKS = [{"model": "claude-opus-4-8"}]


def _v(body: dict[str, Any], betas: tuple[str, ...] = (), endpoint: str = "messages") -> Any:
    return validate_messages(body, version="2023-06-01", signer=SIGNER, betas=betas, endpoint=endpoint)


@pytest.mark.parametrize(("field", "value", "flag"), [
    ("context_management", CM, "context-management-2025-06-27"),
    ("context_management", {"edits": [{"type": "compact_20260112"}]}, "compact-2026-01-12"),
    ("mcp_servers", MCP, "mcp-client-2025-04-04"),
    ("mcp_servers", MCP, "mcp-client-2025-11-20"),
    ("fallbacks", FALLBACKS, "server-side-fallback-2026-06-01"),
    ("output_format", {"type": "json_schema", "schema": {"type": "object"}}, "structured-outputs-2025-11-13"),
])
def test_admitted_with_its_flag_refused_without(field: str, value: Any, flag: str) -> None:
    body = {**BASE, field: value}
    with pytest.raises(ApiError, match=f"^{field}: Extra inputs are not permitted$"):
        _v(body)
    with pytest.raises(ApiError, match=f"^{field}: Extra inputs are not permitted$"):
        _v(body, ("some-other-beta-2025-01-01",))
    valid = _v(body, ("interleaved-thinking-2025-05-14", flag))
    assert valid.body[field] == value  # kept for recording and replay


@pytest.mark.parametrize(("field", "value", "message"), [
    ("context_management", {"edits": [{"type": "nope"}]},
     "context_management.edits.0: Input tag 'nope' found using 'type' does not match any of the expected tags: "
     "'clear_tool_uses_20250919', 'clear_thinking_20251015', 'compact_20260112'"),
    ("context_management", {"edits": [{"type": "clear_tool_uses_20250919", "keep": {"type": "tool_uses",
                                                                                   "value": "3"}}]},
     "context_management.edits.0.clear_tool_uses_20250919.keep.value: Input should be a valid integer"),
    ("context_management", {"edit": []}, "context_management.edit: Extra inputs are not permitted"),
    ("mcp_servers", [{"type": "url", "url": "https://x"}], "mcp_servers.0.name: Field required"),
    ("mcp_servers", {"type": "url"}, "mcp_servers: Input should be a valid list"),
])
def test_shapes_are_those_of_the_sdk_beta_types(field: str, value: Any, message: str) -> None:
    flags = ("context-management-2025-06-27", "mcp-client-2025-04-04")
    with pytest.raises(ApiError) as err:
        _v({**BASE, field: value}, flags)
    assert err.value.message == message


def test_count_tokens_admits_context_management_not_fallbacks() -> None:
    body = {"model": MODEL, "messages": BASE["messages"]}
    _v({**body, "context_management": CM}, ("context-management-2025-06-27",), endpoint="count_tokens")
    with pytest.raises(ApiError, match="fallbacks: Extra inputs are not permitted"):
        _v({**body, "fallbacks": FALLBACKS}, ("server-side-fallback-2026-06-01",), endpoint="count_tokens")


def test_not_yet_admitted_fields_stay_refused() -> None:
    with pytest.raises(ApiError, match=r"^compaction: Extra inputs are not permitted$"):
        _v({**BASE, "compaction": {"type": "compact"}}, ("compact-2026-09-04",))


def test_a_beta_member_of_a_ga_field() -> None:
    """`output_config.task_budget` needs task-budgets-2026-03-13; the rest of output_config stays GA-checked."""
    body = {**BASE, "output_config": {"effort": "high", "task_budget": {"type": "tokens", "total": 20000}}}
    with pytest.raises(ApiError, match=r"^output_config.task_budget: Extra inputs are not permitted$"):
        _v(body)
    valid = _v(body, ("task-budgets-2026-03-13",))
    assert valid.body["output_config"]["task_budget"] == {"type": "tokens", "total": 20000}
    with pytest.raises(ApiError, match=r"^output_config.task_budget.total: Field required$"):
        _v({**BASE, "output_config": {"task_budget": {"type": "tokens"}}}, ("task-budgets-2026-03-13",))
    with pytest.raises(ApiError, match=r"^output_config.effort: Input should be"):
        _v({**BASE, "output_config": {"effort": "huge", "task_budget": {"type": "tokens", "total": 1}}},
           ("task-budgets-2026-03-13",))
    fmt = {"type": "json_schema", "schema": {"type": "object"}}
    both = _v({**BASE, "output_config": {"format": fmt, "task_budget": {"type": "tokens", "total": 1}}},
              ("task-budgets-2026-03-13",))
    assert both.output_format == fmt


COMPUTER = {"type": "computer_20250124", "name": "computer", "display_width_px": 1024, "display_height_px": 768}


def test_beta_tool_types_need_their_flags() -> None:
    body = {**BASE, "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}, COMPUTER],
            "tool_choice": {"type": "tool", "name": "computer"}}
    with pytest.raises(ApiError, match=r"tools.1: Input tag 'computer_20250124' found using 'type' does not match"):
        _v(body)
    valid = _v(body, ("computer-use-2025-01-24",))
    assert valid.tools[1] == COMPUTER and valid.body["tools"][1] == COMPUTER  # as sent
    with pytest.raises(ApiError) as err:
        _v({**BASE, "tools": [{**COMPUTER, "display_width_px": "wide"}]}, ("computer-use-2025-01-24",))
    assert err.value.message == "tools.0.computer_20250124.display_width_px: Input should be a valid integer"
    with pytest.raises(ApiError, match="Tool names must be unique"):
        _v({**BASE, "tools": [COMPUTER, {"name": "computer", "input_schema": {"type": "object"}}]},
           ("computer-use-2025-01-24",))
    toolset = {"type": "mcp_toolset", "mcp_server_name": "example"}
    _v({**BASE, "mcp_servers": MCP, "tools": [toolset]}, ("mcp-client-2025-11-20",))
    with pytest.raises(ApiError, match=r"tools.0: Input tag 'mcp_toolset'"):
        _v({**BASE, "mcp_servers": MCP, "tools": [toolset]}, ("mcp-client-2025-04-04",))
