"""Scripted answers: the test says what the model answers, the double makes it real on the wire.

    mock.respond(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    mock.respond(text="It is sunny in Paris.", when={"tool_result": "get_weather"})

A scripted answer (:class:`Reply`) is one of ``text=`` (with ``thinking=`` and/or ``tool_use=``
beside it), ``message=`` (a whole or partial message), or ``error=`` (an HTTP error). Answers are
tried in the order they were added; the first whose ``when=`` condition holds (no condition: any
request) and that has uses left (``times=N``, default 1; ``times=None``: until cleared) answers.
When none does, the request goes on to the cassette or the synthetic answer.

What the client receives is built like any other answer of the double: ids, usage (with prompt-cache
accounting), a thinking signature the double accepts back, JSON or SSE as the client asked, and any
fault queued for the request. The answer must fit the request — a ``tool_use`` must name an offered
tool and its input validate against the tool's ``input_schema``, ``thinking`` needs thinking enabled,
``tool_choice`` is honoured. One that does not fit is answered with a 400 that says why (and is
kept in :attr:`Script.errors`, which the pytest plugin reports), never silently sent.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ERROR_TYPES, ApiError, ConfigError
from . import Answer
from .script_message import Misfit, build_message
from .synthetic import request_digest

__all__ = ["REPLY_KEYS", "WHEN_KEYS", "Reply", "Script", "ScriptedRequest", "coerce_replies"]

REPLY_KEYS = ("text", "json", "tool_use", "thinking", "message", "error", "when", "times", "stop_reason", "usage", "name")
WHEN_KEYS = ("model", "user_text", "tool_result", "tools", "stream", "body")
STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")
MESSAGE_KEYS = ("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage", "container")
SCRIPT_ERROR_HEADER = "x-mockclaude-script-error"
# Messages for scripted errors whose status has no fault kind (the fault kinds bring their own).
_ERROR_MESSAGES = {
    400: "Invalid request",
    401: "invalid x-api-key",
    402: "Your credit balance is too low to access the Anthropic API.",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not found",
}
_MISSING = object()
log = logging.getLogger("mockclaude")


# --- what a condition looks at -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScriptedRequest:
    """The request as a ``when=`` predicate sees it (all read-only)."""

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    tools: list[str]  # names of the tools offered
    last_user_text: str
    tool_results: list[dict[str, Any]]  # tool_result blocks of the last user turn, each with "name" added
    stream: bool

    @classmethod
    def of(cls, valid: Any) -> ScriptedRequest:
        messages: list[dict[str, Any]] = valid.messages
        names: dict[str, str] = {}
        for m in messages:
            if m.get("role") == "assistant":
                for b in m.get("content") or []:
                    if b.get("type") == "tool_use":
                        names[b.get("id", "")] = b.get("name", "")
        last_user: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {"content": []})
        blocks = last_user.get("content") or []
        text = " ".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        results = [
            {**b, "name": names.get(b.get("tool_use_id", ""), "")} for b in blocks if b.get("type") == "tool_result"
        ]
        return cls(
            body=valid.body,
            model=valid.model_id,
            messages=messages,
            tools=[t["name"] for t in valid.tools or [] if "name" in t],
            last_user_text=text,
            tool_results=results,
            stream=bool(valid.stream),
        )


def _path_parts(path: str) -> list[str]:
    """``$.messages[0].content`` or ``messages.0.content`` -> ``["messages", "0", "content"]``."""
    path = path.strip().removeprefix("$").lstrip(".")
    return [p for p in re.split(r"\.|\[(\d+)\]", path) if p]


def _lookup(value: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(value, dict):
            value = value.get(p, _MISSING)
        elif isinstance(value, list) and p.lstrip("-").isdigit() and -len(value) <= int(p) < len(value):
            value = value[int(p)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


class Condition:
    """``when=``: a callable taking a :class:`ScriptedRequest`, or a dict whose keys must all hold:

    * ``model``: a glob (``claude-haiku-*``);
    * ``user_text``: a substring of the last user turn's text;
    * ``tool_result``: ``true``/``false`` (the last user turn has tool results, or none), or a tool
      name (a result for a call of that tool);
    * ``tools``: a tool name, or a list of them, all offered;
    * ``stream``: ``true``/``false``;
    * ``body``: ``{json path: value}`` — the request body has these values (``messages.0.content``,
      ``$.metadata.user_id``, ``system``).
    """

    def __init__(self, spec: Any, where: str = "when") -> None:
        self.spec = spec
        self._fn: Callable[[ScriptedRequest], Any] | None = None
        self._paths: list[tuple[str, list[str], Any]] = []
        if callable(spec):
            self._fn = spec
            return
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: expected a mapping of conditions ({', '.join(WHEN_KEYS)}) or a callable")
        unknown = sorted(set(spec) - set(WHEN_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown condition(s) {', '.join(unknown)}; valid: {', '.join(WHEN_KEYS)}")
        for key in ("model", "user_text"):
            if key in spec and not isinstance(spec[key], str):
                raise ConfigError(f"{where}.{key}: expected a string, got {spec[key]!r}")
        if "tool_result" in spec and not isinstance(spec["tool_result"], (bool, str)):
            raise ConfigError(f"{where}.tool_result: expected true, false or a tool name, got {spec['tool_result']!r}")
        if "stream" in spec and not isinstance(spec["stream"], bool):
            raise ConfigError(f"{where}.stream: expected true or false, got {spec['stream']!r}")
        tools = spec.get("tools")
        if tools is not None and not (isinstance(tools, str) or (isinstance(tools, list) and all(isinstance(t, str) for t in tools))):
            raise ConfigError(f"{where}.tools: expected a tool name or a list of names, got {tools!r}")
        body = spec.get("body")
        if body is not None:
            if not isinstance(body, Mapping) or not body:
                raise ConfigError(f"{where}.body: expected a non-empty mapping of JSON path to value")
            for path, want in body.items():
                parts = _path_parts(str(path))
                if not parts:
                    raise ConfigError(f"{where}.body: {path!r} is not a JSON path (e.g. messages.0.content)")
                self._paths.append((str(path), parts, want))

    def holds(self, req: ScriptedRequest) -> bool:
        if self._fn is not None:
            return bool(self._fn(req))
        spec = self.spec
        if "model" in spec and not fnmatch.fnmatchcase(req.model, spec["model"]):
            return False
        if "user_text" in spec and spec["user_text"] not in req.last_user_text:
            return False
        if "tool_result" in spec:
            want = spec["tool_result"]
            if isinstance(want, bool):
                if bool(req.tool_results) != want:
                    return False
            elif not any(r["name"] == want for r in req.tool_results):
                return False
        if "tools" in spec:
            names = [spec["tools"]] if isinstance(spec["tools"], str) else spec["tools"]
            if not all(n in req.tools for n in names):
                return False
        if "stream" in spec and req.stream != spec["stream"]:
            return False
        return all(_lookup(req.body, parts) == want for _, parts, want in self._paths)

    def describe(self) -> str:
        if self._fn is not None:
            return f"when {getattr(self._fn, '__name__', 'a predicate')}()"
        return "when " + ", ".join(f"{k}={v!r}" for k, v in self.spec.items())


# --- one scripted answer ----------------------------------------------------------------------------


def _tool_calls(value: Any, where: str) -> list[dict[str, Any]]:
    calls = value if isinstance(value, list) else [value]
    out = []
    for i, call in enumerate(calls):
        at = f"{where}[{i}]" if isinstance(value, list) else where
        if not isinstance(call, Mapping):
            raise ConfigError(f'{at}: expected {{"name": ..., "input": {{...}}}}, got {call!r}')
        unknown = sorted(set(call) - {"name", "input", "id"})
        if unknown:
            raise ConfigError(f"{at}: unknown key(s) {', '.join(unknown)}; valid: name, input, id")
        if not isinstance(call.get("name"), str) or not call["name"]:
            raise ConfigError(f"{at}: needs a tool name (name: ...)")
        tool_input = call.get("input", {})
        if not isinstance(tool_input, Mapping):
            raise ConfigError(f"{at}.input: a tool's input is a JSON object, got {tool_input!r}")
        if "id" in call and not (isinstance(call["id"], str) and call["id"]):
            raise ConfigError(f"{at}.id: expected a non-empty string")
        out.append({"name": call["name"], "input": dict(tool_input), **({"id": call["id"]} if "id" in call else {})})
    if not out:
        raise ConfigError(f"{where}: an empty list of tool calls")
    return out


def _error(value: Any, where: str) -> ApiError:
    """``error=429`` or ``error={"status": 429, "retry_after": 2, "message": ...}`` as the ApiError sent."""
    opts: dict[str, Any] = {}
    if isinstance(value, Mapping):
        opts = {k.replace("_", "-"): v for k, v in value.items() if k != "status"}
        value = value.get("status")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an HTTP status (429) or {{status: 429, ...}}, got {value!r}")
    from ..faults.inject import error_for_http
    from ..faults.spec import HTTP_KINDS, Fault

    if str(value) in HTTP_KINDS:
        try:
            return error_for_http(Fault.of(str(value), **opts))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
    if value not in _ERROR_MESSAGES:
        valid = sorted({*map(int, HTTP_KINDS), *_ERROR_MESSAGES})
        raise ConfigError(f"{where}: status {value} is not one the API answers with; valid: {', '.join(map(str, valid))}")
    unknown = sorted(set(opts) - {"message", "type"})
    if unknown:
        raise ConfigError(f"{where}: unknown option(s) {', '.join(unknown)} for status {value}; valid: message, type")
    return ApiError(value, str(opts.get("message", _ERROR_MESSAGES[value])), type=str(opts.get("type", ERROR_TYPES[value])))


@dataclass(eq=False)
class Reply:
    """One scripted answer (build it with :meth:`of`). ``used`` counts the requests it answered."""

    text: str | None = None
    tool_use: list[dict[str, Any]] | None = None
    thinking: str | None = None
    message: dict[str, Any] | None = None
    error: ApiError | None = None
    when: Condition | None = None
    times: int | None = 1
    stop_reason: str | None = None
    usage: dict[str, Any] | None = None
    name: str | None = None
    origin: str = ""  # where it was defined (a file and line), for messages
    used: int = 0
    spec: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Any = None, *, where: str = "response", **keywords: Any) -> Reply:
        """A Reply from a mapping (the file, marker and admin API form) or keywords; ConfigError
        naming ``where`` and the valid keys when something is off."""
        if isinstance(spec, Reply):
            return spec.copy()
        if spec is None:
            spec = keywords
        elif keywords:
            raise ConfigError(f"{where}: give a mapping or keywords, not both")
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: expected a mapping with one of text, tool_use, message, error; got {spec!r}")
        unknown = sorted(set(spec) - set(REPLY_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(REPLY_KEYS)}")
        r = cls(spec=dict(spec), origin=where)
        if "json" in spec:
            # A structured-output answer: the text is the value as compact JSON.
            if spec.get("text") is not None:
                raise ConfigError(f"{where}: give text or json, not both")
            import json

            try:
                spec = {**{k: v for k, v in spec.items() if k != "json"}, "text": json.dumps(spec["json"], ensure_ascii=False, separators=(",", ":"))}
            except (TypeError, ValueError) as err:
                raise ConfigError(f"{where}.json: not a JSON value: {err}") from None
            r.spec = dict(spec)
        kinds = [k for k in ("text", "tool_use", "message", "error") if spec.get(k) is not None]
        if not kinds:
            raise ConfigError(f"{where}: needs text, tool_use, message or error (thinking goes with text or tool_use)")
        alone = "message" in kinds or "error" in kinds
        if alone and (len(kinds) > 1 or spec.get("thinking") is not None):
            raise ConfigError(f"{where}: message and error stand alone; text, thinking and tool_use combine")
        for key in ("text", "thinking", "name"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise ConfigError(f"{where}.{key}: expected a string, got {spec[key]!r}")
        r.text, r.thinking, r.name = spec.get("text"), spec.get("thinking"), spec.get("name")
        if spec.get("tool_use") is not None:
            r.tool_use = _tool_calls(spec["tool_use"], f"{where}.tool_use")
        if spec.get("message") is not None:
            r.message = _message_spec(spec["message"], f"{where}.message")
        if spec.get("error") is not None:
            r.error = _error(spec["error"], f"{where}.error")
        if spec.get("when") is not None:
            r.when = spec["when"] if isinstance(spec["when"], Condition) else Condition(spec["when"], f"{where}.when")
        times = spec.get("times", 1)
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ConfigError(f"{where}.times: expected a whole number >= 1, or null (until cleared); got {times!r}")
        r.times = times
        if spec.get("stop_reason") is not None and spec["stop_reason"] not in STOP_REASONS:
            raise ConfigError(f"{where}.stop_reason: {spec['stop_reason']!r} is not one of {', '.join(STOP_REASONS)}")
        r.stop_reason = spec.get("stop_reason")
        if spec.get("usage") is not None:
            if not isinstance(spec["usage"], Mapping):
                raise ConfigError(f"{where}.usage: expected a mapping (e.g. {{output_tokens: 12}})")
            r.usage = dict(spec["usage"])
        return r

    def copy(self) -> Reply:
        """The same answer with its use count at zero."""
        r = Reply.of(self.spec, where=self.origin)
        r.when = self.when
        return r

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(0, self.times - self.used)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def what(self) -> str:
        """``text 'It is sunny…'``, ``tool_use get_weather``, ``error 429``, ``message``."""
        if self.name:
            return self.name
        if self.error is not None:
            return f"error {self.error.status}"
        if self.message is not None:
            return "message"
        parts = []
        if self.thinking is not None:
            parts.append("thinking")
        if self.text is not None:
            t = self.text if len(self.text) <= 40 else self.text[:39] + "…"
            parts.append(f"text {t!r}")
        if self.tool_use:
            parts.append("tool_use " + ", ".join(c["name"] for c in self.tool_use))
        return " + ".join(parts)

    def describe(self) -> str:
        used = f"used {self.used} of {self.times}" if self.times is not None else f"used {self.used} (until cleared)"
        cond = f" {self.when.describe()}" if self.when is not None else ""
        where = f" [{self.origin}]" if self.origin and self.origin != "response" else ""
        return f"{self.what()}{cond}: {used}{where}"

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what(),
            "when": None if self.when is None else self.when.describe().removeprefix("when "),
            "times": self.times,
            "used": self.used,
            "remaining": self.remaining,
            "origin": self.origin,
        }


def _message_spec(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a message mapping (content, stop_reason, usage, ...)")
    unknown = sorted(set(value) - set(MESSAGE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(MESSAGE_KEYS)}")
    content = value.get("content", [])
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(b, Mapping) and isinstance(b.get("type"), str) for b in content):
        raise ConfigError(f"{where}.content: expected a string or a list of blocks, each with a type")
    out = dict(value)
    out["content"] = [dict(b) for b in content]
    for i, b in enumerate(out["content"]):
        if b["type"] == "tool_use":
            call = _tool_calls({k: v for k, v in b.items() if k != "type"}, f"{where}.content[{i}]")[0]
            out["content"][i] = {"type": "tool_use", **call}
        elif b["type"] == "text" and not isinstance(b.get("text"), str):
            raise ConfigError(f"{where}.content[{i}]: a text block needs text")
        elif b["type"] == "thinking" and not isinstance(b.get("thinking"), str):
            raise ConfigError(f"{where}.content[{i}]: a thinking block needs thinking (its text)")
    if out.get("stop_reason") is not None and out["stop_reason"] not in STOP_REASONS:
        raise ConfigError(f"{where}.stop_reason: {out['stop_reason']!r} is not one of {', '.join(STOP_REASONS)}")
    return out


def coerce_replies(value: Any, where: str = "responses") -> tuple[Reply, ...]:
    """Replies from a list of mappings / Replies, or a file path (YAML or JSON); ConfigError if malformed."""
    from pathlib import Path

    if isinstance(value, (str, Path)):
        from .script_file import load_responses

        return load_responses(value)
    if isinstance(value, (Mapping, Reply)):
        value = [value]
    if not isinstance(value, Iterable):
        raise ConfigError(f"{where}: expected a list of scripted answers or a file path, got {value!r}")
    return tuple(Reply.of(v, where=f"{where}[{i}]") for i, v in enumerate(value))


class Script:
    """The scripted answers of a server: the configured ones (restored by :meth:`reset`) and those
    added since (:meth:`add`). Thread-safe; consulted by the app before cassettes and the synthetic
    answer, only when it holds something."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._base: tuple[Reply, ...] = ()
        self.replies: list[Reply] = []
        self.errors: list[str] = []  # scripted answers that did not fit their request
        self._count = 0

    def __bool__(self) -> bool:
        return bool(self.replies)

    def configure(self, replies: Any) -> None:
        """Install ``replies`` as the configured answers (``Settings.responses``), fresh counts."""
        base = tuple(replies) if all(isinstance(r, Reply) for r in replies) else coerce_replies(replies)
        with self._lock:
            self._base = base
        self.reset()

    def reset(self) -> None:
        """Back to the configured answers, none used; answers added since and errors forgotten."""
        with self._lock:
            self.replies = [r.copy() for r in self._base]
            self.errors = []

    def clear(self) -> None:
        """Forget every scripted answer, configured ones included (until the next reset)."""
        with self._lock:
            self.replies = []

    def add(self, reply: Any = None, **keywords: Any) -> Reply:
        r = reply if isinstance(reply, Reply) and not keywords else Reply.of(reply, **keywords)
        with self._lock:
            self.replies = [*self.replies, r]
        return r

    def unused(self) -> list[Reply]:
        """Answers with uses left (``times=N`` not all used; until-cleared ones never used)."""
        return [r for r in self.replies if (r.used == 0 if r.times is None else r.used < r.times)]

    def to_json(self) -> dict[str, Any]:
        return {"responses": [r.to_json() for r in self.replies], "errors": list(self.errors)}

    def _pick(self, req: ScriptedRequest) -> tuple[int, Reply] | None:
        with self._lock:
            for i, r in enumerate(self.replies):
                if r.exhausted or (r.when is not None and not r.when.holds(req)):
                    continue
                r.used += 1
                self._count += 1
                return i, r
        return None

    def answer(self, ex: Any, app: Any) -> Answer | None:
        """The scripted answer to ``ex`` (a validated /v1/messages exchange), or None."""
        picked = self._pick(ScriptedRequest.of(ex.valid))
        if picked is None:
            return None
        i, reply = picked
        label = f"scripted answer #{i} ({reply.what()})"
        if ex.entry is not None:
            ex.entry.notes.append(f"answered by {label}")
        if reply.error is not None:
            return Answer(status=reply.error.status, headers=dict(reply.error.headers), body=reply.error.body(ex.request_id), source="scripted")
        seed = hashlib.sha256(request_digest(ex.valid.body, ex.raw) + f"{i}:{reply.used}:{self._count}".encode()).digest()
        try:
            return Answer(body=build_message(reply, ex, app, seed), source="scripted")
        except Misfit as why:
            text = f"mockclaude: {label} does not fit this request: {why}"
            with self._lock:
                self.errors.append(text)
            log.warning("%s (%s)", text, ex.request_id)
            if ex.entry is not None:
                ex.entry.notes.append(text)
            body = ApiError(400, text, type="invalid_request_error").body(ex.request_id)
            return Answer(status=400, headers={"x-should-retry": "false", SCRIPT_ERROR_HEADER: "true"}, body=body, source="scripted")
