"""The rules both passes over the messages apply the same way: the precise, rule-by-rule checks
(``rules.py``) and the one fast pass (``scan.py``). They live here, below both, so neither imports the
other's module to reach them."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..errors import invalid
from .models import ModelInfo

__all__ = ["MAX_CACHE_BREAKPOINTS"]

MAX_CACHE_BREAKPOINTS = 4

# Magic numbers of the image types the API takes.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _check_image(block: dict[str, Any], path: str) -> None:
    source = block.get("source")
    if not isinstance(source, dict) or source.get("type") != "base64":
        return
    data = source.get("data")
    media_type = source.get("media_type")
    where = f"{path}.image.source.base64"
    if not data:
        raise invalid(f"{where}: image cannot be empty")
    head = data[:24].strip()
    try:
        raw = base64.b64decode(head + "=" * (-len(head) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{where}.data: Invalid base64 data") from None
    found = next((kind for magic, kind in _MAGIC if raw.startswith(magic)), None)
    if found is None and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        found = "image/webp"
    if found != media_type:
        raise invalid(f"{where}.data: Image does not match the provided media type {media_type}")


def _final_dialogue_turn(turns: list[dict[str, Any]]) -> int | None:
    for t in range(len(turns) - 1, -1, -1):
        if turns[t]["role"] != "system":
            return t
    return None


def _check_prefill(turn: dict[str, Any], info: ModelInfo | None) -> None:
    if info is not None and not info.prefill:
        raise invalid(
            "This model does not support assistant message prefill. The conversation must end with a user message."
        )
    blocks = turn["content"]
    if blocks and blocks[-1].get("type") == "text":
        text = blocks[-1].get("text", "")
        if text and text != text.rstrip():
            raise invalid("messages: final assistant content cannot end with trailing whitespace")
