"""Deterministic token estimates: plausible figures, the same on every machine.

The real tokenizer is not public; the double counts about four characters of text per token (the rule
of thumb Anthropic documents), plus small fixed overheads per message, block, tool and image. What
matters to clients is that counts are plausible, stable, and grow with the request.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["count_block", "count_blocks", "count_request", "count_text", "count_tools"]

MESSAGE_OVERHEAD = 3
BLOCK_OVERHEAD = 1
TOOL_OVERHEAD = 8
TOOLS_PREAMBLE = 300  # tool use adds a system preamble on the real API, a few hundred tokens
IMAGE_TOKENS = 1_568  # about what a 1092x1092 image costs
DOCUMENT_TOKENS = 2_000


def _json_len(value: Any) -> int:
    """Characters of ``value`` as compact JSON (UTF-8 bytes: a stable, cheap measure)."""
    try:
        return len(orjson.dumps(value))
    except TypeError:
        return len(json.dumps(value, separators=(",", ":")))


def tool_tokens(tool: Any) -> int:
    """What one tool definition costs."""
    return TOOL_OVERHEAD + (_json_len(tool) + 3) // 4


def count_text(text: str) -> int:
    """About four characters a token, at least one for non-empty text."""
    if not text:
        return 0
    return (len(text) + 3) // 4


def _count_block(block: Any) -> int:
    if not isinstance(block, dict):
        return count_text(str(block))
    btype = block.get("type")
    if btype == "text":
        return BLOCK_OVERHEAD + count_text(block.get("text") or "")
    if btype == "image":
        return IMAGE_TOKENS
    if btype == "document":
        source = block.get("source") or {}
        if source.get("type") == "text":
            return BLOCK_OVERHEAD + count_text(source.get("data") or "")
        return DOCUMENT_TOKENS
    if btype in ("tool_use", "server_tool_use"):
        return BLOCK_OVERHEAD + count_text(block.get("name") or "") + (_json_len(block.get("input")) + 3) // 4
    if btype == "tool_result":
        content = block.get("content")
        if isinstance(content, str):
            return BLOCK_OVERHEAD + count_text(content)
        return BLOCK_OVERHEAD + count_blocks(content or [])
    if btype in ("thinking", "redacted_thinking"):
        # Thinking from earlier turns is stripped by the API and does not count as input.
        return 0
    return BLOCK_OVERHEAD + (_json_len(block) + 3) // 4


count_block = _count_block  # one block of a message, as count_request counts it


def count_blocks(blocks: Any) -> int:
    if isinstance(blocks, str):
        return count_text(blocks)
    return sum(_count_block(b) for b in blocks or [])


def count_tools(tools: list[dict[str, Any]]) -> int:
    if not tools:
        return 0
    total = TOOLS_PREAMBLE
    for tool in tools:
        total += tool_tokens(tool)
    return total


def count_request(
    system_blocks: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    tools: list[Any],
    message_tokens: int | None = None,
) -> int:
    """Input tokens of a request, from its normalised parts.

    ``message_tokens``: what the messages cost, when already counted (the validator's fast pass counts
    them on its way through the turns, see ``ValidRequest.message_tokens``); the same figure as the
    loop below."""
    total = count_blocks(system_blocks) + count_tools(tools)
    if message_tokens is not None:
        return max(1, total + message_tokens)
    for message in messages:
        total += MESSAGE_OVERHEAD
        content = message.get("content")
        if isinstance(content, str):
            total += count_text(content)
            continue
        for block in content or ():
            # Plain text is most of every conversation: counted inline, the rest by _count_block.
            if type(block) is dict and block.get("type") == "text":
                text = block.get("text") or ""
                total += BLOCK_OVERHEAD + (len(text) + 3) // 4
            else:
                total += _count_block(block)
    return max(1, total)
