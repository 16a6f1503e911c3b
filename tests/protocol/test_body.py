from __future__ import annotations

import pytest

from mockclaude.errors import ApiError
from mockclaude.protocol import parse_body

PREFIX = "The request body is not valid JSON: "


def fail(raw: bytes) -> str:
    with pytest.raises(ApiError) as info:
        parse_body(raw)
    assert info.value.status == 400 and info.value.type == "invalid_request_error"
    return info.value.message


def test_parses_object() -> None:
    assert parse_body(b'{"a": [1, {"b": "\\u00e9"}]}') == {"a": [1, {"b": "\u00e9"}]}


def test_confirmed_shape_of_malformed_json() -> None:
    assert fail(b"{x") == PREFIX + "key must be a string: line 1 column 2 (char 1)"
    assert fail(b"[x]") == PREFIX + "unexpected character: line 1 column 2 (char 1)"


@pytest.mark.parametrize("raw", [b"", b"   ", b'{"a":', b'{"a": 1} x', b'{"a": NaN}', b'{"a": Infinity}', b"\xef\xbb\xbf{}"])
def test_malformed(raw: bytes) -> None:
    assert fail(raw).startswith(PREFIX)


def test_invalid_utf8() -> None:
    assert fail(b'{"a": "\xff\xfe"}') == PREFIX + "invalid UTF-8 sequence at byte 7"
    assert fail(b"\xc3") .startswith(PREFIX)


def test_lone_surrogate_escape() -> None:
    assert fail(b'{"a": "\\ud800"}').startswith(PREFIX)
    assert parse_body(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert parse_body(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}  # an escaped backslash, not an escape


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000])
def test_deep_nesting_is_a_400(raw: bytes) -> None:
    assert fail(raw).startswith(PREFIX)


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"x"', b"null", b"true"])
def test_top_level_must_be_an_object(raw: bytes) -> None:
    assert fail(raw) == "Input should be a valid dictionary"
