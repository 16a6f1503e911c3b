"""The numbered cases: requirement, level, source, how examples are generated, how they are judged.

Levels: MUST (missing it is a FAIL), SHOULD (NON-STRICT), INFO (a policy, reported as observed).
A ``robust`` tier holds what the real API does not send but a sturdy client survives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .answers import STOP_REASONS
from .checks import Outcome, expect_error, expect_ok, problems_of_message
from .examples import Example, loop_example, stream_example, truncated
from .loop import loop_problems
from .retry import retry_example, retry_problems
from .wire import encoding_strategy

__all__ = ["CASES", "Case", "select"]

MUST, SHOULD, INFO = "MUST", "SHOULD", "INFO"
SSE_SPEC = "WHATWG HTML Living Standard, server-sent events (9.2.6 parsing an event stream)"
STREAMING_DOCS = "Claude API docs: Streaming Messages (event flow, 'handle unknown events gracefully')"
TOOL_DOCS = "Claude API docs: Tool use (tool_result after tool_use, all results in one user turn)"
THINKING_DOCS = "Claude API docs: Extended thinking with tool use (pass thinking blocks back unmodified)"
ERROR_DOCS = "Claude API docs: Errors; SDK retry behaviour (retry-after-ms, retry-after, x-should-retry)"
MESSAGES_DOCS = "Claude API docs: Messages API reference (request headers, body, Message object)"


@dataclass
class Case:
    """One numbered requirement and how to test it."""

    id: str
    slug: str
    level: str
    requirement: str
    source: str
    action: str  # create | stream | tool_loop | any
    strategy: Callable[[Any], st.SearchStrategy[Example]]  # signer -> examples
    check: Callable[[Example, Outcome], list[str]]
    max_examples: int | None = None  # a cap for slow cases (retries wait)
    bugs: str = ""  # client-bugs.md classes

    @property
    def group(self) -> str:
        return self.id.split(".")[0]

    def meta(self) -> dict[str, Any]:
        return {"id": self.id, "slug": self.slug, "group": self.group, "level": self.level,
                "requirement": self.requirement, "source": self.source, "bug_classes": self.bugs}


CASES: list[Case] = []
_numbers: dict[str, int] = {}


def case(group: str, slug: str, level: str, requirement: str, source: str, action: str,
         strategy: Callable[[Any], st.SearchStrategy[Example]], check: Callable[[Example, Outcome], list[str]],
         max_examples: int | None = None, bugs: str = "") -> None:
    n = _numbers[group] = _numbers.get(group, 0) + 1
    CASES.append(Case(f"{group}.{n}", slug, level, requirement, source, action, strategy, check, max_examples, bugs))


# --- checks shared by many cases ---------------------------------------------------------------

def same_message(*keys: str) -> Callable[[Example, Outcome], list[str]]:
    keys = keys or ("content", "stop_reason")

    def check(ex: Example, out: Outcome) -> list[str]:
        msg, probs = expect_ok(out)
        if msg is None:
            return probs
        return problems_of_message(msg, ex.expect["message"], keys)

    return check


def an_error(*, status: int | None = None, etype: str | None = None) -> Callable[[Example, Outcome], list[str]]:
    def check(ex: Example, out: Outcome) -> list[str]:
        return expect_error(out, status, etype)

    return check


def _incomplete(out: Outcome) -> list[str]:
    """An error, or a message that says it is incomplete (stop_reason null)."""
    a = out.answer
    if isinstance(a, dict) and a.get("ok") is True and isinstance(a.get("message"), dict) and a["message"].get("stop_reason") is None:
        return []
    return expect_error(out)


def ends_policy(ex: Example, out: Outcome) -> list[str]:
    """INFO: a stream with a valid stop_reason but no message_stop; either answer is a policy."""
    a = out.answer
    if isinstance(a, dict) and a.get("ok") is False:
        return ["policy: treats a stream that ends after message_delta (no message_stop) as an error"]
    msg, probs = expect_ok(out)
    if msg is None:
        return probs
    return problems_of_message(msg, ex.expect["message"])


def _sse(*, eols: tuple[str, ...] = ("\n",), data_space: tuple[str, ...] = ("always",), pings: int = 0, comments: int = 0,
         unknown: int = 0, empty_ping: bool = False, focus: tuple[str, ...] = (), bytewise: bool = False,
         kinds: tuple[str, ...] = ("text",), stop_reason: str | None = None, **kw: Any) -> Callable[[Any], Any]:
    enc = encoding_strategy(eols=eols, data_space=data_space, pings=pings, comments=comments, unknown=unknown, empty_ping=empty_ping)
    return lambda signer: stream_example(signer, kinds=kinds, stop_reason=stop_reason, enc=enc, focus=focus, bytewise=bytewise, **kw)


ALL_KINDS = ("text", "thinking", "server_tool", "citations")

@st.composite
def _stalled(draw: Any, signer: Any) -> Example:
    ex: Example = draw(stream_example(signer, max_cuts=3))
    r = ex.replies[0]
    r.stall = (draw(st.integers(1, max(1, len(r.chunks) - 1))) if len(r.chunks) > 1 else 0, draw(st.sampled_from([0.3, 0.6])))
    ex.describe += f"; stall {r.stall[1]}s before chunk {r.stall[0]}"
    return ex


# --- sse.* ---------------------------------------------------------------------------------------

case("sse", "chunk-boundaries", MUST, "A stream cut into network chunks at arbitrary byte offsets (down to one byte) accumulates to the same message.",
     SSE_SPEC, "stream", _sse(bytewise=True, kinds=("text", "thinking"), stop_reason="tool_use"), same_message(), bugs="1")
case("sse", "utf8-split", MUST, "A multi-byte UTF-8 character split across two network chunks is decoded intact (no U+FFFD, nothing dropped).",
     SSE_SPEC, "stream", _sse(focus=("utf8",)), same_message(), bugs="2")
case("sse", "crlf", MUST, "Events whose lines end in CRLF are parsed, including a CRLF split between two chunks.",
     SSE_SPEC, "stream", _sse(eols=("\r\n",), focus=("crlf", "separator")), same_message(), bugs="4")
case("sse", "cr", MUST, "Events whose lines end in a bare CR are parsed.", SSE_SPEC, "stream",
     _sse(eols=("\r",), focus=("separator",)), same_message(), bugs="4")
case("sse", "mixed-line-ends", MUST, "Lines ending in any mix of LF, CRLF and CR are parsed, wherever the chunks are cut.",
     SSE_SPEC, "stream", _sse(eols=("mixed",), focus=("crlf", "separator")), same_message(), bugs="4")
case("sse", "event-separator-split", MUST, "An event whose terminating blank line is split across chunks (\\n | \\n) is dispatched once and whole.",
     SSE_SPEC, "stream", _sse(focus=("separator",), kinds=("text", "thinking"), stop_reason="tool_use"), same_message(), bugs="1")
case("sse", "ping", MUST, "`ping` events anywhere after message_start are ignored.", STREAMING_DOCS, "stream",
     _sse(pings=4), same_message(), bugs="5")
case("sse", "comments", MUST, "`:` comment lines between events are ignored.", SSE_SPEC, "stream",
     _sse(comments=3), same_message(), bugs="5")
case("sse", "unknown-events", MUST, "Unknown event types (named, or unnamed with an unknown type) are ignored.", STREAMING_DOCS, "stream",
     _sse(unknown=3, kinds=("text",), stop_reason="tool_use"), same_message(), bugs="7")
case("sse", "data-without-space", MUST, "`data:` lines without the optional space after the colon are parsed.", SSE_SPEC, "stream",
     _sse(data_space=("never", "mixed")), same_message())
case("sse", "empty-data-ping", SHOULD, "A `ping` event with an empty `data:` line (forwarded by proxies) is ignored.", SSE_SPEC, "stream",
     _sse(empty_ping=True), same_message(), bugs="6")
case("sse", "everything", MUST, "All of the above at once: any line ends, pings, comments, unknown events, arbitrary chunks.", SSE_SPEC, "stream",
     _sse(eols=("\n", "\r\n", "\r", "mixed"), data_space=("always", "mixed"), pings=3, comments=2, unknown=2,
          focus=("utf8", "crlf", "separator"), kinds=ALL_KINDS), same_message(), bugs="1,2,4,5,7")

# --- stream.* ------------------------------------------------------------------------------------

case("stream", "text", MUST, "Text blocks accumulate from their text_delta events, in index order.", STREAMING_DOCS, "stream",
     _sse(min_text=1), same_message())
case("stream", "stop-reasons", MUST, "Every documented stop_reason is reported as sent (including pause_turn, refusal, model_context_window_exceeded).",
     MESSAGES_DOCS, "stream", lambda signer: st.sampled_from(STOP_REASONS).flatmap(
         lambda r: stream_example(signer, stop_reason=r)), same_message(), bugs="24,25")
case("stream", "stop-sequence", SHOULD, "The stop_sequence of message_delta is reported.", MESSAGES_DOCS, "stream",
     _sse(stop_reason="stop_sequence"), same_message("stop_sequence"))
case("stream", "message-id", SHOULD, "The message id and model of message_start are reported.", MESSAGES_DOCS, "stream",
     _sse(), same_message("id", "model"))
case("stream", "citations", SHOULD, "citations_delta events (also one with no text after it) are accumulated into the text block's citations.",
     STREAMING_DOCS, "stream", _sse(kinds=("citations",), min_text=1), same_message(), bugs="21")
case("stream", "server-tools", MUST, "server_tool_use (input by input_json_delta) and web_search_tool_result blocks are kept with their content.",
     STREAMING_DOCS, "stream", _sse(kinds=("server_tool", "text"), min_text=1), same_message(), bugs="32")
case("stream", "create-json", MUST, "A non-streaming answer whose JSON body arrives in arbitrary chunks is parsed whole.",
     MESSAGES_DOCS, "create", lambda signer: stream_example(signer, kinds=ALL_KINDS, action="create"), same_message())
case("stream", "cut-mid-body", MUST, "A connection cut in the middle of a stream is reported as an error, not as a complete message.",
     STREAMING_DOCS, "stream", lambda signer: truncated(signer, where="content", end="cut"), an_error(), bugs="10")
case("stream", "end-without-delta", MUST, "A stream that ends cleanly inside the content (no message_delta, no message_stop) is not reported as complete: an error, or a message whose stop_reason is null.",
     STREAMING_DOCS, "stream", lambda signer: truncated(signer, where="content", end="complete"), lambda ex, out: _incomplete(out), bugs="10")
case("stream", "end-after-delta", INFO, "Policy: a stream that ends cleanly after message_delta with a valid stop_reason but without message_stop.",
     STREAMING_DOCS, "stream", lambda signer: truncated(signer, where="after_delta", end="complete"), ends_policy, bugs="10")
case("stream", "stall", MUST, "A pause of under a second inside a stream (no bytes) does not fail the request.", STREAMING_DOCS, "stream",
     lambda signer: _stalled(signer), same_message(), max_examples=3, bugs="11")
case("stream", "interleaved-blocks", INFO, "Robustness tier: deltas of two text blocks interleaved by index still land in their own block.",
     "client-bugs.md: the official SDK assumes index order", "stream", _sse(min_text=2, kinds=("text",), interleave=True), same_message(), bugs="14")


# --- errors.* ------------------------------------------------------------------------------------

case("errors", "mid-stream-error", MUST, "An `error` event after a 200 response is reported as an error, not as a (partial) success.",
     STREAMING_DOCS, "stream", lambda signer: st.sampled_from(["overloaded_error", "api_error", "rate_limit_error", "invalid_request_error"]).flatmap(
         lambda t: truncated(signer, where="content", end="complete", error=t)), an_error(), bugs="8")
case("errors", "mid-stream-error-type", SHOULD, "The type of a mid-stream `error` event (e.g. overloaded_error) is recoverable from the reported error.",
     STREAMING_DOCS, "stream", lambda signer: truncated(signer, where="content", end="complete", error="overloaded_error"),
     lambda ex, out: expect_error(out, etype="overloaded_error"), bugs="9")
case("errors", "error-before-content", MUST, "An `error` event right after message_start is reported as an error.", STREAMING_DOCS, "stream",
     lambda signer: truncated(signer, where="start", end="complete", error="overloaded_error"), an_error(), bugs="8,36")


def _http_status_example(statuses: tuple[int, ...]) -> Callable[[Any], Any]:
    return lambda signer: st.sampled_from(statuses).flatmap(lambda s: retry_example(signer, [s], succeed=False, max_retries=2))


case("errors", "http-status", MUST, "An HTTP error answer is reported as an error with its status code.", ERROR_DOCS, "any",
     _http_status_example((400, 401, 403, 404, 413)), lambda ex, out: expect_error(out, ex.expect["status"]), bugs="38,39")
case("errors", "http-type", SHOULD, "An HTTP error's `error.type` (e.g. invalid_request_error) is recoverable from the reported error.",
     ERROR_DOCS, "any", _http_status_example((400, 401, 403, 404, 413)),
     lambda ex, out: expect_error(out, etype=ex.expect["type"]), bugs="38,39")

@st.composite
def _cut_then_full(draw: Any, signer: Any) -> Example:
    first: Example = draw(truncated(signer, where="content", end=draw(st.sampled_from(["cut", "complete"]))))
    full: Example = draw(stream_example(signer, min_text=1))
    ex = Example("stream", first.request, first.replies + full.replies, max_retries=2, expect={"message": full.expect["message"]},
                 describe=f"attempt 1: {first.describe}; attempt 2: the full answer")
    return ex


def _dedupe_check(ex: Example, out: Outcome) -> list[str]:
    a = out.answer
    if isinstance(a, dict) and a.get("ok") is False:
        return []
    if len(out.requests) <= 1:  # not retried: the truncated answer must not pass for complete
        return _incomplete(out)
    msg, probs = expect_ok(out)
    if msg is None:
        return probs
    return problems_of_message(msg, ex.expect["message"])


# --- retry.* -------------------------------------------------------------------------------------

_R = ERROR_DOCS
case("retry", "retryable-status", MUST, "429, 500, 504 and 529 answers are retried (up to max_retries) and the final success is reported.",
     _R, "any", lambda signer: st.permutations([429, 500, 504, 529]).flatmap(
         lambda ss: retry_example(signer, list(ss), max_retries=4, retry_after_ms=st.integers(50, 100))), retry_problems,
     max_examples=3, bugs="36")
case("retry", "retry-after-ms", MUST, "The wait before a retry is at least the `retry-after-ms` the server sent.", _R, "any",
     lambda signer: st.sampled_from([429, 529]).flatmap(lambda s: retry_example(signer, [s, s], retry_after_ms=st.integers(100, 300))),
     retry_problems, max_examples=3, bugs="34")
case("retry", "retry-after", MUST, "Without retry-after-ms, the wait before a retry is at least `retry-after` (seconds).", _R, "any",
     lambda signer: retry_example(signer, [429], retry_after=1), retry_problems, max_examples=2, bugs="34")
case("retry", "should-retry-false", MUST, "An error with `x-should-retry: false` is not retried, whatever its status.", _R, "any",
     lambda signer: st.sampled_from([429, 500, 529]).flatmap(lambda s: retry_example(signer, [s], should_retry=False, succeed=False)),
     retry_problems, max_examples=4, bugs="35")
case("retry", "should-retry-true", SHOULD, "An error with `x-should-retry: true` is retried even when its status is not retryable.", _R, "any",
     lambda signer: retry_example(signer, [400], should_retry=True, retry_after_ms=st.integers(50, 100)), retry_problems, max_examples=2, bugs="35")
case("retry", "no-retry-4xx", MUST, "400, 401, 403, 404 and 413 answers are not retried.", _R, "any",
     _http_status_example((400, 401, 403, 404, 413)), retry_problems, max_examples=6, bugs="33,38")
case("retry", "max-retries", MUST, "A client retries at most max_retries times, then reports the last error.", _R, "any",
     lambda signer: st.integers(0, 2).flatmap(lambda n: retry_example(signer, [529] * (n + 1), max_retries=n, succeed=False,
                                                                     retry_after_ms=st.integers(50, 100))),
     retry_problems, max_examples=3, bugs="33")
case("retry", "backoff", SHOULD, "Without retry headers, a client still waits before retrying (some back-off, not a tight loop).", _R, "any",
     lambda signer: retry_example(signer, [500], no_headers=True, max_retries=1), retry_problems, max_examples=1, bugs="34")
case("retry", "no-duplicate-after-cut", MUST, "A stream cut mid-way is either reported as an error or retried from scratch, never stitched (no duplicated text).",
     STREAMING_DOCS, "stream", lambda signer: _cut_then_full(signer), lambda ex, out: _dedupe_check(ex, out), max_examples=4, bugs="37")


# --- usage.* -------------------------------------------------------------------------------------

case("usage", "cumulative", MUST, "Usage is message_delta's running totals (output_tokens overwritten, not added), with message_start's input and cache figures.",
     STREAMING_DOCS, "stream", _sse(delta_usage="cumulative"), same_message("usage"), bugs="22")
case("usage", "output-only-delta", MUST, "When message_delta carries only output_tokens, input and cache tokens come from message_start.",
     STREAMING_DOCS, "stream", _sse(delta_usage="output"), same_message("usage"), bugs="22,23")
case("usage", "null-fields", MUST, "Explicit nulls in message_delta's usage neither crash the client nor erase message_start's figures.",
     STREAMING_DOCS, "stream", _sse(delta_usage="nulls"), same_message("usage"), bugs="23")
case("usage", "absent-delta-usage", SHOULD, "A message_delta without usage leaves message_start's usage.", STREAMING_DOCS, "stream",
     _sse(delta_usage="absent"), same_message("usage"), bugs="23")
case("usage", "json", MUST, "A non-streaming answer's usage (with the cache fields) is reported as sent.", MESSAGES_DOCS, "create",
     lambda signer: stream_example(signer, action="create"), same_message("usage"))

# --- tools.* -------------------------------------------------------------------------------------


def _loop(*cats: str) -> Callable[[Example, Outcome], list[str]]:
    return lambda ex, out: loop_problems(ex, out, cats)


case("tools", "input-json", MUST, "A streamed tool_use's input is its input_json_delta pieces joined and parsed (not the {} placeholder, not concatenated with it).",
     STREAMING_DOCS, "stream", _sse(kinds=("text",), stop_reason="tool_use", max_cuts=6), same_message(), bugs="13,15")
case("tools", "empty-input", MUST, "A tool_use with no input_json_delta (or only \"\") has input {} — in the message and in the loop.",
     TOOL_DOCS, "tool_loop", lambda signer: loop_example(signer, tool_names=("now",), rounds=(1, 1)), _loop("message", "assistant", "results"), bugs="12")
case("tools", "echo-assistant", MUST, "Each round's assistant content is sent back unchanged in the next request.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer), _loop("assistant"), bugs="14,20")
case("tools", "result-ids", MUST, "Every tool_use gets exactly one tool_result with its id, and its content is the echo result.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer), _loop("results"), bugs="14")
case("tools", "parallel", MUST, "Several tool_use blocks in one turn are all answered, in one user turn.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer, tools=3, rounds=(1, 1)), _loop("results", "turns"), bugs="14,27")
case("tools", "one-user-turn", MUST, "All results of a round are sent in one user turn right after the assistant turn.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer, tools=2), _loop("turns"), bugs="27")
case("tools", "final-message", MUST, "The loop reports the last answer, after as many requests as rounds the server asked for.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer, rounds=(1, 3)), _loop("message", "rounds"))
case("tools", "max-rounds", MUST, "The loop stops after max_rounds requests even if the server keeps asking for tools.", TOOL_DOCS, "tool_loop",
     lambda signer: loop_example(signer, rounds=(2, 3), max_rounds=2), _loop("rounds"))
case("tools", "server-tools-in-loop", MUST, "server_tool_use and web_search_tool_result blocks are echoed verbatim; only client tool_use blocks get results.",
     TOOL_DOCS, "tool_loop", lambda signer: loop_example(signer, kinds=("server_tool", "text"), rounds=(1, 1)), _loop("assistant", "results"), bugs="32")

# --- thinking.* ----------------------------------------------------------------------------------

case("thinking", "stream", MUST, "Streamed thinking blocks are reported with their full text and signature_delta's signature.", THINKING_DOCS, "stream",
     _sse(kinds=("thinking", "text"), min_text=1), same_message(), bugs="16")
case("thinking", "loop-signature", MUST, "Thinking blocks go back in the tool loop byte for byte (text and signature).", THINKING_DOCS, "tool_loop",
     lambda signer: loop_example(signer, kinds=("thinking", "text")), _loop("thinking", "assistant"), bugs="16,17,20")
case("thinking", "loop-redacted", MUST, "redacted_thinking blocks go back in the tool loop with their data, at their position.", THINKING_DOCS, "tool_loop",
     lambda signer: loop_example(signer, kinds=("thinking", "redacted_thinking", "text")), _loop("thinking", "assistant"), bugs="19")
case("thinking", "split-signature", INFO, "Robustness tier: a signature split across two signature_delta events (the official SDK keeps the last).",
     "client-bugs.md: signature_delta is assigned by the official SDK", "stream",
     _sse(kinds=("thinking", "text"), split_signature=True), same_message(), bugs="16")

# --- request.* -----------------------------------------------------------------------------------


def _headers_check(ex: Example, out: Outcome) -> list[str]:
    from .checks import KNOWN_VERSIONS

    probs: list[str] = []
    if not out.requests:
        return ["no request reached the server"]
    for i, e in enumerate(out.requests, 1):
        h = {k.lower(): v for k, v in e.headers.items()}
        if h.get("anthropic-version") not in KNOWN_VERSIONS:
            probs.append(f"request {i}: anthropic-version {h.get('anthropic-version')!r} (known: {', '.join(KNOWN_VERSIONS)})")
        if h.get("x-api-key") != out.api_key and h.get("authorization") != f"Bearer {out.api_key}":
            probs.append(f"request {i}: neither x-api-key nor Authorization: Bearer carries the case's api_key")
        if not (h.get("content-type") or "").lower().startswith("application/json"):
            probs.append(f"request {i}: content-type {h.get('content-type')!r}")
    return probs


def _body_check(ex: Example, out: Outcome) -> list[str]:
    from .checks import normalize

    if not out.requests:
        return ["no request reached the server"]
    body = out.requests[0].body
    if not isinstance(body, dict):
        return [f"the body is not a JSON object: {body!r:.200}"]
    probs = []
    given = normalize(ex.request)
    got = normalize(body)
    for k, v in given.items():
        if k == "stream":
            continue
        if k == "messages":
            from .checks import _norm_turn

            if [_norm_turn(m) for m in got.get(k) or []] != [_norm_turn(m) for m in v]:
                probs.append(f"messages: sent {got.get(k)!r:.300}, given {v!r:.300}")
        elif got.get(k) != v:
            probs.append(f"{k}: sent {got.get(k)!r:.200}, given {v!r:.200}")
    want_stream = ex.action == "stream" or (ex.action == "tool_loop" and bool(ex.request.get("stream")))
    if bool(got.get("stream")) != want_stream:
        probs.append(f"stream: sent {got.get('stream')!r} for action {ex.action}")
    return probs


@st.composite
def _plain(draw: Any, signer: Any, action: str) -> Example:
    ex: Example = draw(stream_example(signer, action="create" if action == "create" else "stream"))
    if action == "create":
        return ex
    return ex


case("request", "headers", MUST, "Every request carries anthropic-version (a known version), the API key (x-api-key or Bearer) and content-type: application/json.",
     MESSAGES_DOCS, "any", lambda signer: st.sampled_from(["create", "stream"]).flatmap(lambda a: _plain(signer, a)), _headers_check)
case("request", "body-as-given", MUST, "The body sent is the request given (model, max_tokens, messages, system, metadata, tools, thinking), nothing dropped or changed; `stream` matches the action.",
     MESSAGES_DOCS, "any", lambda signer: st.sampled_from(["create", "stream"]).flatmap(lambda a: _plain(signer, a)), _body_check, bugs="40-46")
case("request", "loop-body", MUST, "Follow-up requests of a tool loop keep the original parameters (model, system, tools, thinking, max_tokens).",
     TOOL_DOCS, "tool_loop", lambda signer: loop_example(signer, rounds=(1, 1)), _loop("params"))


def select(pattern: str | None) -> list[Case]:
    """The cases whose id or ``group.slug`` matches one of the comma-separated globs."""
    import fnmatch

    if not pattern:
        return list(CASES)
    pats = [p.strip() for p in pattern.split(",") if p.strip()]
    return [c for c in CASES if any(fnmatch.fnmatch(c.id, p) or fnmatch.fnmatch(f"{c.group}.{c.slug}", p) for p in pats)]

