"""Conformance adapter: pydantic-ai (``pydantic-ai-slim[anthropic]``), through its public API.

``create`` and ``stream`` are one model request each through ``pydantic_ai.direct`` (``model_request``,
``model_request_stream``); ``tool_loop`` is an ``Agent`` with one echo tool per request tool
(``Tool.from_schema``) and pydantic-ai's own loop — streamed when ``request.stream`` is true (an
``event_stream_handler`` makes the agent stream its model requests), ``UsageLimits(request_limit=
max_rounds)`` stopping it after ``max_rounds`` requests. Retries: the ``max_retries`` model setting.

pydantic-ai keeps a response as ``ModelResponse`` parts; the answer is mapped back to the API's Message
from them: text, tool calls, thinking (a redacted block is a ``ThinkingPart`` with id
``redacted_thinking`` holding the data as its signature), the raw stop reason from
``provider_details['finish_reason']``, usage from ``usage.details`` (the API's own field names). What
pydantic-ai does not keep (``stop_sequence``, for one) is left out, so the suite reports it as lost.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from adapter_protocol import Answer, Case, echo_result, error_answer, message_answer, serve
from pydantic_ai import Agent, Tool, capture_run_messages
from pydantic_ai.capabilities import NativeTool
from pydantic_ai.direct import model_request, model_request_stream
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, UsageLimitExceeded
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    ModelResponsePart,
    NativeToolCallPart,
    NativeToolReturnPart,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.native_tools import AbstractNativeTool, WebSearchTool
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.usage import UsageLimits

PROVIDER = "anthropic"
# Request fields that have a pydantic-ai setting; anything else goes through the extra_body setting.
_SETTINGS = {"max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p", "top_k": "top_k",
             "stop_sequences": "stop_sequences", "thinking": "anthropic_thinking", "metadata": "anthropic_metadata"}
_STRUCTURAL = {"model", "messages", "system", "tools", "tool_choice", "stream"}


class Unexpressible(Exception):
    """A case this adapter cannot say in pydantic-ai's terms."""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if b.get("type") == "text")


def _history(request: dict[str, Any]) -> list[ModelMessage]:
    history: list[ModelMessage] = []
    names: dict[str, str] = {}  # tool_use id -> tool name, for the ToolReturnParts
    pending: list[ModelRequestPart] = []
    if "system" in request:
        pending.append(SystemPromptPart(content=_text_of(request["system"])))
    for turn in request["messages"]:
        content = turn["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if turn["role"] == "assistant":
            if pending:
                history.append(ModelRequest(parts=pending))
                pending = []
            parts: list[ModelResponsePart] = []
            for b in blocks:
                if b["type"] == "text":
                    parts.append(TextPart(content=b["text"]))
                elif b["type"] == "tool_use":
                    names[b["id"]] = b["name"]
                    parts.append(ToolCallPart(tool_name=b["name"], args=b["input"], tool_call_id=b["id"]))
                elif b["type"] == "thinking":
                    parts.append(ThinkingPart(content=b["thinking"], signature=b.get("signature"),
                                              provider_name=PROVIDER))
                elif b["type"] == "redacted_thinking":
                    parts.append(ThinkingPart(content="", id="redacted_thinking", signature=b["data"],
                                              provider_name=PROVIDER))
                else:
                    raise Unexpressible(f"pydantic-ai adapter: no part for an assistant {b['type']!r} block")
            history.append(ModelResponse(parts=parts, provider_name=PROVIDER))
            continue
        for b in blocks:
            if b["type"] == "text":
                pending.append(UserPromptPart(content=b["text"]))
            elif b["type"] == "tool_result":
                pending.append(ToolReturnPart(tool_name=names.get(b["tool_use_id"], ""), content=b.get("content", ""),
                                              tool_call_id=b["tool_use_id"]))
            else:
                raise Unexpressible(f"pydantic-ai adapter: no part for a user {b['type']!r} block")
    if pending:
        history.append(ModelRequest(parts=pending))
    return history


def _settings(case: Case, request: dict[str, Any], with_tool_choice: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {_SETTINGS[k]: v for k, v in request.items() if k in _SETTINGS}
    settings["max_retries"] = int(case.get("max_retries", 2))
    extra = {k: v for k, v in request.items() if k not in _SETTINGS and k not in _STRUCTURAL}
    choice = request.get("tool_choice")
    if isinstance(choice, dict):
        if choice.get("disable_parallel_tool_use"):
            settings["parallel_tool_calls"] = False
        kind = choice.get("type")
        if kind in ("auto", "none"):
            settings["tool_choice"] = kind
        elif with_tool_choice and kind == "any":
            settings["tool_choice"] = "required"
        elif with_tool_choice and kind == "tool":
            settings["tool_choice"] = [choice["name"]]
        else:  # an Agent refuses a static forced choice (it could never finish); say it as given instead
            extra["tool_choice"] = choice
    if extra:
        settings["extra_body"] = extra
    return settings


def _model(case: Case) -> AnthropicModel:
    provider = AnthropicProvider(base_url=case["base_url"], api_key=case["api_key"])
    return AnthropicModel(case["request"]["model"], provider=provider)


def to_message(response: ModelResponse) -> dict[str, Any]:
    """The API Message that a pydantic-ai ``ModelResponse`` stands for, with only what pydantic-ai kept."""
    content: list[dict[str, Any]] = []
    for part in response.parts:
        if isinstance(part, TextPart):
            block: dict[str, Any] = {"type": "text", "text": part.content}
            if part.provider_details and part.provider_details.get("citations"):
                block["citations"] = part.provider_details["citations"]  # the API's citations, as pydantic-ai keeps them
            content.append(block)
        elif isinstance(part, NativeToolCallPart):
            content.append({"type": "server_tool_use", "id": part.tool_call_id, "name": part.tool_name,
                            "input": part.args_as_dict()})
        elif isinstance(part, ToolCallPart):
            content.append({"type": "tool_use", "id": part.tool_call_id, "name": part.tool_name,
                            "input": part.args_as_dict()})
        elif isinstance(part, ThinkingPart):
            if part.id == "redacted_thinking":
                content.append({"type": "redacted_thinking", "data": part.signature})
            else:
                content.append({"type": "thinking", "thinking": part.content, "signature": part.signature})
        elif isinstance(part, NativeToolReturnPart):
            content.append({"type": f"{part.tool_name}_tool_result", "tool_use_id": part.tool_call_id,
                            "content": part.content})
        else:
            content.append({"type": f"pydantic-ai:{type(part).__name__}"})  # visible, not silently dropped
    message: dict[str, Any] = {"type": "message", "role": "assistant", "content": content}
    if response.provider_response_id:
        message["id"] = response.provider_response_id
    if response.model_name:
        message["model"] = response.model_name
    details = response.provider_details or {}
    if "finish_reason" in details:
        message["stop_reason"] = details["finish_reason"]
    raw = response.usage.details
    usage = {k: raw[k] for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                                 "cache_read_input_tokens") if k in raw}
    usage.setdefault("output_tokens", response.usage.output_tokens)
    message["usage"] = usage
    return message


def _is_client_tool(tool: dict[str, Any]) -> bool:
    return tool.get("type") in (None, "custom")


def _function_tools(request: dict[str, Any]) -> list[ToolDefinition]:
    return [ToolDefinition(name=t["name"], description=t.get("description"),
                           parameters_json_schema=t.get("input_schema", {"type": "object"}))
            for t in request.get("tools", []) if _is_client_tool(t)]


def _native_tools(request: dict[str, Any]) -> list[AbstractNativeTool]:
    """Server tools as pydantic-ai's native tools (it then writes their definitions itself)."""
    native: list[AbstractNativeTool] = []
    for tool in request.get("tools", []):
        if _is_client_tool(tool):
            continue
        if str(tool.get("type", "")).startswith("web_search_"):
            native.append(WebSearchTool())
        else:
            raise Unexpressible(f"pydantic-ai adapter: no native tool for {tool.get('type')!r}")
    return native


def _echo_tool(definition: dict[str, Any]) -> Tool[None]:
    def echo(**kwargs: Any) -> str:
        return echo_result(kwargs)

    return Tool.from_schema(echo, name=definition["name"], description=definition.get("description"),
                            json_schema=definition.get("input_schema", {"type": "object"}))


async def _drain(_ctx: Any, events: AsyncIterable[Any]) -> None:
    async for _ in events:
        pass


async def _run(case: Case) -> Answer:
    request: dict[str, Any] = case["request"]
    model = _model(case)
    history = _history(request)
    action = case["action"]
    if action in ("create", "stream"):
        settings = _settings(case, request, with_tool_choice=True)
        params = ModelRequestParameters(function_tools=_function_tools(request), native_tools=_native_tools(request),
                                        allow_text_output=True)
        if action == "create":
            response = await model_request(model, history, model_settings=settings,  # type: ignore[arg-type]
                                           model_request_parameters=params)
        else:
            async with model_request_stream(model, history, model_settings=settings,  # type: ignore[arg-type]
                                            model_request_parameters=params) as stream:
                async for _ in stream:
                    pass
                response = stream.get()
        return message_answer(to_message(response))
    agent: Agent[None, str] = Agent(model, tools=[_echo_tool(t) for t in request.get("tools", []) if _is_client_tool(t)],
                                    capabilities=[NativeTool(tool) for tool in _native_tools(request)])
    max_rounds = int(case.get("max_rounds", 5))
    with capture_run_messages() as messages:
        try:
            await agent.run(message_history=history,
                            model_settings=_settings(case, request, with_tool_choice=False),  # type: ignore[arg-type]
                            usage_limits=UsageLimits(request_limit=max_rounds),
                            event_stream_handler=_drain if request.get("stream") else None)
        except UsageLimitExceeded:
            pass  # max_rounds requests were made: report the last answer, as the protocol says
    responses = [m for m in messages if isinstance(m, ModelResponse)][sum(isinstance(m, ModelResponse) for m in history):]
    if not responses:
        return error_answer(None, None, "pydantic-ai adapter: the agent made no model request")
    return message_answer(to_message(responses[-1]), len(responses))


def handle(case: Case) -> Answer:
    """Run one case with pydantic-ai."""
    return asyncio.run(_run(case))


def describe_error(exc: BaseException) -> Answer:
    """pydantic-ai's exception in the protocol's terms (an error inside a stream carries the status
    pydantic-ai gives it, the one the API uses for that error before a stream opens)."""
    if isinstance(exc, Unexpressible):
        return error_answer(None, None, str(exc))
    if isinstance(exc, ModelAPIError):
        status = exc.status_code if isinstance(exc, ModelHTTPError) else None
        type_ = exc.provider_error_type
        if type_ is None and isinstance(exc.body, dict):
            inner = exc.body.get("error")
            type_ = inner.get("type") if isinstance(inner, dict) else None
        message = exc.message
        if isinstance(exc.body, dict) and isinstance(exc.body.get("error"), dict):
            message = str(exc.body["error"].get("message", message))  # the API's words, not the wrapper's
        return error_answer(status, type_, message)
    return error_answer(None, None, f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    serve(handle, describe_error)
