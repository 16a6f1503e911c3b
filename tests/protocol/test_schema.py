"""Layer 1: shape errors, worded and pathed like the API."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import PNG, message, ok, req, tool


def user(*blocks: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(blocks)}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "x"}]}, "max_tokens: Field required"),
        (req(response_format={"type": "json"}), "response_format: Extra inputs are not permitted"),
        (req(max_tokens="1024"), "max_tokens: Input should be a valid integer"),
        (req(max_tokens=1.5), "max_tokens: Input should be a valid integer, got a number with a fractional part"),
        (req(max_tokens=True), "max_tokens: Input should be a valid integer"),
        (req(max_tokens=-1), "max_tokens: Input should be greater than or equal to 0"),
        (req(model=5), "model: Input should be a valid string"),
        (req(messages={}), "messages: Input should be a valid list"),
        (req(messages=["hi"]), "messages.0: Input should be a valid dictionary"),
        (req(messages=[{"role": "user"}]), "messages.0.content: Field required"),
        (req(messages=[{"role": "user", "content": 5}]), "messages.0.content: Input should be a valid string or a valid list"),
        (req(messages=[{"role": "user", "content": "x", "name": "bob"}]), "messages.0.name: Extra inputs are not permitted"),
        (
            req(messages=user({"type": "text", "text": "x"}, {"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": PNG}})),
            "messages.0.content.1.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
        ),
        (
            req(system=[{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}]),
            "system.0.cache_control.ephemeral.ttl: Input should be '5m' or '1h'",
        ),
        (
            req(system=[{"type": "text", "text": "a"}, {"type": "text", "text": "b", "cache_control": {"type": "ephemeral", "scope": "global"}}]),
            "system.1.cache_control.ephemeral.scope: Extra inputs are not permitted",
        ),
        (req(system=5), "system: Input should be a valid string or a valid list"),
        (req(tools=[tool(f"t{i}") for i in range(7)] + [tool("bad name")]), "tools.7.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"),
        (req(tools=[tool("x" * 129)]), "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"),
        (req(tools=[{"name": "t"}]), "tools.0.custom.input_schema: Field required"),
        (req(tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": "x"}]), "tools.0.web_search_20250305.max_uses: Input should be a valid integer"),
        (
            req(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu.1", "name": "t", "input": {}}]}]),
            "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
        ),
        (req(thinking={"type": "enabled", "budget_tokens": 1000}), "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"),
        (req(thinking={"type": "enabled"}), "thinking.enabled.budget_tokens: Field required"),
        (req(thinking={"type": "sometimes"}), "thinking: Input tag 'sometimes' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'between_tools', 'adaptive'"),
        (req(messages=user({"text": "no type"})), "messages.0.content.0: Unable to extract tag using discriminator 'type'"),
        (req(messages=user({"type": "text", "text": 5})), "messages.0.content.0.text.text: Input should be a valid string"),
        (req(messages=user({"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "x", "extra": 1}]})), "messages.0.content.0.tool_result.content.0.text.extra: Extra inputs are not permitted"),
        (req(tool_choice={"type": "tool"}), "tool_choice.tool.name: Field required"),
        (req(tool_choice={"type": "auto", "disable_parallel_tool_use": "yes"}), "tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean"),
        (req(metadata={"user_id": 5}), "metadata.user_id: Input should be a valid string"),
        (req(service_tier="priority"), "service_tier: Input should be 'auto' or 'standard_only'"),
        (req(stop_sequences="STOP"), "stop_sequences: Input should be a valid list"),
        (req(stream="true"), "stream: Input should be a valid boolean"),
        (req(temperature=1.5), "temperature: Input should be less than or equal to 1"),
        (req(top_k=-1), "top_k: Input should be greater than or equal to 0"),
    ],
)
def test_shape_errors(body: dict[str, Any], expected: str) -> None:
    assert message(body) == expected


def test_count_tokens_field_set() -> None:
    body = {"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "x"}]}
    assert ok(body, endpoint="count_tokens").max_tokens is None
    for extra in ({"max_tokens": 5}, {"stream": True}, {"stop_sequences": []}, {"temperature": 1}, {"metadata": {}}):
        name = next(iter(extra))
        assert message({**body, **extra}, endpoint="count_tokens") == f"{name}: Extra inputs are not permitted"


def test_every_content_block_type_accepted() -> None:
    blocks = [
        {"type": "text", "text": "t", "citations": None, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
        {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}, "title": "T"},
        {"type": "document", "source": {"type": "url", "url": "https://x/y.pdf"}},
        {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "c"}]}},
        {"type": "search_result", "source": "s", "title": "t", "content": [{"type": "text", "text": "r"}]},
    ]
    ok(req(messages=[{"role": "user", "content": blocks}]))


def test_server_tools_and_custom_type() -> None:
    tools = [
        tool("a", type="custom", cache_control={"type": "ephemeral"}),
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
    ]
    v = ok(req(tools=tools, tool_choice={"type": "any", "disable_parallel_tool_use": True}))
    assert len(v.tools) == 4


def test_2026_accepts_system_role_messages_and_rejects_sampling() -> None:
    body = req(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    v = ok(body, "2026-10-21")
    assert v.messages[0] == {"role": "system", "content": [{"type": "text", "text": "Be brief."}]}
    for name, value in (("temperature", 0.5), ("top_p", 0.9), ("top_k", 5), ("temperature", None)):
        msg = message(req(**{name: value}), "2026-10-21")
        assert msg.startswith(f"{name}: `{name}` is not supported in anthropic-version 2026-10-21")


def test_2026_system_role_content_is_text_only() -> None:
    body = req(messages=[{"role": "system", "content": [{"type": "image", "source": {"type": "url", "url": "u"}}]}, {"role": "user", "content": "x"}])
    assert message(body, "2026-10-21") == "messages.0.content.0.text: Field required"
