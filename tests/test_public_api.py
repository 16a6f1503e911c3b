"""The public surface is small and explicit: a change to it is a decision, not an accident."""

from __future__ import annotations

import subprocess
import sys

import mockclaude

PUBLIC = {
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
}


def test_all_does_not_drift() -> None:
    assert set(mockclaude.__all__) == PUBLIC
    for name in mockclaude.__all__:
        assert getattr(mockclaude, name) is not None


def test_errors_hierarchy() -> None:
    assert issubclass(mockclaude.UnmatchedRequestError, AssertionError)
    assert issubclass(mockclaude.CassetteNotFoundError, FileNotFoundError)
    for name in ("ConfigError", "CassetteError", "UnmatchedRequestError"):
        assert issubclass(getattr(mockclaude, name), mockclaude.MockClaudeError)
    assert not issubclass(mockclaude.ApiError, mockclaude.MockClaudeError)


def test_import_is_lazy() -> None:
    code = "import sys, mockclaude; print(sorted(m for m in ('starlette', 'uvicorn', 'jsonschema') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
