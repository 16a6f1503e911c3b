#!/usr/bin/env python3
"""A Claude client written from the API docs with nothing but httpx: the suite's reference adapter.

It speaks the adapter protocol (conformance/PROTOCOL.md) on stdin/stdout, and ``handle(case)`` is
the in-process form. It does not import mockclaude: it is a client of the API, as any other.

* SSE: bytes are decoded incrementally (a UTF-8 character may be split across reads), lines end at
  LF, CRLF or CR (a CRLF may be split across reads), ``:`` lines are comments, a blank line
  dispatches the event, ``data:`` with or without its space; unknown events and ``ping`` are ignored.
* Accumulation: blocks by index; text / thinking deltas append, ``signature_delta`` sets,
  ``input_json_delta`` is buffered per index and parsed at ``content_block_stop`` (no deltas:
  the start block's input), ``citations_delta`` appends; ``message_delta`` sets stop_reason /
  stop_sequence and the usage fields it carries that are not null (they are running totals).
  An ``error`` event, or an end before ``message_delta``, is an error.
* Retries: 408, 409, 429 and >= 500 (and connection errors before a response), ``x-should-retry``
  first; the wait is ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date), else
  ``min(0.5 * 2**n, 8)`` with jitter. Never after the response has started (no duplicate output).
* Tool loop: every tool echoes its input as JSON with sorted keys; the assistant content goes back
  unchanged and all of a round's results go in one user turn.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import random
import sys
import time
from typing import Any

import httpx

VERSION = "2023-06-01"
RETRYABLE = {408, 409, 429}


class ApiFailure(Exception):
    def __init__(self, status: int | None, etype: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.etype, self.message = status, etype, message


class SSEDecoder:
    """Incremental SSE decoding per the WHATWG specification (only what the API uses)."""

    def __init__(self) -> None:
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.skip_lf = False  # the last chunk ended with CR: a LF starting the next one is its pair
        self.event: str | None = None
        self.data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        text = self.utf8.decode(chunk)
        out: list[tuple[str, str]] = []
        if self.skip_lf and text:
            if text.startswith("\n"):
                text = text[1:]
            self.skip_lf = False
        self.buf += text
        while True:
            i = min((p for p in (self.buf.find("\r"), self.buf.find("\n")) if p >= 0), default=-1)
            if i < 0:
                break
            line = self.buf[:i]
            if self.buf[i] == "\r":
                if i + 1 < len(self.buf):
                    rest = self.buf[i + 2 :] if self.buf[i + 1] == "\n" else self.buf[i + 1 :]
                else:
                    rest, self.skip_lf = "", True
            else:
                rest = self.buf[i + 1 :]
            self.buf = rest
            ev = self.line(line)
            if ev is not None:
                out.append(ev)
        return out

    def line(self, line: str) -> tuple[str, str] | None:
        if line == "":
            if not self.data and self.event is None:
                return None
            ev = (self.event or "message", "\n".join(self.data))
            self.event, self.data = None, []
            return ev
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        return None


class Accumulator:
    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.json: dict[int, str] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.finished = False  # message_delta seen
        self.stopped = False  # message_stop seen

    def add(self, name: str, data: str) -> None:
        if name == "ping" or name not in (
            "message_start", "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop", "error",
        ):
            return
        ev = json.loads(data)
        if name == "error":
            err = ev.get("error") or {}
            raise ApiFailure(None, err.get("type"), err.get("message", "error event in the stream"))
        if name == "message_start":
            self.message = dict(ev["message"])
            self.message["usage"] = dict(self.message.get("usage") or {})
            return
        if self.message is None:
            raise ApiFailure(None, None, f"{name} before message_start")
        if name == "content_block_start":
            self.blocks[ev["index"]] = dict(ev["content_block"])
        elif name == "content_block_delta":
            i, d = ev["index"], ev["delta"]
            b = self.blocks[i]
            t = d.get("type")
            if t == "text_delta":
                b["text"] = b.get("text", "") + d["text"]
            elif t == "thinking_delta":
                b["thinking"] = b.get("thinking", "") + d["thinking"]
            elif t == "signature_delta":
                b["signature"] = d["signature"]
            elif t == "input_json_delta":
                self.json[i] = self.json.get(i, "") + d["partial_json"]
            elif t == "citations_delta":
                b.setdefault("citations", []).append(d["citation"])
        elif name == "content_block_stop":
            i = ev["index"]
            if i in self.json:
                raw = self.json.pop(i)
                self.blocks[i]["input"] = json.loads(raw) if raw.strip() else {}
        elif name == "message_delta":
            d = ev.get("delta") or {}
            for k in ("stop_reason", "stop_sequence"):
                if k in d:
                    self.message[k] = d[k]
            for k, v in (ev.get("usage") or {}).items():
                if v is not None:
                    self.message["usage"][k] = v
            self.finished = True
        elif name == "message_stop":
            self.stopped = True

    def result(self) -> dict[str, Any]:
        if self.message is None or not self.finished:
            raise ApiFailure(None, None, "the stream ended before the message was complete")
        msg = dict(self.message)
        msg["content"] = [self.blocks[i] for i in sorted(self.blocks)]
        return msg


class Client:
    """One case at a time; methods are small so that test variants can break one thing each."""

    http: httpx.Client


    # --- HTTP -----------------------------------------------------------------------------------

    def headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": VERSION, "content-type": "application/json"}

    def retry_delay(self, response: httpx.Response | None, attempt: int) -> float:
        if response is not None:
            ms = response.headers.get("retry-after-ms")
            if ms is not None:
                try:
                    return max(0.0, float(ms) / 1000)
                except ValueError:
                    pass
            ra = response.headers.get("retry-after")
            if ra is not None:
                try:
                    return max(0.0, float(ra))
                except ValueError:
                    when = email.utils.parsedate_to_datetime(ra) if ra.strip() else None
                    if when is not None:
                        return max(0.0, when.timestamp() - time.time())
        return min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random())

    def should_retry(self, response: httpx.Response) -> bool:
        hint = response.headers.get("x-should-retry")
        if hint == "true":
            return True
        if hint == "false":
            return False
        return response.status_code in RETRYABLE or response.status_code >= 500

    def failure(self, response: httpx.Response) -> ApiFailure:
        try:
            err = response.json().get("error") or {}
        except ValueError:
            err = {}
        return ApiFailure(response.status_code, err.get("type"), err.get("message") or response.text[:200])

    def post(self, case: dict[str, Any], body: dict[str, Any], stream: bool) -> dict[str, Any]:
        url = case["base_url"].rstrip("/") + "/v1/messages"
        attempt = 0
        while True:
            try:
                with self.http.stream("POST", url, headers=self.headers(case["api_key"]), content=json.dumps(body)) as r:
                    if r.status_code == 200:
                        return self.read_stream(r) if stream else self.read_json(r)
                    r.read()
                    if attempt < case["max_retries"] and self.should_retry(r):
                        delay = self.retry_delay(r, attempt)
                    else:
                        raise self.failure(r)
            except httpx.TransportError as exc:
                if not self.retry_connection_error(exc) or attempt >= case["max_retries"]:
                    raise ApiFailure(None, None, f"connection error: {type(exc).__name__}: {exc}") from None
                delay = self.retry_delay(None, attempt)
            attempt += 1
            time.sleep(delay)

    def retry_connection_error(self, exc: httpx.TransportError) -> bool:
        # Only when nothing of the answer has been read (read_* convert later errors to ApiFailure).
        return isinstance(exc, (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError))

    def read_json(self, r: httpx.Response) -> dict[str, Any]:
        try:
            data = r.read()
        except httpx.TransportError as exc:
            raise ApiFailure(None, None, f"connection lost mid-body: {exc}") from None
        try:
            msg = json.loads(data)
        except ValueError:
            raise ApiFailure(None, None, f"the body is not JSON: {data[:100]!r}") from None
        if not isinstance(msg, dict):
            raise ApiFailure(None, None, "the body is not a JSON object")
        return msg

    def read_stream(self, r: httpx.Response) -> dict[str, Any]:
        dec, acc = SSEDecoder(), Accumulator()
        try:
            for chunk in r.iter_raw():
                for name, data in dec.feed(chunk):
                    acc.add(name, data)
            for name, data in dec.feed(b"") + ([ev] if (ev := dec.line("")) else []):
                acc.add(name, data)
        except httpx.TransportError as exc:
            raise ApiFailure(None, None, f"connection lost mid-stream: {type(exc).__name__}: {exc}") from None
        return acc.result()

    # --- actions --------------------------------------------------------------------------------

    def tool_result(self, block: dict[str, Any]) -> dict[str, Any]:
        return {"type": "tool_result", "tool_use_id": block["id"], "content": json.dumps(block["input"], sort_keys=True)}

    def next_messages(self, messages: list[Any], answer: dict[str, Any]) -> list[Any]:
        results = [self.tool_result(b) for b in answer["content"] if b.get("type") == "tool_use"]
        return [*messages, {"role": "assistant", "content": answer["content"]}, {"role": "user", "content": results}]

    def tool_loop(self, case: dict[str, Any]) -> tuple[dict[str, Any], int]:
        body = dict(case["request"])
        stream = bool(body.get("stream"))
        rounds = 0
        while True:
            answer = self.post(case, body, stream)
            rounds += 1
            if answer.get("stop_reason") != "tool_use" or rounds >= case["max_rounds"]:
                return answer, rounds
            body = dict(body, messages=self.next_messages(body["messages"], answer))

    def handle(self, case: dict[str, Any]) -> dict[str, Any]:
        # One HTTP client per case: its connections end with the case (nothing left to a dead server).
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as self.http:
            return self.handle_case(case)

    def handle_case(self, case: dict[str, Any]) -> dict[str, Any]:
        try:
            action = case["action"]
            if action == "tool_loop":
                msg, rounds = self.tool_loop(case)
            else:
                body = dict(case["request"])
                body.pop("stream", None)
                if action == "stream":
                    body["stream"] = True
                msg, rounds = self.post(case, body, action == "stream"), 1
            return {"id": case["id"], "ok": True, "message": msg, "rounds": rounds}
        except ApiFailure as f:
            return {"id": case["id"], "ok": False, "error": {"status": f.status, "type": f.etype, "message": f.message}}
        except (ValueError, KeyError, TypeError) as exc:  # a malformed answer from the server
            return {"id": case["id"], "ok": False, "error": {"status": None, "type": None, "message": f"{type(exc).__name__}: {exc}"}}


_client: Client | None = None


def handle(case: dict[str, Any]) -> dict[str, Any]:
    """The in-process form (``--client-python conformance/adapters/httpx_raw.py:handle``)."""
    global _client
    if _client is None:
        _client = Client()
    return _client.handle(case)


def serve(client: Client | None = None) -> None:
    """The JSON-lines loop: one case per stdin line, one answer per stdout line."""
    client = client or Client()
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(client.handle(json.loads(line))), flush=True)


if __name__ == "__main__":
    serve()
