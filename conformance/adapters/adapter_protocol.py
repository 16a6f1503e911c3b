"""The JSON-lines adapter protocol, shared by the shipped Python adapters (see conformance/PROTOCOL.md).

The harness writes one case per line on stdin; the adapter answers one line per case on stdout:
``{"id", "ok": true, "message", "rounds"}`` or ``{"id", "ok": false, "error": {"status", "type", "message"}}``.
Anything the client library prints goes to stderr: the real stdout is taken over before the library is
imported by the adapter's handler, so a chatty library cannot corrupt the protocol.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TextIO

Case = dict[str, Any]
Answer = dict[str, Any]


def echo_result(tool_input: Any) -> str:
    """The protocol's echo tool: the result content is the tool input as JSON with sorted keys."""
    return json.dumps(tool_input, sort_keys=True)


def error_answer(status: int | None, type_: str | None, message: str) -> Answer:
    """An ``ok: false`` answer (without the id, which ``serve`` adds)."""
    return {"ok": False, "error": {"status": status, "type": type_, "message": message}}


def message_answer(message: dict[str, Any], rounds: int = 1) -> Answer:
    """An ``ok: true`` answer (without the id)."""
    return {"ok": True, "message": message, "rounds": rounds}


def take_stdout() -> TextIO:
    """Return a writer on the real stdout and point fd 1 and ``sys.stdout`` at stderr from now on."""
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol_out


def serve(
    handle: Callable[[Case], Answer],
    describe_error: Callable[[BaseException], Answer],
    capabilities: dict[str, Any] | None = None,
) -> None:
    """Answer cases from stdin until it closes.

    ``handle`` runs one case and returns its answer; an exception it raises is turned into an
    ``ok: false`` answer by ``describe_error`` (the client's own error, mapped to the API's terms).
    """
    out = take_stdout()
    if capabilities is not None:
        out.write(json.dumps({"capabilities": capabilities}) + "\n")
        out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except ValueError as exc:
            out.write(json.dumps({"id": None, **error_answer(None, None, f"adapter: bad case line: {exc}")}) + "\n")
            out.flush()
            continue
        try:
            answer = handle(case)
        except Exception as exc:  # the client's error is the answer, not a crash of the adapter
            traceback.print_exc(file=sys.stderr)
            answer = describe_error(exc)
        out.write(json.dumps({"id": case.get("id"), **answer}, ensure_ascii=False) + "\n")
        out.flush()


def request_without_stream(request: dict[str, Any]) -> dict[str, Any]:
    """The request body minus ``stream`` (for libraries that choose streaming by the method called)."""
    return {k: v for k, v in request.items() if k != "stream"}
