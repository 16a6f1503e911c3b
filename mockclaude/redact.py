"""Secrets never leave the process: header redaction shared by the journal and cassettes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

__all__ = ["DEFAULT_REDACT", "REDACTED", "compile_names", "redact_headers", "redact_plain"]

REDACTED = "[REDACTED]"

# Header names whose values are secrets (or identify an account). Matched case-insensitively; a
# name ending in "*" matches as a prefix.
DEFAULT_REDACT: tuple[str, ...] = (
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "anthropic-organization-id",
    "anthropic-workspace-id",
    "x-goog-api-key",
    "x-amz-security-token",
)


def compile_names(names: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The exact names and the prefixes (from names ending in ``*``) of ``names``, lower-case."""
    return _compiled(tuple(names))


@lru_cache(maxsize=64)
def _compiled(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    exact, prefixes = set(), []
    for n in names:
        n = n.lower().strip()
        if n.endswith("*"):
            prefixes.append(n[:-1])
        elif n:
            exact.add(n)
    return frozenset(exact), tuple(prefixes)


def is_secret(name: str, names: Iterable[str] = DEFAULT_REDACT) -> bool:
    exact, prefixes = compile_names(names)
    low = name.lower()
    return low in exact or any(low.startswith(p) for p in prefixes)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], names: Iterable[str] = DEFAULT_REDACT
) -> dict[str, str]:
    """A plain dict of the headers (names lower-cased) with secret values replaced by ``[REDACTED]``."""
    exact, prefixes = compile_names(names)
    raw = getattr(headers, "raw", None)  # starlette's Headers: the ASGI byte pairs, names already lower
    if raw is not None:
        items: Iterable[tuple[str, str]] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
    elif isinstance(headers, Mapping):
        items = headers.items()
    else:
        items = headers
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        secret = low in exact or (bool(prefixes) and low.startswith(prefixes))
        out[low] = REDACTED if secret else value
    return out


def redact_plain(
    headers: dict[str, str], names: Iterable[str] = DEFAULT_REDACT, *, matcher: tuple[frozenset[str], tuple[str, ...]] | None = None
) -> dict[str, str]:
    """:func:`redact_headers` of a dict whose names are lower-case already (an ASGI request's): a copy
    with the secret values replaced, made without a pass over every header in Python. ``matcher``:
    ``compile_names(names)``, made once by a caller that redacts often."""
    exact, prefixes = matcher or compile_names(names)
    out = headers.copy()
    for name in exact.intersection(out):
        out[name] = REDACTED
    if prefixes:
        for name in out:
            if name.startswith(prefixes):
                out[name] = REDACTED
    return out
