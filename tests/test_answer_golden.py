"""Deterministic answers stay byte for byte what they were: users snapshot them.

A few hundred varied requests (text, tools, tool choice, thinking, stop sequences, max_tokens, system
prompts with cache breakpoints, tool results, prefills, structured outputs; valid and invalid), each
sent as JSON and as a stream to one app, in order (the prompt cache makes later answers depend on
earlier ones, as on the real API). The status and body of each answer (the request id of an error
taken out) and its headers (less the request id and the values of the ``-reset`` ones, which move
with the clock) are hashed, and so is its journal entry (same exceptions) and compared with the digests committed in ``fixtures/answer_digests.json``.

A change to the wording or shape of answers is then a deliberate one: regenerate the digests with
``python tests/test_answer_golden.py --write`` and say so in the commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from mockclaude.app import create_app

DIGESTS = Path(__file__).parent / "fixtures" / "answer_digests.json"
HEADERS = [(b"content-type", b"application/json"), (b"x-api-key", b"sk-golden"),
           (b"anthropic-version", b"2023-06-01"), (b"host", b"golden")]
WORDS = ("forest tree random answer weather lookup same deterministic stream text token cache tool "
         "result model message hello world café 東京 emoji 🙂 quote \" backslash \\ tab\t line\nbreak").split(" ")
MODELS = ("claude-sonnet-4-6", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022",
          "claude-sonnet-4-5-20250929")
_REQUEST_ID = re.compile(rb'"request_id":"req_[0-9A-Za-z]+"')


def _tool(rng: random.Random, i: int) -> dict[str, Any]:
    props: dict[str, Any] = {"city": {"type": "string"}}
    if rng.random() < 0.5:
        props["days"] = {"type": "integer", "minimum": 1, "maximum": 7}
    if rng.random() < 0.5:
        props["unit"] = {"type": "string", "enum": ["c", "f"]}
    if rng.random() < 0.3:
        props["tags"] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    return {"name": ["get_weather", "lookup", "search_web", "calc"][i], "description": "a tool",
            "input_schema": {"type": "object", "properties": props, "required": ["city"]}}


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def golden_bodies(count: int = 200, seed: int = 10) -> list[dict[str, Any]]:
    """``count`` varied request bodies, the same ones on every run."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(count):
        body: dict[str, Any] = {"model": rng.choice(MODELS), "max_tokens": rng.choice([1, 5, 20, 64, 300, 1024, 4096])}
        tools = [_tool(rng, j) for j in range(rng.choice([0, 0, 1, 2, 3]))]
        user = _text(rng, rng.randint(0, 40)) + (f" {tools[-1]['name']}" if tools and rng.random() < 0.5 else "")
        kind = rng.random()
        if kind < 0.15 and tools:  # after a tool call: the results
            tid = f"toolu_01golden{i}"
            result: Any = _text(rng, 5) if rng.random() < 0.5 else [{"type": "text", "text": _text(rng, 8)}]
            messages: list[dict[str, Any]] = [
                {"role": "user", "content": user or "go"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": tid, "name": tools[0]["name"],
                                                   "input": {"city": "Paris"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": result,
                                              **({"is_error": True} if rng.random() < 0.3 else {})}]},
            ]
        elif kind < 0.25:  # a prefill
            messages = [{"role": "user", "content": user or "go"}, {"role": "assistant", "content": _text(rng, 3) or "Sure"}]
        elif kind < 0.45:  # a conversation, blocks with cache breakpoints
            messages = []
            for _turn in range(rng.randint(1, 4)):
                messages.append({"role": "user", "content": [{"type": "text", "text": _text(rng, 10) or "x",
                                  **({"cache_control": {"type": "ephemeral"}} if rng.random() < 0.3 else {})}]})
                messages.append({"role": "assistant", "content": _text(rng, 6) or "ok"})
            messages.append({"role": "user", "content": user})
        else:
            messages = [{"role": "user", "content": user}]
        body["messages"] = messages
        if tools:
            body["tools"] = tools
            choice = rng.choice([None, {"type": "auto"}, {"type": "any"}, {"type": "none"},
                                 {"type": "tool", "name": tools[0]["name"]},
                                 {"type": "auto", "disable_parallel_tool_use": True}])
            if choice is not None:
                body["tool_choice"] = choice
        if rng.random() < 0.3:
            body["system"] = (_text(rng, 12) if rng.random() < 0.5 else
                              [{"type": "text", "text": _text(rng, 30), "cache_control": {"type": "ephemeral", "ttl": rng.choice(["5m", "1h"])}}])
        if rng.random() < 0.25:
            body["stop_sequences"] = rng.sample(["same", "request", "answer", "token", "xyz", "mock", "."], rng.randint(1, 3))
        if rng.random() < 0.15:
            budget = rng.choice([1024, 2000])
            body["max_tokens"] = max(body["max_tokens"], budget + rng.choice([1, 500]))
            body["thinking"] = {"type": "enabled", "budget_tokens": budget,
                                **({"display": "omitted"} if rng.random() < 0.3 else {})}
        if rng.random() < 0.08:
            body["output_config"] = {"format": {"type": "json_schema", "schema": tools[0]["input_schema"] if tools else
                                                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}
        if rng.random() < 0.05:  # invalid: an answer with an error body
            body[rng.choice(["max_tokens", "messages", "temperature"])] = "bad"
        out.append(body)
    return out


def answers(bodies: list[dict[str, Any]]) -> list[tuple[int, bytes, bytes, bytes]]:
    """(status, headers, body, journal entry) of each body sent as JSON then as a stream, through one app."""
    app = create_app()
    out: list[tuple[int, bytes, bytes, bytes]] = []

    async def one(raw: bytes) -> tuple[int, bytes, bytes]:
        scope = {"type": "http", "method": "POST", "path": "/v1/messages", "raw_path": b"/v1/messages",
                 "query_string": b"", "headers": [*HEADERS, (b"content-length", str(len(raw)).encode())],
                 "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
        sent = False
        status = 0
        chunks: list[bytes] = []
        headers: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(k + b": " + (b"" if k.endswith(b"-reset") else v) for k, v in message["headers"]
                               if k != b"request-id")
            else:
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        return status, b"\n".join(headers), b"".join(chunks)

    async def run() -> None:
        for body in bodies:
            for stream in (False, True):
                raw = json.dumps({**body, "stream": True} if stream else body, ensure_ascii=False).encode()
                status, headers, answer = await one(raw)
                out.append((status, headers, answer, _entry(app.journal.entries()[-1].to_json())))

    asyncio.run(run())
    return out


def _entry(entry: dict[str, Any]) -> bytes:
    for name in ("seq", "request_id", "arrived", "monotonic"):
        del entry[name]
    entry["response_headers"] = {k: "" if k.endswith("-reset") else v
                                 for k, v in entry["response_headers"].items() if k != "request-id"}
    return json.dumps(entry, sort_keys=True).encode()


def digests() -> list[str]:
    return [f"{status} " + hashlib.sha256(_REQUEST_ID.sub(b'"request_id":""', body)).hexdigest()[:20]
            + " " + hashlib.sha256(headers).hexdigest()[:8] + " " + hashlib.sha256(entry).hexdigest()[:8]
            for status, headers, body, entry in answers(golden_bodies())]


def test_answers_are_byte_identical_to_the_committed_digests() -> None:
    expected = json.loads(DIGESTS.read_text())
    got = digests()
    assert len(got) == len(expected)
    differ = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
    assert not differ, f"{len(differ)} answers changed, first at case {differ[0]} (body {differ[0] // 2}, stream={differ[0] % 2 == 1})"


def test_the_golden_requests_are_mostly_answered() -> None:
    # a corpus of errors would compare nothing of the synthetic answer
    statuses = [d.split()[0] for d in json.loads(DIGESTS.read_text())]
    assert statuses.count("200") >= 0.8 * len(statuses)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DIGESTS.write_text(json.dumps(digests(), indent=0) + "\n")
        print(f"wrote {DIGESTS}")
