"""JavaScript clients against a real server: the official TypeScript SDK (``@anthropic-ai/sdk``) and the
Vercel AI SDK (``ai`` with ``@ai-sdk/anthropic``), exact versions in tests/js/package.json and its
package-lock.json, installed with ``npm ci``. Needs node and npm (the npm registry is reachable here
and in CI): skipped without them, and an install that fails is a failure in CI.

One node process per scenario group (sdk_check.js, tool_runner.js, vercel_ai.js) runs every scenario
of the group and prints one JSON object; each scenario is a test here. Requests carry an
``x-mockclaude-scenario`` header so the journal tells which scenario sent what.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mockclaude import MockClaude
from mockclaude.threads import THREADS_BETA

JS = Path(__file__).parent / "js"
_STAMP = JS / "node_modules" / ".mockclaude-lock-sha256"
STRUCTURED = pytest.mark.xfail(reason="structured outputs (issue 12 item 2) not served by this double yet", strict=True)


def _lock_digest() -> str:
    return hashlib.sha256((JS / "package-lock.json").read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    digest = _lock_digest()
    if not (_STAMP.is_file() and _STAMP.read_text() == digest):  # npm ci only when the lock changed
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            message = f"npm ci failed: {proc.stderr[-800:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        _STAMP.write_text(digest)
    return JS


class Group:
    """One node script's run: what each scenario returned, and the journal of the server it used."""

    def __init__(self, results: dict[str, Any], requests: list[Any]) -> None:
        self.results = results
        self.requests = requests

    def __getitem__(self, scenario: str) -> Any:
        result = self.results[scenario]
        assert "error" not in result, result
        return result

    def sent_by(self, scenario: str) -> list[Any]:
        return [e for e in self.requests if e.headers.get("x-mockclaude-scenario") == scenario]


@contextmanager
def run_group(node_sdk: Path, script: str) -> Iterator[Group]:
    with MockClaude() as mock:
        env = {**os.environ, "ANTHROPIC_BASE_URL": mock.url, "ANTHROPIC_API_KEY": "sk-ant-ts-test"}
        env.pop("ANTHROPIC_AUTH_TOKEN", None)
        proc = subprocess.run(
            ["node", script], cwd=node_sdk, env=env, capture_output=True, text=True, timeout=180, check=False
        )
        assert proc.returncode == 0, proc.stderr
        yield Group(json.loads(proc.stdout), mock.requests)


# --- the plain SDK ------------------------------------------------------------------------------------


def test_typescript_sdk_end_to_end(node_sdk: Path) -> None:
    with run_group(node_sdk, "sdk_check.js") as group:
        seen = group.results
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
    first = group.requests[0]
    assert first.headers.get("anthropic-version")
    assert "sk-ant-ts-test" not in json.dumps(first.headers)


# --- the tool runner (message threads) and messages.parse ---------------------------------------------


@pytest.fixture(scope="module")
def runner(node_sdk: Path) -> Iterator[Group]:
    with run_group(node_sdk, "tool_runner.js") as group:
        yield group


def _thread_kinds(entries: list[Any]) -> list[tuple[str | None, int | None]]:
    return [((e.body.get("thread") or {}).get("type"), e.status) for e in entries]


@pytest.mark.parametrize("scenario", ["toolRunner", "toolRunnerThinking", "toolRunnerStream"])
def test_tool_runner_on_a_thread(runner: Group, scenario: str) -> None:
    result = runner[scenario]
    assert result["stopReasons"] == ["tool_use", "end_turn"]
    assert "19C, cloudy" in result["finalText"] and len(result["calls"]) == 1
    sent = runner.sent_by(scenario)
    assert _thread_kinds(sent) == [("create", 200), ("continue", 200)]
    create, cont = (e.body for e in sent)
    assert THREADS_BETA in sent[0].headers["anthropic-beta"] and "tools" in create
    # The continue sends only the tool result: no history, no system, no tools.
    assert cont["thread"] == {"type": "continue", "previous_message_id": result["ids"][0]}
    assert "tools" not in cont and "system" not in cont
    assert [[b["type"] for b in m["content"]] for m in cont["messages"]] == [["tool_result"]]


def test_tool_runner_thinking_passes_the_thread_held_blocks_back(runner: Group) -> None:
    result = runner["toolRunnerThinking"]
    assert result["firstTypes"][0] == "thinking"
    assert runner.sent_by("toolRunnerThinking")[0].body["system"] == "You are a weather assistant."


def test_tool_runner_stream_streams_every_turn(runner: Group) -> None:
    assert runner["toolRunnerStream"]["deltas"] > 2
    assert all(e.body.get("stream") is True for e in runner.sent_by("toolRunnerStream"))


def test_tool_runner_without_a_thread(runner: Group) -> None:
    assert "19C, cloudy" in runner["toolRunnerUnthreaded"]["finalText"]
    sent = runner.sent_by("toolRunnerUnthreaded")
    assert _thread_kinds(sent) == [(None, 200), (None, 200)]
    assert len(sent[1].body["messages"]) == 3  # the whole conversation every turn


def test_tool_runner_replays_an_expired_thread(runner: Group) -> None:
    assert "7C, rain" in runner["toolRunnerExpired"]["finalText"]
    sent = runner.sent_by("toolRunnerExpired")
    assert _thread_kinds(sent) == [("create", 200), ("continue", 404), ("create", 200)]
    assert sent[1].error["details"] == {"error_code": "thread_not_found"}
    assert len(sent[2].body["messages"]) == 3


def test_thread_helper_send_and_stream(runner: Group) -> None:
    result = runner["threadHelper"]
    assert "What is a monad?" in result["texts"][0] and "And a functor?" in result["texts"][1]
    sent = runner.sent_by("threadHelper")
    assert _thread_kinds(sent) == [("create", 200), ("continue", 200), ("continue", 200)]
    assert [e.body["thread"].get("previous_message_id") for e in sent[1:]] == result["ids"][:2]
    assert sent[1].body["stream"] is True and all("system" not in e.body for e in sent[1:])


def test_thread_helper_parse(runner: Group) -> None:
    result = runner["threadParse"]
    assert result["valid"] is True
    sent = runner.sent_by("threadParse")
    assert _thread_kinds(sent) == [("create", 200), ("continue", 200)]
    assert all(e.body["output_config"]["format"]["type"] == "json_schema" for e in sent)


def test_messages_parse_with_a_zod_output_format(runner: Group) -> None:
    result = runner["parseZod"]
    assert result["valid"] is True and set(result["parsed"]) == {"name", "age", "tags"}
    assert runner.sent_by("parseZod")[0].body["output_config"]["format"]["type"] == "json_schema"


# --- the Vercel AI SDK ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vercel(node_sdk: Path) -> Iterator[Group]:
    with run_group(node_sdk, "vercel_ai.js") as group:
        yield group


def test_vercel_generate_text(vercel: Group) -> None:
    result = vercel["generateText"]
    assert "Hello from the AI SDK" in result["text"] and result["finishReason"] == "stop"
    assert result["inputTokens"] > 0 and result["outputTokens"] > 0


def test_vercel_stream_text(vercel: Group) -> None:
    result = vercel["streamText"]
    assert "Stream from the AI SDK" in result["text"] and result["chunks"] > 1
    assert vercel.sent_by("streamText")[0].body["stream"] is True


@pytest.mark.parametrize("scenario", ["toolLoop", "toolLoopThinking", "streamToolLoop"])
def test_vercel_tool_loop(vercel: Group, scenario: str) -> None:
    result = vercel[scenario]
    assert result["steps"] == 2 and result["finishReason"] == "stop"
    assert "19C, cloudy" in result["text"] and len(result["calls"]) == 1
    sent = vercel.sent_by(scenario)
    assert [e.status for e in sent] == [200, 200]
    kinds = [
        [b["type"] for b in m["content"]] if isinstance(m["content"], list) else ["text"]
        for m in sent[1].body["messages"]
    ]
    assert "tool_use" in kinds[1] and kinds[2][0] == "tool_result"


def test_vercel_thinking_is_passed_back(vercel: Group) -> None:
    assert vercel["toolLoopThinking"]["reasoning"] > 0
    second = vercel.sent_by("toolLoopThinking")[1].body
    assert second["messages"][1]["content"][0]["type"] == "thinking"


def test_vercel_output_object(vercel: Group) -> None:
    result = vercel["outputObject"]
    assert result["valid"] is True and set(result["output"]) == {"name", "age", "tags"}
    body = vercel.sent_by("outputObject")[0].body
    assert body["output_config"]["format"]["type"] == "json_schema"  # native structured output, not a tool


def test_vercel_retries_a_429(vercel: Group) -> None:
    assert "Retry me" in vercel["retry429"]["text"]
    assert [e.status for e in vercel.sent_by("retry429")] == [429, 200]
