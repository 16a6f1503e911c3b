"""The access log (``mockclaude serve --access-log``): one line per answer on stdout, in uvicorn's
format (``INFO:     127.0.0.1:50144 - "POST /v1/messages HTTP/1.1" 200 OK``) whichever server runs.

Secrets are kept out of it: an API key passed in the query string is redacted there as it is in
cassettes (``?key=[REDACTED]``), and so is anything key-shaped (``sk-ant-…``)."""

from __future__ import annotations

import logging
import re
import sys
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote

from .redact import REDACTED

__all__ = ["QueryRedaction", "access_logger", "format_line", "install", "redact_target"]

# query parameters whose value is a credential whatever it looks like
SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "x-api-key", "token", "access_token", "auth"})
_KEY_SHAPED = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")


def redact_target(target: str) -> str:
    """``/v1/messages?api_key=sk-1`` -> ``/v1/messages?api_key=[REDACTED]``."""
    path, sep, query = target.partition("?")
    if not sep:
        return _KEY_SHAPED.sub(REDACTED, target)
    parts = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in SECRET_PARAMS:
            value = REDACTED
        parts.append(f"{quote(name, safe='')}={quote(_KEY_SHAPED.sub(REDACTED, value), safe='[]')}")
    return f"{path}?{'&'.join(parts)}"


class QueryRedaction(logging.Filter):
    """On uvicorn's access logger: its records carry the request target as the third argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


def install(logger_name: str = "uvicorn.access") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, QueryRedaction) for f in logger.filters):
        logger.addFilter(QueryRedaction())


def format_line(scope: dict[str, Any], status: int) -> str:
    """The access-log line of one answer (mockclaude's own server; uvicorn writes the same)."""
    client = scope.get("client")
    who = f"{client[0]}:{client[1]}" if client else "-"
    target = quote(scope["path"])
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    if "?" in target or "sk-ant-" in target:
        target = redact_target(target)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f'INFO:     {who} - "{scope["method"]} {target} HTTP/{scope["http_version"]}" {status} {phrase}'.rstrip()


def access_logger() -> logging.Logger:
    """The ``mockclaude.access`` logger, writing bare lines to stdout (set up once)."""
    logger = logging.getLogger("mockclaude.access")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger
