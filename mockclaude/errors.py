"""The two kinds of errors, never mixed.

* :class:`ApiError` is an answer: data the double sends back to a client (status, type, message),
  exactly as the real Messages API would.
* :class:`MockClaudeError` and its subclasses are mockclaude's own failures, raised in the Python
  process that uses mockclaude (a broken cassette, an unmatched request, a bad option).
"""

from __future__ import annotations

import os
import random
from typing import Any

__all__ = [
    "ApiError",
    "CassetteError",
    "CassetteNotFoundError",
    "ConfigError",
    "MockClaudeError",
    "UnmatchedRequestError",
    "new_request_id",
]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_TABLE = bytes(ord(_B58[i % 58]) for i in range(256))


def b58(data: bytes) -> str:
    """``data`` in the alphabet of the API's ids (``msg_01…``, ``toolu_01…``), a character a byte."""
    return data.translate(_B58_TABLE).decode("ascii")


# Request ids need to be unique, not secret: a PRNG seeded from the OS is plenty (and far cheaper than
# a system call per request).
_RANDOM = random.Random(os.urandom(16))


def new_request_id() -> str:
    """A fresh id in the shape of the real ones (``req_011C…``), random per request."""
    return "req_011C" + b58(_RANDOM.randbytes(20))


# The error type the API uses for each status it answers with.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


# The status the API answers with for each error type (the inverse of ERROR_TYPES; 409's type is
# invalid_request_error there, 400 here; 408 and 504 are both timeout_error: 504 here).
STATUS_FOR_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class ApiError(Exception):
    """An error answer of the Messages API: HTTP status, ``error.type`` and ``error.message``.

    ``edge=True`` marks answers the real API sends from its edge (the 413 for a body over 32 MB):
    those bodies have no top-level ``type`` and no ``request_id``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
        edge: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type or ERROR_TYPES.get(status, "api_error")
        self.message = message
        self.headers = dict(headers or {})
        self.details = details
        self.edge = edge

    def body(self, request_id: str | None) -> dict[str, Any]:
        """The JSON body the API sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        if self.edge:
            return {"error": error}
        return {"type": "error", "error": error, "request_id": request_id}

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.type!r}, {self.message!r})"


def invalid(message: str) -> ApiError:
    """A 400 ``invalid_request_error`` — the most common answer, so it gets a short name."""
    return ApiError(400, message, type="invalid_request_error")


class MockClaudeError(Exception):
    """Base class of mockclaude's own exceptions (as opposed to API answers)."""


class ConfigError(MockClaudeError, ValueError):
    """A misspelled mode, a malformed fault spec, a bad option: the message lists what is valid."""


class CassetteError(MockClaudeError):
    """A cassette file that cannot be read: the message names its path (and line, where known)."""


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """Replay was asked of a cassette file that does not exist."""


class UnmatchedRequestError(MockClaudeError, AssertionError):
    """A request that no recorded interaction matches, in replay-only mode.

    ``request`` is the request as received (method, path, body); ``closest`` lists the nearest
    recorded interactions, each with the names of the matchers that failed.
    """

    def __init__(self, message: str, *, request: Any = None, closest: list[Any] | None = None) -> None:
        super().__init__(message)
        self.request = request
        self.closest = list(closest or [])
