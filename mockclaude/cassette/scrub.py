"""Keeping secrets out of cassette files.

Three layers, applied when recording, importing and by ``mockclaude cassette redact``:

1. headers: only the headers that matter are written at all (``anthropic-*``, content type, request
   id, retry hints); among them, those in the redaction list (API keys, ``authorization``, cookies,
   organization/workspace ids, plus any the user adds) are written as ``[REDACTED]``;
2. values: the actual secret values seen in the request and response headers are replaced wherever
   else they occur in the interaction (a 429 message names the organization id; an error may echo
   a key);
3. patterns: anything shaped like an Anthropic API key (``sk-ant-…``) is replaced everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..redact import DEFAULT_REDACT, REDACTED, is_secret
from ..sse import Event
from .format import Interaction

__all__ = [
    "KEY_PATTERN",
    "find_secrets",
    "recorded_request_headers",
    "recorded_response_headers",
    "scrub_interaction",
    "secret_values",
]

KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]{6,}")

REQUEST_KEEP = ("content-type", "x-api-key", "authorization")
RESPONSE_KEEP = ("content-type", "request-id", "retry-after", "retry-after-ms", "x-should-retry")
_MIN_SECRET = 8  # shorter header values are not hunted for elsewhere (too likely to hit innocent text)


def _items(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def _keep(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], keep: tuple[str, ...], redact: Iterable[str]
) -> dict[str, str]:
    names = tuple(redact)
    out: dict[str, str] = {}
    for name, value in _items(headers):
        low = name.lower()
        if low in keep or low.startswith("anthropic-"):
            out[low] = REDACTED if is_secret(low, names) else value
    return out


def recorded_request_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], redact: Iterable[str] = DEFAULT_REDACT
) -> dict[str, str]:
    """The request headers a cassette keeps: ``anthropic-*``, content type, and which auth was used."""
    return _keep(headers, REQUEST_KEEP, redact)


def recorded_response_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], redact: Iterable[str] = DEFAULT_REDACT
) -> dict[str, str]:
    """The response headers a cassette keeps: content type, request id, retry hints, ``anthropic-*``."""
    return _keep(headers, RESPONSE_KEEP, redact)


def secret_values(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], redact: Iterable[str] = DEFAULT_REDACT
) -> set[str]:
    """The secret values among ``headers`` (for hunting them down in bodies)."""
    names = tuple(redact)
    out: set[str] = set()
    for name, value in _items(headers):
        if not value or value == REDACTED or not is_secret(name, names):
            continue
        for v in (value, *value.split(" ", 1)[1:], *(p.strip().split("=", 1)[-1] for p in value.split(";"))):
            v = v.strip()
            if len(v) >= _MIN_SECRET:
                out.add(v)
    return out


def _scrub_text(text: str, values: Iterable[str]) -> str:
    for v in values:
        if v in text:
            text = text.replace(v, REDACTED)
    if "sk-ant-" in text:
        text = KEY_PATTERN.sub(REDACTED, text)
    return text


def _scrub_json(obj: Any, values: tuple[str, ...]) -> Any:
    if isinstance(obj, str):
        return _scrub_text(obj, values)
    if isinstance(obj, dict):
        return {k: _scrub_json(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub_json(v, values) for v in obj]
    return obj


def scrub_interaction(
    it: Interaction, values: Iterable[str] = (), redact: Iterable[str] = DEFAULT_REDACT
) -> Interaction:
    """Redact headers and replace secret values and key-shaped strings everywhere (in place)."""
    names = tuple(redact)
    vals = tuple(
        sorted(
            set(values)
            | secret_values(it.request.headers, names)
            | secret_values(it.response.headers, names),
            key=len,
            reverse=True,
        )
    )
    it.request.headers = {
        k: (REDACTED if is_secret(k, names) else _scrub_text(v, vals)) for k, v in it.request.headers.items()
    }
    it.response.headers = {
        k: (REDACTED if is_secret(k, names) else _scrub_text(v, vals)) for k, v in it.response.headers.items()
    }
    it.request.query = _scrub_text(it.request.query, vals)
    it.request.body = _scrub_json(it.request.body, vals)
    r = it.response
    if r.body is not None:
        r.body = _scrub_json(r.body, vals)
    if r.events is not None:
        r.events = [
            ev if not (vals or "sk-ant-" in ev.data) else Event(ev.name, _scrub_text(ev.data, vals))
            for ev in r.events
        ]
    if r.raw is not None:
        try:
            text = r.raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            scrubbed = _scrub_text(text, vals)
            if scrubbed != text:
                r.raw = scrubbed.encode("utf-8")
    return it


def find_secrets(it: Interaction, redact: Iterable[str] = DEFAULT_REDACT) -> list[str]:
    """What a lint reports: unredacted secret headers and key-shaped strings (never the values)."""
    names = tuple(redact)
    problems: list[str] = []
    for side, headers in (("request", it.request.headers), ("response", it.response.headers)):
        for k, v in headers.items():
            if is_secret(k, names) and v != REDACTED:
                problems.append(f"{side} header {k!r} is not redacted")
            elif "sk-ant-" in v and KEY_PATTERN.search(v):
                problems.append(f"{side} header {k!r} contains an API key")
    texts: list[tuple[str, str]] = []

    def walk(obj: Any, where: str) -> None:
        if isinstance(obj, str):
            if "sk-ant-" in obj:
                texts.append((where, obj))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{where}.{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{where}.{i}")

    walk(it.request.query, "request.query")
    walk(it.request.body, "request.body")
    walk(it.response.body, "response.body")
    for i, ev in enumerate(it.response.events or []):
        walk(ev.data, f"response.events.{i}")
    if it.response.raw is not None and b"sk-ant-" in it.response.raw:
        texts.append(("response.raw", it.response.raw.decode("utf-8", "replace")))
    problems.extend(f"{where} contains an API key" for where, text in texts if KEY_PATTERN.search(text))
    return problems
