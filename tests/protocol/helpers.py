"""Shared builders for the protocol tests."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mockclaude.errors import ApiError
from mockclaude.protocol import ValidRequest, validate_messages
from mockclaude.signatures import Signer

MODEL = "claude-sonnet-4-5-20250929"
TUTORIAL_MODEL = "claude-sonnet-4-5-20250514"
SIGNER = Signer("test-key")

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 32).decode()
GIF = base64.b64encode(b"GIF89a" + b"\x00" * 32).decode()
WEBP = base64.b64encode(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32).decode()


def req(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}]}
    body.update(fields)
    return body


def ok(body: dict[str, Any], version: str = "2023-06-01", **kw: Any) -> ValidRequest:
    return validate_messages(body, version=version, signer=kw.pop("signer", SIGNER), **kw)


def err(body: Any, version: str = "2023-06-01", **kw: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        validate_messages(body, version=version, signer=kw.pop("signer", SIGNER), **kw)
    return info.value


def message(body: Any, version: str = "2023-06-01", **kw: Any) -> str:
    e = err(body, version, **kw)
    assert e.status == 400, e
    return e.message


def tool(name: str = "get_weather", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "d", "input_schema": {"type": "object", "properties": {}}, **extra}


def thinking_block(text: str = "Let me think.") -> dict[str, Any]:
    return {"type": "thinking", "thinking": text, "signature": SIGNER.sign(text)}


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in a JSON value (the root first): keys of objects, indexes of arrays."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += json_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += json_paths(v, (*prefix, i))
    return out
