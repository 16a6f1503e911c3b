"""mockclaude: a record-and-replay test double of the Claude Messages API.

    from mockclaude import MockClaude
    with MockClaude() as mock:          # a real server on 127.0.0.1, a free port
        client = anthropic.Anthropic(base_url=mock.url, api_key="test")
"""

from __future__ import annotations

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

__version__ = "0.1.0"

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
]
