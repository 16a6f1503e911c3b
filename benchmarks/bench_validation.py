"""Cost of validating a typical request: 10 turns (tool loop included), 3 tools, a cached system prompt.

Run: python benchmarks/bench_validation.py
"""

from __future__ import annotations

import timeit

from mockclaude.protocol import parse_body, validate_messages
from mockclaude.signatures import Signer

signer = Signer()


def _tool(name: str) -> dict[str, object]:
    return {"name": name, "description": f"The {name} tool.",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}


def typical() -> dict[str, object]:
    messages: list[dict[str, object]] = []
    for i in range(4):
        messages.append({"role": "user", "content": f"Question {i}: what about this?"})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": f"Answer {i}, at some length."}]})
    messages.append({"role": "user", "content": "Now look it up."})
    messages.append({"role": "assistant", "content": [
        {"type": "text", "text": "Looking it up."},
        {"type": "tool_use", "id": "toolu_01abc", "name": "search", "input": {"q": "x"}}]})
    messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01abc", "content": "found"}]})
    return {
        "model": "claude-sonnet-4-5-20250929", "max_tokens": 2048,
        "system": [{"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}}],
        "tools": [_tool("search"), _tool("fetch"), _tool("calc")],
        "messages": messages,
    }


def main() -> None:
    import json

    body = typical()
    raw = json.dumps(body).encode()
    validate_messages(body, version="2023-06-01", signer=signer)  # warm the schema caches
    for label, fn in (
        ("validate_messages", lambda: validate_messages(body, version="2023-06-01", signer=signer)),
        ("parse_body + validate_messages", lambda: validate_messages(parse_body(raw), version="2023-06-01", signer=signer)),
    ):
        n, _total = timeit.Timer(fn).autorange()
        best = min(timeit.repeat(fn, number=n, repeat=5)) / n
        print(f"{label:32s} {best * 1e6:8.1f} µs per request")


if __name__ == "__main__":
    main()
