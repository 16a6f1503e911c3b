"""mockclaude: a record-and-replay test double of the Claude Messages API.

    from mockclaude import MockClaude
    with MockClaude() as mock:          # a real server on 127.0.0.1, a free port
        client = anthropic.Anthropic(base_url=mock.url, api_key="test")

The names below are imported on first use, so that ``import mockclaude`` (and the pytest plugin,
which every pytest run loads) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ApiError": "errors",
    "CassetteError": "errors",
    "CassetteNotFoundError": "errors",
    "ConfigError": "errors",
    "MockClaudeError": "errors",
    "UnmatchedRequestError": "errors",
    "Settings": "config",
    "MockClaude": "server",
    "MockClaudeApp": "app",
    "create_app": "app",
    "faults": None,  # the module itself: mockclaude.faults.rate_limited(...)
}

__all__ = [
    "ApiError",
    "CassetteError",
    "CassetteNotFoundError",
    "ConfigError",
    "MockClaude",
    "MockClaudeApp",
    "MockClaudeError",
    "Settings",
    "UnmatchedRequestError",
    "__version__",
    "create_app",
    "faults",
]

if TYPE_CHECKING:  # pragma: no cover
    from . import faults
    from .app import MockClaudeApp, create_app
    from .config import Settings
    from .errors import (
        ApiError,
        CassetteError,
        CassetteNotFoundError,
        ConfigError,
        MockClaudeError,
        UnmatchedRequestError,
    )
    from .server import MockClaude


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'mockclaude' has no attribute {name!r}") from None
    value = importlib.import_module(f".{module or name}", __name__)
    if module is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
