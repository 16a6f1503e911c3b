"""Explanations of the shipped adapters' non-PASS verdicts, rendered into conformance/RESULTS.md by
conformance/make_results.py. Keyed by (adapter label, "group.slug"); ("*", key) applies to every
adapter. Each says what the client does and where that is in its source, so a difference is a
finding with its evidence, not a mystery. Paths are inside each installed package.
"""

from __future__ import annotations

# --- shared root causes ---------------------------------------------------------------------------

_SPLIT_SIGNATURE = ("Robustness tier, not the API's behaviour: the client *assigns* `signature_delta` (keeps the last "
                    "piece) as the official SDKs do, so a signature split across two events is cut.")

_PY_NO_DELTA_USAGE = ("`accumulate_event` reads `event.usage.output_tokens` on every `message_delta` "
                      "(`anthropic/lib/streaming/_messages.py`), so a `message_delta` without `usage` raises "
                      "AttributeError. The API always sends `usage` there, hence SHOULD.")

_T_TEXT_ONLY = ("The tutorial's `parse_stream` joins every `text_delta` into one string and keeps nothing else: "
                "several text blocks come back as one, and thinking, `tool_use`, server-tool and citation blocks "
                "are lost (the evidence shows the reported content beside the events').")
_T_NO_TOOLS_IN_STREAM = ("A streamed tool loop parsed the tutorial's way has no `tool_use` blocks to answer (see "
                         "`parse_stream`), so the loop stops after the first answer.")
_T_NO_ERROR_EVENTS = ("Only `data: ` lines are read and the event name is never looked at, so an `error` event is "
                      "parsed, ignored by `parse_stream`, and the partial answer is reported as a success.")
_T_USAGE = ("`parse_stream` keeps only `message_delta`'s `output_tokens`: input and cache tokens, "
            "`service_tier` are lost.")
_T_RETRY = ("The tutorial's back-off: 1 s, 2 s, 4 s… on 429, 500 and 529 only (its error table), whatever "
            "`retry-after-ms`, `retry-after` or `x-should-retry` say.")

_LC_COERCED = ("Without tools, documents or thinking in the request, ChatAnthropic's stream coerces the content to "
               "one string (`coerce_content_to_string` in `langchain_anthropic/chat_models.py`): several text "
               "blocks come back as one block holding their joined text.")
_LC_BLANK_TEXT = ("When an AIMessage goes back, empty and whitespace-only text blocks are dropped (`if text.strip():` "
                  "in `_format_messages`, citing anthropic-sdk-python#461; Python's `strip` also takes U+0085 and "
                  "U+2028), so the assistant turn is not sent unchanged.")
_LC_STREAM_USAGE = ("A streamed AIMessage's `usage_metadata` comes from `message_delta` alone (its `message_start` "
                    "branch says \"don't include usage_metadata yet\"), so when `message_delta` carries only "
                    "`output_tokens` the input tokens are reported as 0.")

_LC_METADATA = ("The request's `metadata` never reaches the API: ChatAnthropic has a `metadata` field of its own "
                "(LangChain's run metadata), so `model_kwargs={\"metadata\": …}` is moved into it by langchain_core's "
                "`_build_model_kwargs` (with a warning) and not sent.")

_PA_SERVICE_TIER = ("pydantic-ai keeps usage as integer counts (`extract_usage_details` in "
                    "`pydantic_ai/models/anthropic/_response.py` keeps `int` fields only), so the string "
                    "`service_tier` is lost; every token count matches (the usage MUST cases pass).")

NOTES: dict[tuple[str, str], str] = {
    ("*", "thinking.split-signature"): _SPLIT_SIGNATURE,
    # --- the official Python SDK -------------------------------------------------------------------
    ("anthropic-python", "usage.absent-delta-usage"): _PY_NO_DELTA_USAGE,
    # --- the official TypeScript SDK ---------------------------------------------------------------
    ("anthropic-typescript", "stream.end-after-delta"): (
        "Policy, strict: `MessageStream` adds the final message only on `message_stop` "
        "(`lib/MessageStream.js`), so `finalMessage()` throws \"stream ended without producing a Message with "
        "role=assistant\" for a stream with a valid `stop_reason` but no `message_stop`."),
    ("anthropic-typescript", "usage.absent-delta-usage"): (
        "`#accumulateMessage` sets `snapshot.usage.output_tokens = event.usage.output_tokens` "
        "(`lib/MessageStream.js`): a `message_delta` without `usage` is a TypeError. The API always sends it."),
    # --- the tutorial approach ---------------------------------------------------------------------
    ("tutorial", "sse.data-without-space"): (
        "`line.startswith(b\"data: \")`: a `data:` line without the optional space is skipped, so its event is "
        "lost (the SSE specification makes the space optional)."),
    ("tutorial", "errors.mid-stream-error"): _T_NO_ERROR_EVENTS,
    ("tutorial", "errors.mid-stream-error-type"): _T_NO_ERROR_EVENTS,
    ("tutorial", "errors.error-before-content"): _T_NO_ERROR_EVENTS,
    ("tutorial", "stream.end-without-delta"): (
        "Nothing checks that the stream finished: a stream cut short after some text is a success with "
        "`stop_reason` null and the text so far."),
    ("tutorial", "stream.message-id"): "`parse_stream` never reads `message_start`: no id, no model.",
    ("tutorial", "stream.stop-sequence"): "`parse_stream` keeps `stop_reason`, not `stop_sequence`.",
    ("tutorial", "stream.end-after-delta"): _T_TEXT_ONLY,
    ("tutorial", "usage.absent-delta-usage"): (
        "`parse_stream` reads `event[\"usage\"][\"output_tokens\"]`: a `message_delta` without `usage` is a KeyError."),
    ("tutorial", "usage.cumulative"): _T_USAGE,
    ("tutorial", "usage.output-only-delta"): _T_USAGE,
    ("tutorial", "usage.null-fields"): _T_USAGE,
    ("tutorial", "usage.details"): _T_USAGE,
    ("tutorial", "stream.interleaved-blocks"): ("Robustness tier. `parse_stream` appends every `text_delta` to one "
                                                "string, so interleaved blocks come out in arrival order."),
    ("tutorial", "sse.multi-line-data"): (
        "Each `data: ` line is parsed as JSON on its own; the SSE specification joins an event's `data:` lines "
        "with a newline first, so an event whose JSON spans two lines is a JSONDecodeError."),
    ("tutorial", "retry.connection-reset"): (
        "The tutorial retries by status code only: a connection reset before the answer raises "
        "`requests.ConnectionError` and is not retried."),
    ("tutorial", "retry.retryable-status"): _T_RETRY + " A 504 is not retried.",
    ("tutorial", "retry.retry-after-ms"): _T_TEXT_ONLY + " (Its fixed waits, 1 s then 2 s, happen to be longer than "
                                          "the `retry-after-ms` sent; the joined text blocks are what fails.)",
    ("tutorial", "retry.retry-after"): _T_TEXT_ONLY + " (Its first wait, 1 s, happens to equal the `retry-after: 1` "
                                       "sent; the joined text blocks are what fails.)",
    ("tutorial", "retry.should-retry-false"): _T_RETRY + " So a 429 with `x-should-retry: false` is retried.",
    ("tutorial", "retry.should-retry-true"): _T_RETRY + " So a 400 with `x-should-retry: true` is not.",
    ("tutorial", "retry.no-duplicate-after-cut"): (
        "A first attempt that ends early is reported as a success (nothing checks `message_stop`), so the "
        "partial answer stands."),
    ("tutorial", "request.loop-body"): _T_NO_TOOLS_IN_STREAM,
    # --- LangChain -----------------------------------------------------------------------------------
    ("langchain", "stream.message-id"): (
        "A streamed AIMessage keeps only `model_name` from `message_start` (`_make_message_chunk_from_anthropic_event`"
        " in `langchain_anthropic/chat_models.py`); the message id is dropped. `invoke` keeps it."),
    ("langchain", "usage.cumulative"): _LC_STREAM_USAGE,
    ("langchain", "usage.output-only-delta"): _LC_STREAM_USAGE,
    ("langchain", "usage.null-fields"): _LC_STREAM_USAGE,
    ("langchain", "usage.absent-delta-usage"): _LC_STREAM_USAGE,
    ("langchain", "usage.details"): ("A streamed AIMessage's `usage_metadata` (LangChain's own usage shape) has no "
                                     "`service_tier`: it is lost. `invoke` keeps the raw usage."),
    ("langchain", "stream.interleaved-blocks"): ("Robustness tier. " + _LC_COERCED + " With two blocks' deltas "
                                                 "interleaved, the one string holds them in arrival order."),
    ("langchain", "request.body-as-given"): _LC_METADATA,
    ("langchain", "request.loop-body"): _LC_METADATA,
    ("langchain", "thinking.loop-redacted"): _LC_BLANK_TEXT,
    ("langchain", "thinking.loop-signature"): _LC_BLANK_TEXT,
    ("langchain", "tools.echo-assistant"): _LC_BLANK_TEXT,
    ("langchain", "stream.text"): _LC_COERCED,
    # --- pydantic-ai ---------------------------------------------------------------------------------
    ("pydantic-ai", "stream.stop-sequence"): "`ModelResponse` has no place for `stop_sequence`: it is lost.",
    ("pydantic-ai", "usage.details"): _PA_SERVICE_TIER,
    ("pydantic-ai", "usage.absent-delta-usage"): (
        "`extract_usage_details` (`pydantic_ai/models/anthropic/_response.py`) reads "
        "`response_usage.output_tokens_details` of every `message_delta`: without `usage` it raises "
        "AttributeError. The API always sends it."),
    ("pydantic-ai", "request.loop-body"): (
        "The Agent adds its own paragraph to the system prompt of every request (`SYSTEM_VOICE_ANNOUNCEMENT`, "
        "`pydantic_ai/_framing.py`: \"Mid-conversation system messages arrive inside user turns…\"), so the "
        "system prompt sent is not the one given. `pydantic_ai.direct` (request.body-as-given) sends it as given."),
}

# What each adapter is, in a sentence or two, above its findings.
SUMMARIES: dict[str, str] = {
    "anthropic-python": (
        "The official Python SDK used as its README shows (`messages.create`, `messages.stream(...).get_final_message()`). "
        "It passes every MUST case. One behaviour to know: a stream that ends early without an `error` event "
        "(no `message_delta`) is not an exception — `get_final_message()` returns what arrived with "
        "`stop_reason: null` (`lib/streaming/_messages.py` checks nothing at the end); the suite counts that as "
        "reporting it incomplete (docs/conformance.md). The TypeScript SDK throws instead."),
    "anthropic-typescript": "The official TypeScript SDK (`messages.create`, `messages.stream(...).finalMessage()`).",
    "httpx-raw": "The engine's reference client, written from the API docs with httpx alone.",
    "tutorial": ("The client the seed tutorial teaches (`requests`, `parse_stream`, fixed back-off): a reference "
                 "for what a naive client misses. Nearly all of its failures come from four causes: the text-only "
                 "stream parser, the event name never read (so `error` events pass), no tool calls in a streamed "
                 "loop, and a fixed back-off that ignores the retry headers."),
    "langchain": ("ChatAnthropic through LangChain's public API (`invoke`, `stream`, `bind_tools`, AIMessage + "
                  "ToolMessage loop). Its MUST failures have two causes: streamed usage taken from `message_delta` "
                  "alone, and the request's `metadata` swallowed by LangChain's own `metadata` field. (It also drops "
                  "blank text blocks when an answer goes back — `if text.strip():` in `_format_messages` — which the "
                  "suite no longer provokes: the API refuses such blocks in a request anyway.)"),
    "pydantic-ai": "`pydantic_ai.direct` for one request, an `Agent` with echo tools and its own loop for tool loops.",
}

# Cells whose cause is the summary's (the tutorial's text-only parser, LangChain's coerced stream).
for _key in ("sse.chunk-boundaries", "sse.utf8-split", "sse.crlf", "sse.cr", "sse.mixed-line-ends",
             "sse.event-separator-split", "sse.ping", "sse.comments", "sse.unknown-events", "sse.empty-data-ping",
             "sse.everything", "stream.text", "stream.stop-reasons", "stream.citations", "stream.server-tools",
             "stream.stall", "stream.interleaved-blocks", "tools.input-json", "thinking.stream"):
    NOTES.setdefault(("tutorial", _key), _T_TEXT_ONLY)
for _key in ("tools.empty-input", "tools.echo-assistant", "tools.result-ids", "tools.parallel", "tools.one-user-turn",
             "tools.final-message", "tools.max-rounds", "tools.server-tools-in-loop", "thinking.loop-signature",
             "thinking.loop-redacted"):
    NOTES.setdefault(("tutorial", _key), _T_NO_TOOLS_IN_STREAM)
for _key in ("sse.utf8-split", "sse.crlf", "sse.cr", "sse.mixed-line-ends", "sse.ping", "sse.comments",
             "sse.data-without-space", "sse.empty-data-ping", "sse.event-separator-split", "sse.everything",
             "stream.text", "stream.stop-reasons", "stream.stall", "stream.end-after-delta",
             "stream.interleaved-blocks", "retry.retryable-status", "retry.retry-after-ms", "retry.retry-after"):
    NOTES.setdefault(("langchain", _key), _LC_COERCED + " (The cut, the line ends or the retry were handled; "
                     "the collapsed blocks are what differs.)")
