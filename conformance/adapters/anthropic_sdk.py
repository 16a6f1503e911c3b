"""Conformance adapter: the official Python SDK (``anthropic``), used as its documentation shows.

``create`` is ``client.messages.create``; ``stream`` is ``client.messages.stream(...)`` and the SDK's
own accumulation (``get_final_message()``); retries are the SDK's own, given ``max_retries``. In a tool
loop each round's ``response.content`` goes back as the assistant turn as it is (the SDK serializes
its own objects), and all of the round's results go in one user turn.

Run: ``python conformance/adapters/anthropic_sdk.py`` (speaks conformance/PROTOCOL.md on stdin/stdout).
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import anthropic
from adapter_protocol import (
    Answer,
    Case,
    echo_result,
    error_answer,
    message_answer,
    request_without_stream,
    serve,
)

# The keyword arguments messages.create/stream name; anything else in a case's body goes through
# extra_body so the body reaches the wire as given (the SDK has no keyword for e.g. temperature under
# its default API version).
_CREATE_PARAMS = set(inspect.signature(anthropic.resources.messages.Messages.create).parameters) - {"self"}
_STREAM_PARAMS = set(inspect.signature(anthropic.resources.messages.Messages.stream).parameters) - {"self"}


def _split(body: dict[str, Any], known: set[str]) -> dict[str, Any]:
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _ask(client: anthropic.Anthropic, body: dict[str, Any], streamed: bool) -> Any:
    if streamed:
        with client.messages.stream(**_split(request_without_stream(body), _STREAM_PARAMS)) as stream:
            return stream.get_final_message()
    if body.get("stream") is True:
        body = request_without_stream(body)
    return client.messages.create(**_split(body, _CREATE_PARAMS))


def _dump(message: Any) -> dict[str, Any]:
    # exclude_unset: what the server sent (plus what the accumulator set), not every default of the type.
    dumped: dict[str, Any] = message.model_dump(mode="json", exclude_unset=True)
    return dumped


def handle(case: Case) -> Answer:
    """Run one case with the SDK."""
    request: dict[str, Any] = case["request"]
    with anthropic.Anthropic(
        base_url=case["base_url"], api_key=case["api_key"], max_retries=int(case.get("max_retries", 2))
    ) as client:
        action = case["action"]
        if action == "create":
            return message_answer(_dump(_ask(client, request, streamed=False)))
        if action == "stream":
            return message_answer(_dump(_ask(client, request, streamed=True)))
        if action != "tool_loop":
            return error_answer(None, None, f"adapter: unknown action {action!r}")
        streamed = bool(request.get("stream"))
        max_rounds = int(case.get("max_rounds", 5))
        messages = list(request["messages"])
        rounds = 0
        while True:
            response = _ask(client, {**request, "messages": messages}, streamed)
            rounds += 1
            if response.stop_reason != "tool_use" or rounds >= max_rounds:
                return message_answer(_dump(response), rounds)
            results = [
                {"type": "tool_result", "tool_use_id": block.id, "content": echo_result(block.input)}
                for block in response.content
                if block.type == "tool_use"
            ]
            messages = [*messages, {"role": "assistant", "content": response.content},
                        {"role": "user", "content": results}]


def describe_error(exc: BaseException) -> Answer:
    """The SDK's exception in the protocol's terms: status, error type and message as the SDK exposes them."""
    if isinstance(exc, anthropic.APIStatusError):
        type_ = exc.type
        if type_ is None and isinstance(exc.body, dict):
            inner = exc.body.get("error")
            type_ = inner.get("type") if isinstance(inner, dict) else None
        return error_answer(exc.status_code, type_, exc.api_message or str(exc))
    if isinstance(exc, anthropic.APIError):  # connection errors, timeouts: no status
        return error_answer(None, None, f"{type(exc).__name__}: {exc}")
    return error_answer(None, None, f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    serve(handle, describe_error)
