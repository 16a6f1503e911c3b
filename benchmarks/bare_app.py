"""The baseline: a bare Starlette app on the same uvicorn stack, answering a fixed message.

It reads and parses the request body (any JSON API server does that much) and answers a constant
message as JSON, or a constant event stream as SSE when the body asks for ``stream``.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockclaude.sse import encode_all, events_from_message

MESSAGE = {
    "id": "msg_01bare",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "A random forest is an ensemble of decision trees trained on random subsets."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 420, "output_tokens": 20},
}
JSON_BODY = json.dumps(MESSAGE).encode()
SSE_BODY = encode_all(events_from_message(MESSAGE))


async def messages(request: Request) -> Response:
    body = json.loads(await request.body())
    if body.get("stream"):
        return Response(SSE_BODY, media_type="text/event-stream; charset=utf-8")
    return Response(JSON_BODY, media_type="application/json")


app = Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])
