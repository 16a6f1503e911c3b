"""Each Python adapter's in-process form (``answer``) gives the process's answers: a message, or the
client's error mapped to the protocol — never an exception. Run in a child interpreter, as a user's
own test run would import it (the frameworks' import-time and socket side effects stay out of ours)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from mockclaude import MockClaude

from .driver import ADAPTERS

NAMES = ["anthropic_sdk", "tutorial_requests", "langchain_anthropic_chat", "pydantic_ai_agent"]

CHILD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("adapter", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for line in sys.stdin:
    print(json.dumps(module.answer(json.loads(line))), flush=True)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[MockClaude]:
    with MockClaude() as mock:
        yield mock


@pytest.mark.parametrize("name", NAMES)
def test_answer_in_process(name: str, server: MockClaude) -> None:
    case = {"id": "c1", "base_url": server.url, "api_key": "sk-ant-x", "action": "create", "max_retries": 0,
            "max_rounds": 3, "request": {"model": "claude-sonnet-4-6", "max_tokens": 64,
                                          "messages": [{"role": "user", "content": "Hi"}]}}
    with subprocess.Popen([sys.executable, "-c", CHILD, str(ADAPTERS / f"{name}.py")], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as child:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(case) + "\n")
        child.stdin.flush()
        ok = json.loads(child.stdout.readline())
        server.add_fault("429:times=1")
        try:
            child.stdin.write(json.dumps({**case, "id": "c2"}) + "\n")
            child.stdin.flush()
            failed = json.loads(child.stdout.readline())
        finally:
            server.clear_faults()
            child.stdin.close()
    assert child.returncode == 0
    assert ok["id"] == "c1" and ok["ok"] is True
    assert ok["message"]["content"][0]["text"].startswith("Mock answer to: Hi")
    assert failed["id"] == "c2" and failed["ok"] is False
    assert (failed["error"]["status"], failed["error"]["type"]) == (429, "rate_limit_error")
