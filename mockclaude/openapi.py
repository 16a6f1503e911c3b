"""``GET /_mockclaude/openapi.json``: an OpenAPI 3.1 description of what the double serves.

For tools that drive an API from its description (schemathesis, fuzzers, client generators): the
request bodies are the very JSON Schemas the validator checks (``protocol.schema``, for the newest
API version; ``$defs`` hoisted into ``components.schemas``), the error answers the API's error body.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

__all__ = ["document"]

_ERROR = {
    "type": "object",
    "required": ["type", "error"],
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
        "request_id": {"type": "string"},
    },
}


def _hoist(schema: dict[str, Any], name: str, into: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved into ``into`` (components.schemas) and refs rewritten
    (``$ref`` and the ``x-discriminator`` mappings). A copy: the validator's schema is left alone."""
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        if isinstance(node, str) and node.startswith("#/$defs/"):
            return "#/components/schemas/" + node[len("#/$defs/") :]
        return node

    for key, value in defs.items():
        into.setdefault(key, fix(value))
    into[name] = fix(schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _answers(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for code in codes:
        out[str(code)] = {"description": "the API's error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return out


@functools.cache
def _document() -> dict[str, Any]:
    from .protocol.schema import build_schema
    from .protocol.versions import KNOWN_VERSIONS

    version = KNOWN_VERSIONS[0]
    schemas: dict[str, Any] = {"Error": _ERROR}
    messages = _hoist(build_schema(version, "messages"), "MessagesRequest", schemas)
    count = _hoist(build_schema(version, "count_tokens"), "CountTokensRequest", schemas)
    headers = [
        {"name": "x-api-key", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "anthropic-version", "in": "header", "required": True, "schema": {"type": "string", "enum": list(KNOWN_VERSIONS)}},
        {"name": "anthropic-beta", "in": "header", "required": False, "schema": {"type": "string"}},
    ]
    anything = {"type": "object"}
    api_errors = (400, 401, 403, 404, 413, 429, 529)

    def post(body: dict[str, Any], summary: str) -> dict[str, Any]:
        return {
            "summary": summary,
            "parameters": headers,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": _answers(anything, *api_errors),
        }

    admin_json = {"required": False, "content": {"application/json": {"schema": anything}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "mockclaude: the Claude Messages API double", "version": version},
        "paths": {
            "/v1/messages": {"post": post(messages, "Create a message (JSON or SSE with stream: true)")},
            "/v1/messages/count_tokens": {"post": post(count, "Count the tokens of a request")},
            "/v1/models": {"get": {"summary": "List models", "parameters": [*headers, {"name": "limit", "in": "query", "schema": {"type": "integer"}}], "responses": _answers(anything, 400, 401)}},
            "/v1/models/{model_id}": {"get": {"summary": "One model", "parameters": [*headers, {"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}], "responses": _answers(anything, 401, 404)}},
            "/_mockclaude/health": {"get": {"summary": "Readiness", "responses": _answers(anything)}},
            "/_mockclaude/requests": {
                "get": {"summary": "The request journal", "responses": _answers(anything, 401, 403)},
                "delete": {"summary": "Clear the journal", "responses": _answers(anything, 401, 403)},
            },
            "/_mockclaude/reset": {"post": {"summary": "Back to the start-up configuration", "requestBody": admin_json, "responses": _answers(anything, 401, 403, 415)}},
            "/_mockclaude/faults": {
                "get": {"summary": "Queued faults", "responses": _answers(anything, 401, 403)},
                "post": {"summary": "Queue faults", "requestBody": {"required": True, "content": {"application/json": {"schema": anything}}}, "responses": _answers(anything, 400, 401, 403, 415)},
                "delete": {"summary": "Forget every queued fault", "responses": _answers(anything, 401, 403)},
            },
        },
        "components": {"schemas": schemas},
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    return _document()
