"""Parsing a request body: strict UTF-8 JSON, a JSON object at the top, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ..errors import invalid

__all__ = ["parse_body"]

_PREFIX = "The request body is not valid JSON: "

# Python's json messages, reworded the way the real API's parser words them.
_WORDING = {
    "Expecting value": "unexpected character",
    "Extra data": "trailing characters",
    "Expecting property name enclosed in double quotes": "key must be a string",
    "Expecting ',' delimiter": "expected `,` or `]`",
    "Expecting ':' delimiter": "expected `:`",
    "Unterminated string starting at": "unexpected end of string",
    "Invalid control character at": "control character found while parsing a string",
    "Invalid \\escape": "invalid escape",
    "Invalid \\uXXXX escape": "invalid escape",
}

# A backslash-u escape of a UTF-16 surrogate: lone ones are not valid Unicode text (checked only when
# the raw body contains one, so the common case costs one C-speed search).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


# One decoder for every request: ``json.loads(text, parse_constant=...)`` would build a new decoder
# (and its C scanner) per call; ``decode`` is what ``loads`` calls, with the same errors.
_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_body(raw: bytes) -> Any:
    """The JSON object in ``raw``, or :class:`ApiError` 400 worded as the API words it.

    Invalid UTF-8, malformed JSON, ``NaN``/``Infinity``, lone surrogate escapes and nesting too deep
    for the parser are all 400 ``The request body is not valid JSON: <detail>``; a top level that is
    not an object is 400 ``Input should be a valid dictionary``.
    """
    if not raw.startswith(b"\xef\xbb\xbf"):
        # The fast path: orjson accepts exactly the valid bodies (strict UTF-8, no NaN, no lone
        # surrogates, bounded nesting); anything it refuses is parsed again below to word the error.
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if not isinstance(value, dict):
                raise invalid("Input should be a valid dictionary")
            return value
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(f"{_PREFIX}invalid UTF-8 sequence at byte {exc.start}") from None
    if text.startswith("\ufeff"):
        raise invalid(f"{_PREFIX}unexpected character: line 1 column 1 (char 0)")
    try:
        value = _decode(text)
    except json.JSONDecodeError as exc:
        detail = _WORDING.get(exc.msg, exc.msg[:1].lower() + exc.msg[1:])
        if exc.msg == "Expecting value" and exc.pos >= len(text.rstrip()):
            detail = "unexpected end of data"
        raise invalid(f"{_PREFIX}{detail}: line {exc.lineno} column {exc.colno} (char {exc.pos})") from None
    except ValueError as exc:  # NaN / Infinity
        raise invalid(f"{_PREFIX}unexpected character: `{exc}` is not valid JSON") from None
    except RecursionError:
        raise invalid(f"{_PREFIX}recursion limit reached") from None
    if not isinstance(value, dict):
        raise invalid("Input should be a valid dictionary")
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) is not None and _has_lone_surrogate(value):
        raise invalid(f"{_PREFIX}lone leading or trailing surrogate in string escape")
    return value
