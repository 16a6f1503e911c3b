"""Conformance adapter: the tutorial approach (``requests`` and hand-joined ``text_delta`` chunks).

This is the client a reader of a typical "Claude API with raw HTTP" tutorial writes (the seed tutorial
the project was built against): the three headers of ``anthropic-version: 2023-06-01``, ``requests.post``
and ``resp.json()``; for a stream, ``data: `` lines parsed one by one and the tutorial's ``parse_stream``
(join the ``text_delta`` texts, take ``stop_reason`` and ``output_tokens`` from ``message_delta``);
exponential backoff of 1 s, 2 s, 4 s… on 429, 500 and 529, the statuses its error table says to retry.

It is shipped as a reference for what a naive client misses, not as a good client: what it loses
(the message id, input usage, tool calls in a stream, mid-stream errors, ``retry-after``) is the point,
and each miss shows up in conformance/RESULTS.md. Everything it does report is what that code has.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests
from adapter_protocol import Answer, Case, echo_result, error_answer, message_answer, serve

RETRIED = (429, 500, 529)  # the tutorial's table: "Wait and retry", "Retry shortly", "Wait longer"


def _post(case: Case, body: dict[str, Any], stream: bool) -> requests.Response:
    headers = {"x-api-key": case["api_key"], "anthropic-version": "2023-06-01", "content-type": "application/json"}
    url = case["base_url"].rstrip("/") + "/v1/messages"
    retries = int(case.get("max_retries", 2))
    for attempt in range(retries + 1):
        resp = requests.post(url, headers=headers, json=body, stream=stream)
        if resp.status_code in RETRIED and attempt < retries:
            resp.close()
            time.sleep(2**attempt)  # "Use exponential backoff: wait 1s, 2s, 4s, 8s."
            continue
        return resp
    raise AssertionError("unreachable")


class HttpError(Exception):
    """A non-200 answer, as the tutorial reader sees it: the status and the JSON error body."""

    def __init__(self, resp: requests.Response) -> None:
        self.status = resp.status_code
        try:
            self.error = resp.json().get("error", {})
        except ValueError:
            self.error = {"message": resp.text}
        super().__init__(f"HTTP {self.status}: {self.error}")


def parse_stream(events: list[dict[str, Any]]) -> tuple[str, str | None, int]:
    """The tutorial's stream parser (its "Exercise 1" solution)."""
    text = ""
    stop_reason = None
    output_tokens = 0
    for event in events:
        if event["type"] == "content_block_delta":
            if event["delta"]["type"] == "text_delta":
                text += event["delta"]["text"]
        elif event["type"] == "message_delta":
            stop_reason = event["delta"]["stop_reason"]
            output_tokens = event["usage"]["output_tokens"]
    return text, stop_reason, output_tokens


def _ask(case: Case, body: dict[str, Any], streamed: bool) -> dict[str, Any]:
    body = {**body, "stream": True} if streamed else {k: v for k, v in body.items() if k != "stream"}
    resp = _post(case, body, streamed)
    if resp.status_code != 200:
        raise HttpError(resp)
    if not streamed:
        data: dict[str, Any] = resp.json()
        return data
    events = []
    for line in resp.iter_lines():
        if line.startswith(b"data: "):
            events.append(json.loads(line[len(b"data: "):]))
    text, stop_reason, output_tokens = parse_stream(events)
    # All that parse_stream keeps; the id, model and input usage were never read.
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": stop_reason,
        "usage": {"output_tokens": output_tokens},
    }


def handle(case: Case) -> Answer:
    """Run one case the tutorial's way."""
    request: dict[str, Any] = case["request"]
    action = case["action"]
    if action in ("create", "stream"):
        return message_answer(_ask(case, request, streamed=action == "stream"))
    streamed = bool(request.get("stream"))
    messages = list(request["messages"])
    max_rounds = int(case.get("max_rounds", 5))
    rounds = 0
    while True:
        resp = _ask(case, {**request, "messages": messages}, streamed)
        rounds += 1
        if resp["stop_reason"] != "tool_use" or rounds >= max_rounds:
            return message_answer(resp, rounds)
        # The tutorial's process_response: one tool_result per tool_use block, all in one user turn.
        results = [
            {"type": "tool_result", "tool_use_id": block["id"], "content": echo_result(block["input"])}
            for block in resp["content"]
            if block["type"] == "tool_use"
        ]
        if not results:  # a stream parsed the tutorial's way has no tool_use blocks to answer
            return message_answer(resp, rounds)
        messages = [*messages, {"role": "assistant", "content": resp["content"]}, {"role": "user", "content": results}]


def describe_error(exc: BaseException) -> Answer:
    """A non-200 answer with its body's error type; anything else (a cut connection) without a status."""
    if isinstance(exc, HttpError):
        return error_answer(exc.status, exc.error.get("type"), str(exc.error.get("message", exc)))
    return error_answer(None, None, f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    serve(handle, describe_error)
