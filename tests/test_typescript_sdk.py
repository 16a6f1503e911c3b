"""The official TypeScript SDK (@anthropic-ai/sdk, pinned in tests/js/package.json) against a real
server. Needs node and npm (the npm registry is reachable here and in CI); skipped without them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mockclaude import MockClaude

JS = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    if not (JS / "node_modules" / "@anthropic-ai" / "sdk").is_dir():
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            pytest.skip(f"npm install failed (no registry?): {proc.stderr[-500:]}")
    return JS


def test_typescript_sdk_end_to_end(node_sdk: Path, mock: MockClaude) -> None:
    env = {**os.environ, "ANTHROPIC_BASE_URL": mock.url, "ANTHROPIC_API_KEY": "sk-ant-ts-test"}
    env.pop("ANTHROPIC_AUTH_TOKEN", None)
    proc = subprocess.run(
        ["node", "sdk_check.js"], cwd=node_sdk, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)

    assert "Hello from TypeScript" in seen["create"]["text"]
    assert seen["create"]["stop_reason"] == "end_turn"
    assert seen["stream"] == {"text": seen["create"]["text"], "id": seen["create"]["id"], "stop_reason": "end_turn"}
    assert seen["toolLoop"]["firstTypes"][0] == "thinking" and "tool_use" in seen["toolLoop"]["firstTypes"]
    assert "19C, cloudy" in seen["toolLoop"]["secondText"]
    assert seen["tampered"]["status"] == 400 and seen["tampered"]["error"] == "BadRequestError"
    assert "cannot be modified" in seen["tampered"]["message"]
    assert seen["countTokens"] > 0
    assert len(seen["models"]) >= 5
    assert seen["rateLimited"]["error"] == "RateLimitError" and seen["rateLimited"]["status"] == 429
    assert seen["midStream"]["type"] == "overloaded_error"

    # What the server saw: the TypeScript SDK's own headers, the key redacted.
    first = mock.requests[0]
    assert first.headers.get("anthropic-version")
    assert "sk-ant-ts-test" not in json.dumps(first.headers)
