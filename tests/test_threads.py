"""Message threads against a real server: the official SDK's thread helper and tool runner, the
wire rules (create / continue, expiry on the store's clock, the errors and their error codes)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.errors import ApiError
from mockclaude.threads import THREADS_BETA, ThreadStore

from .conftest import MODEL

HEADERS = {
    "x-api-key": "sk-test",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": THREADS_BETA,
    "content-type": "application/json",
}
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def post(mock: MockClaude, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(mock.url + "/v1/messages", json=body, headers=headers or HEADERS, timeout=10)


def create(mock: MockClaude, text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    body = {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": text}]}
    body.update(thread={"type": "create"}, **extra)
    r = post(mock, body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def cont(mock: MockClaude, previous: str, messages: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    body = {"model": MODEL, "max_tokens": 256, "messages": messages}
    body.update(thread={"type": "continue", "previous_message_id": previous}, **extra)
    return post(mock, body)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def error_of(r: httpx.Response) -> dict[str, Any]:
    return r.json()["error"]  # type: ignore[no-any-return]


# --- the SDK's own helpers -------------------------------------------------------------------------


def test_sdk_thread_helper_sends_only_the_new_turn(mock: MockClaude, client: anthropic.Anthropic) -> None:
    thread = client.beta.messages.thread(model=MODEL, max_tokens=256, system="You are terse.")
    first = thread.send({"role": "user", "content": "What is a monad?"})
    second = thread.send({"role": "user", "content": "And a functor?"})
    assert "What is a monad?" in first.content[0].text  # type: ignore[union-attr]
    assert "And a functor?" in second.content[0].text  # type: ignore[union-attr]
    one, two = (e.body for e in mock.requests)
    assert one["thread"] == {"type": "create"} and one["system"] == "You are terse."
    assert two["thread"] == {"type": "continue", "previous_message_id": first.id}
    assert "system" not in two and two["messages"] == [{"role": "user", "content": "And a functor?"}]
    assert THREADS_BETA in mock.requests[1].headers["anthropic-beta"]


def test_sdk_tool_runner_on_a_thread_with_thinking(mock: MockClaude, client: anthropic.Anthropic) -> None:
    """The thread holds the thinking and tool_use blocks: a continue sends only the tool_result, and
    the rebuilt conversation passes the thinking pass-back and tool pairing rules."""

    @anthropic.beta_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{city}: 19C, cloudy"

    runner = client.beta.messages.tool_runner(  # on a message thread by default (SDK 2.14)
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[get_weather],
        messages=[user("Weather in Paris? Use the tool.")],
    )
    replies = list(runner)
    assert replies[0].stop_reason == "tool_use" and replies[-1].stop_reason == "end_turn"
    assert "19C, cloudy" in replies[-1].content[-1].text  # type: ignore[union-attr]
    bodies = [e.body for e in mock.requests]
    assert [b["thread"]["type"] for b in bodies] == ["create", "continue"]
    assert [m["content"][0]["type"] for m in bodies[1]["messages"]] == ["tool_result"]
    assert all(e.status == 200 for e in mock.requests)


def test_sdk_replays_the_conversation_when_the_thread_expired(mock: MockClaude, client: anthropic.Anthropic) -> None:
    thread = client.beta.messages.thread(model=MODEL, max_tokens=256)
    thread.send(user("First question"))
    mock.app.threads.advance(301)  # the thread expires 5 minutes after its last request
    reply = thread.send(user("Second question"))
    assert "Second question" in reply.content[0].text  # type: ignore[union-attr]
    statuses = [(e.body["thread"]["type"], e.status) for e in mock.requests]
    assert statuses == [("create", 200), ("continue", 404), ("create", 200)]
    assert mock.requests[1].error["details"] == {"error_code": "thread_not_found"}  # type: ignore[index]
    assert len(mock.requests[2].body["messages"]) == 3  # the whole conversation, sent again


def test_sdk_stream_on_a_thread(mock: MockClaude, client: anthropic.Anthropic) -> None:
    thread = client.beta.messages.thread(model=MODEL, max_tokens=256)
    with thread.stream(user("Stream one")) as s:
        first = s.get_final_message()
    second = thread.send(user("Then plain"))
    assert mock.requests[1].body["thread"] == {"type": "continue", "previous_message_id": first.id}
    assert second.stop_reason == "end_turn"


# --- the wire rules ----------------------------------------------------------------------------------


def test_continue_answers_from_the_whole_conversation(mock: MockClaude) -> None:
    first = create(mock, "Remember the word kumquat.", system="Be brief.")
    r = cont(mock, first["id"], [user("Which word?")])
    assert r.status_code == 200, r.text
    assert "Which word?" in r.json()["content"][0]["text"]
    # The same conversation sent whole (no thread) is answered the same way, but as a new message.
    whole = {
        "model": MODEL,
        "max_tokens": 256,
        "system": "Be brief.",
        "messages": [
            user("Remember the word kumquat."),
            {"role": "assistant", "content": first["content"]},
            user("Which word?"),
        ],
    }
    plain = post(mock, whole).json()
    assert plain["content"][0]["text"].startswith("Mock answer to: Which word?") and plain["id"] != r.json()["id"]


def test_thread_needs_the_beta_header(mock: MockClaude) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != "anthropic-beta"}
    body = {"model": MODEL, "max_tokens": 64, "messages": [user("Hi")], "thread": {"type": "create"}}
    r = post(mock, body, headers)
    assert r.status_code == 400
    assert error_of(r)["message"] == (
        f"thread: message threads are in beta: add the header `anthropic-beta: {THREADS_BETA}`"
    )
    body["thread"] = None  # null is no thread at all
    assert post(mock, body, headers).status_code == 200


@pytest.mark.parametrize(
    ("thread", "message"),
    [
        ("create", "thread: Input should be a valid dictionary or object to extract fields from"),
        ({}, "thread: Unable to extract tag using discriminator 'type'"),
        (
            {"type": "fork"},
            "thread: Input tag 'fork' found using 'type' does not match any of the expected tags: 'create', 'continue'",
        ),
        ({"type": "create", "id": "x"}, "thread.create.id: Extra inputs are not permitted"),
        ({"type": "continue"}, "thread.continue.previous_message_id: Field required"),
        (
            {"type": "continue", "previous_message_id": 7},
            "thread.continue.previous_message_id: Input should be a valid string",
        ),
    ],
)
def test_malformed_thread_params(mock: MockClaude, thread: Any, message: str) -> None:
    r = post(mock, {"model": MODEL, "max_tokens": 64, "messages": [user("Hi")], "thread": thread})
    assert r.status_code == 400 and error_of(r)["message"] == message


def test_unknown_expired_and_already_continued(mock: MockClaude) -> None:
    r = cont(mock, "msg_01NeverAnswered", [user("x")])
    assert r.status_code == 404 and error_of(r)["type"] == "not_found_error"
    assert error_of(r)["details"] == {"error_code": "thread_not_found"}

    first = create(mock)
    second = cont(mock, first["id"], [user("Go on")]).json()
    again = cont(mock, first["id"], [user("A branch")])
    assert again.status_code == 400 and error_of(again)["details"] == {"error_code": "thread_already_continued"}
    assert second["id"] in error_of(again)["message"]

    mock.app.threads.advance(299)  # each stored answer restarts the 5 minutes
    third = cont(mock, second["id"], [user("Still there?")])
    assert third.status_code == 200
    httpx.post(mock.url + "/_mockclaude/threads", json={"advance": 300.5})
    late = cont(mock, third.json()["id"], [user("And now?")])
    assert late.status_code == 404 and error_of(late)["details"] == {"error_code": "thread_not_found"}


def test_system_and_tools_stay_with_the_thread(mock: MockClaude) -> None:
    first = create(mock, "Hello", system="Be brief.", tools=[WEATHER], tool_choice={"type": "none"})
    differing = cont(mock, first["id"], [user("x")], system="Be verbose.")
    assert differing.status_code == 400
    err = error_of(differing)
    assert err["details"] == {"error_code": "thread_fingerprint_mismatch"} and err["message"].startswith("system:")
    assert error_of(cont(mock, first["id"], [user("x")], tools=[]))["message"].startswith("tools:")
    # Repeating the very same values is accepted (the thread keeps them either way).
    same = cont(mock, first["id"], [user("Again")], system="Be brief.", tools=[WEATHER], tool_choice={"type": "none"})
    assert same.status_code == 200, same.text
    # The thread's tools are there on a continue: tool_choice may name one.
    forced = cont(mock, same.json()["id"], [user("Now")], tool_choice={"type": "tool", "name": "get_weather"})
    assert forced.status_code == 200, forced.text
    assert any(b["type"] == "tool_use" for b in forced.json()["content"])


def test_the_continued_conversation_is_validated_whole(mock: MockClaude) -> None:
    first = create(mock, "Weather in Oslo? Use the tool.", tools=[WEATHER], tool_choice={"type": "any"})
    use = next(b for b in first["content"] if b["type"] == "tool_use")
    # The held answer ends with a tool_use: a continue must answer it first.
    unanswered = cont(mock, first["id"], [user("Never mind")])
    assert unanswered.status_code == 400
    assert "`tool_use` ids were found without `tool_result` blocks immediately after" in error_of(unanswered)["message"]
    assert error_of(unanswered)["message"].startswith("thread history messages.1:")
    wrong = cont(
        mock,
        first["id"],
        [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "?"}]}],
    )
    assert error_of(wrong)["message"].startswith("messages.0.content.0: unexpected `tool_use_id`")  # as sent
    ok = cont(
        mock,
        first["id"],
        [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": "-3C"}]}],
    )
    assert ok.status_code == 200 and "-3C" in ok.json()["content"][-1]["text"]


def test_an_empty_continue_and_an_unsupported_model(mock: MockClaude) -> None:
    first = create(mock)
    r = cont(mock, first["id"], [])
    assert r.status_code == 400 and "pause_turn" in error_of(r)["message"]
    old = post(
        mock,
        {"model": "claude-sonnet-4-20250514", "max_tokens": 64, "messages": [user("Hi")], "thread": {"type": "create"}},
    )
    assert old.status_code == 400
    assert error_of(old)["details"] == {"error_code": "thread_unsupported_request", "unsupported": ["model"]}


def test_count_tokens_takes_no_thread(mock: MockClaude) -> None:
    r = httpx.post(
        mock.url + "/v1/messages/count_tokens",
        json={"model": MODEL, "messages": [user("Hi")], "thread": {"type": "create"}},
        headers=HEADERS,
    )
    assert r.status_code == 400 and error_of(r)["message"] == "thread: Extra inputs are not permitted"


def test_a_refused_continue_leaves_the_thread_usable(mock: MockClaude) -> None:
    first = create(mock)
    bad = cont(mock, first["id"], [user("x")], max_tokens=10**9)
    assert bad.status_code == 400
    assert cont(mock, first["id"], [user("Retry")]).status_code == 200  # not left "in flight"


def test_reset_forgets_threads(mock: MockClaude) -> None:
    first = create(mock)
    mock.reset()
    assert cont(mock, first["id"], [user("x")]).status_code == 404
    assert httpx.get(mock.url + "/_mockclaude/threads").json()["threads"] == 0


def test_store_clock_and_bound() -> None:
    now = [100.0]
    store = ThreadStore(clock=lambda: now[0], max_threads=2)
    for i in range(3):
        _, turn = store.begin({"thread": {"type": "create"}, "messages": [user(str(i))]}, [THREADS_BETA])
        assert turn is not None
        store.settle(turn, {"type": "message", "id": f"msg_{i}", "content": [], "stop_reason": "end_turn"})
    assert len(store) == 2  # the least recently answered went first
    now[0] += 300.5
    assert len(store) == 0
    with pytest.raises(ValueError):
        store.advance(-1)


def test_a_fault_on_a_continue_frees_the_thread(mock: MockClaude) -> None:
    first = create(mock)
    r = cont(mock, first["id"], [user("x")], **{})
    body = {"model": MODEL, "max_tokens": 64, "messages": [user("Go on")]}
    body["thread"] = {"type": "continue", "previous_message_id": r.json()["id"]}
    limited = post(mock, body, {**HEADERS, "x-mockclaude-fault": "429"})
    assert limited.status_code == 429
    assert post(mock, body).status_code == 200  # the retry continues the same thread


def test_a_second_continue_while_one_is_in_flight() -> None:
    store = ThreadStore()
    _, turn = store.begin({"thread": {"type": "create"}, "messages": [user("Hi")]}, [THREADS_BETA])
    assert turn is not None
    store.settle(turn, {"type": "message", "id": "msg_a", "content": [{"type": "text", "text": "Hello"}]})
    body = {"thread": {"type": "continue", "previous_message_id": "msg_a"}, "messages": [user("Next")]}
    full, pending = store.begin(body, [THREADS_BETA])
    assert [m["role"] for m in full["messages"]] == ["user", "assistant", "user"]
    with pytest.raises(ApiError) as info:
        store.begin(body, [THREADS_BETA])
    assert info.value.details == {"error_code": "thread_continue_in_flight"}
    store.abandon(pending)  # the first one failed: the thread is free again
    assert store.begin(body, [THREADS_BETA])[1] is not None


def test_sdk_goes_on_unthreaded_for_a_model_threads_do_not_support(
    mock: MockClaude, client: anthropic.Anthropic
) -> None:
    """The error shape is what the SDK reads: with continue_unthreaded it sends the turn again without
    a thread (and every later one with the whole history)."""
    thread = client.beta.messages.thread(
        model="claude-sonnet-4-20250514", max_tokens=256, unsupported_request_behavior="continue_unthreaded"
    )
    thread.send(user("One"))
    reply = thread.send(user("Two"))
    assert "Two" in reply.content[0].text  # type: ignore[union-attr]
    assert _kinds(mock) == [("create", 400), (None, 200), (None, 200)]
    assert len(mock.requests[-1].body["messages"]) == 3


def _kinds(mock: MockClaude) -> list[tuple[str | None, int | None]]:
    return [((e.body.get("thread") or {}).get("type"), e.status) for e in mock.requests]
