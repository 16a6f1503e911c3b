"""Scripted answers, as users write them: pytest suites run by ``pytester`` (one per item of the
feature), and the same answers from the admin API and a file for ``mockclaude serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anthropic  # noqa: F401 - imported once for every in-process pytester run (see test_pytest_plugin)
import httpx
import pytest

import mockclaude.app
import mockclaude.cassette  # noqa: F401
from mockclaude import ConfigError, MockClaude
from mockclaude.sse import decode_all

pytest_plugins = ["pytester"]

MODEL = "claude-sonnet-4-6"
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
"""

# What every user test file below starts with: a client, a tool, a helper for one call.
HEADER = f'''
import anthropic, pytest

MODEL = "{MODEL}"
WEATHER = {{"name": "get_weather", "description": "The weather in a city",
           "input_schema": {{"type": "object", "properties": {{"city": {{"type": "string"}}}}, "required": ["city"]}}}}


def ask(messages, **kw):
    if isinstance(messages, str):
        messages = [{{"role": "user", "content": messages}}]
    kw.setdefault("max_tokens", 512)
    with anthropic.Anthropic(max_retries=kw.pop("retries", 0)) as client:
        return client.messages.create(model=kw.pop("model", MODEL), messages=messages, **kw)
'''


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "MOCKCLAUDE_")) or name == "CI":
            monkeypatch.delenv(name)
    pytester.makeini(INI)
    return pytester


def run(user: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    user.makepyfile(test_user=HEADER + textwrap.dedent(body))
    return user.runpytest_inprocess(*args)


# --- from Python and the fixture --------------------------------------------------------------------


def test_text_answer_from_the_fixture(user: pytest.Pytester) -> None:
    run(user, '''
        def test_it(mockclaude):
            answer = mockclaude.respond(text="Paris is the capital of France.")
            reply = ask("Capital of France?")
            assert reply.content[0].text == "Paris is the capital of France."
            assert reply.stop_reason == "end_turn" and reply.id.startswith("msg_01")
            assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
            assert answer.used == 1 and mockclaude.last_request.source == "scripted"
            # used up (times=1 by default): the next request gets the synthetic answer again
            assert ask("Capital of Spain?").content[0].text.startswith("Mock answer to: Capital of Spain?")
    ''').assert_outcomes(passed=1)


def test_a_tool_loop_in_order(user: pytest.Pytester) -> None:
    run(user, '''
        def test_loop(mockclaude):
            mockclaude.respond(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
            mockclaude.respond(text="It is sunny in Paris.")
            messages = [{"role": "user", "content": "Weather in Paris?"}]
            first = ask(messages, tools=[WEATHER])
            call = first.content[0]
            assert first.stop_reason == "tool_use"
            assert (call.type, call.name, call.input) == ("tool_use", "get_weather", {"city": "Paris"})
            assert call.id.startswith("toolu_01")
            messages += [{"role": "assistant", "content": first.content},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]}]
            assert ask(messages, tools=[WEATHER]).content[0].text == "It is sunny in Paris."
            mockclaude.assert_all_used()
    ''').assert_outcomes(passed=1)


def test_text_and_parallel_tool_calls(user: pytest.Pytester) -> None:
    run(user, '''
        def test_it(mockclaude):
            mockclaude.respond(text="Checking both.", tool_use=[{"name": "get_weather", "input": {"city": "Paris"}},
                                                                 {"name": "get_weather", "input": {"city": "Rome"}}])
            reply = ask("Paris and Rome?", tools=[WEATHER])
            assert [b.type for b in reply.content] == ["text", "tool_use", "tool_use"]
            assert len({b.id for b in reply.content[1:]}) == 2
    ''').assert_outcomes(passed=1)


def test_thinking_signature_is_accepted_back(user: pytest.Pytester) -> None:
    run(user, '''
        THINK = {"type": "enabled", "budget_tokens": 1024}

        def test_it(mockclaude):
            mockclaude.respond(thinking="The user wants the weather.", tool_use={"name": "get_weather", "input": {"city": "Oslo"}})
            mockclaude.respond(text="Cold.")
            messages = [{"role": "user", "content": "Weather in Oslo?"}]
            first = ask(messages, tools=[WEATHER], thinking=THINK, max_tokens=2048)
            assert [b.type for b in first.content] == ["thinking", "tool_use"]
            assert first.content[0].thinking == "The user wants the weather." and first.content[0].signature
            call = first.content[1]
            # the thinking block goes back with the tool result: the double accepts its own signature
            messages += [{"role": "assistant", "content": first.content},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "-5C"}]}]
            second = ask(messages, tools=[WEATHER], thinking=THINK, max_tokens=2048)
            # thinking is on: the answer starts with a (signed) thinking block, as the real API's do
            assert [b.type for b in second.content] == ["thinking", "text"] and second.content[1].text == "Cold."
            # and a tampered thinking block is refused as the real API would
            messages[1]["content"][0].thinking = "edited"
            with mockclaude.expect_errors(), pytest.raises(anthropic.BadRequestError, match="thinking"):
                ask(messages, tools=[WEATHER], thinking=THINK, max_tokens=2048)
    ''').assert_outcomes(passed=1)


def test_error_answer_and_sdk_retries(user: pytest.Pytester) -> None:
    run(user, '''
        def test_429_then_text(mockclaude):
            mockclaude.respond(error={"status": 429, "retry_after_ms": 10})
            mockclaude.respond(text="after the retry")
            assert ask("Hi", retries=2).content[0].text == "after the retry"
            assert [e.status for e in mockclaude.requests] == [429, 200]
            assert mockclaude.requests[0].response_headers["retry-after-ms"] == "10"

        def test_overloaded_is_raised(mockclaude):
            mockclaude.respond(error=529)
            with pytest.raises(anthropic.InternalServerError, match="Overloaded"):
                ask("Hi")

        def test_a_400_with_its_message(mockclaude):
            mockclaude.respond(error={"status": 400, "message": "prompt is too long: 250000 tokens > 200000 maximum"})
            with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
                ask("Hi")
    ''').assert_outcomes(passed=3)


def test_whole_message_answer(user: pytest.Pytester) -> None:
    run(user, '''
        def test_it(mockclaude):
            mockclaude.respond(message={"content": [{"type": "text", "text": "I can't help with that."}],
                                        "stop_reason": "refusal", "usage": {"output_tokens": 7}})
            reply = ask("Something")
            assert reply.stop_reason == "refusal" and reply.usage.output_tokens == 7
            assert reply.content[0].text == "I can't help with that." and reply.model == MODEL
    ''').assert_outcomes(passed=1)


def test_matched_by_predicate(user: pytest.Pytester) -> None:
    run(user, '''
        def test_by_dict(mockclaude):
            mockclaude.respond(text="haiku answer", when={"model": "claude-haiku-*"}, times=None)
            mockclaude.respond(text="about tides", when={"user_text": "tides"}, times=None)
            mockclaude.respond(text="with a system", when={"body": {"system": "Be brief."}}, times=None)
            mockclaude.respond(text="after the tool", when={"tool_result": True}, times=None)
            assert ask("A haiku about tides", model="claude-haiku-4-5").content[0].text == "haiku answer"
            assert ask("A poem about tides").content[0].text == "about tides"
            assert ask("Hello", system="Be brief.").content[0].text == "with a system"
            assert ask("Hello").content[0].text.startswith("Mock answer to: Hello")  # none applies: synthetic

        def test_by_callable(mockclaude):
            mockclaude.respond(text="long one", when=lambda req: len(req.last_user_text) > 20)
            mockclaude.respond(text="short one")
            assert ask("short").content[0].text == "short one"
            assert ask("a much longer question than that").content[0].text == "long one"
    ''').assert_outcomes(passed=2)


def test_times_and_until_cleared(user: pytest.Pytester) -> None:
    run(user, '''
        def test_it(mockclaude):
            mockclaude.respond(text="twice", times=2)
            mockclaude.respond(text="always", times=None)
            assert [ask(str(i)).content[0].text for i in range(4)] == ["twice", "twice", "always", "always"]
            assert [r.used for r in mockclaude.responses] == [2, 2]
            mockclaude.clear_responses()
            assert ask("x").content[0].text.startswith("Mock answer to: x")

        def test_each_test_starts_without_them(mockclaude):
            assert mockclaude.responses == []
    ''', "-p", "no:randomly").assert_outcomes(passed=2)


def test_streamed_or_json_and_subject_to_faults(user: pytest.Pytester) -> None:
    run(user, '''
        @pytest.mark.mockclaude(faults=["529:times=1"])
        def test_it(mockclaude):
            mockclaude.respond(text="streamed, after an overload", tool_use={"name": "get_weather", "input": {"city": "Rome"}})
            with anthropic.Anthropic(max_retries=2) as client, client.messages.stream(
                    model=MODEL, max_tokens=256, tools=[WEATHER],
                    messages=[{"role": "user", "content": "Rome?"}]) as stream:
                final = stream.get_final_message()
            assert final.content[0].text == "streamed, after an overload"
            assert final.content[1].input == {"city": "Rome"}
            assert [e.status for e in mockclaude.requests] == [529, 200]
            assert mockclaude.requests[-1].sent.startswith("sse:")
    ''').assert_outcomes(passed=1)


def test_from_the_marker(user: pytest.Pytester) -> None:
    result = run(user, '''
        @pytest.mark.mockclaude(responses=[
            {"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}},
            {"when": {"tool_result": "get_weather"}, "text": "Sunny."},
        ])
        def test_marked(mockclaude):
            first = ask("Paris?", tools=[WEATHER])
            result = {"type": "tool_result", "tool_use_id": first.content[0].id, "content": "sunny"}
            messages = [{"role": "user", "content": "Paris?"}, {"role": "assistant", "content": first.content},
                        {"role": "user", "content": [result]}]
            assert ask(messages, tools=[WEATHER]).content[0].text == "Sunny."
            mockclaude.assert_all_used()

        @pytest.mark.mockclaude(responses=[{"txt": "typo"}])
        def test_misspelled(mockclaude):
            pass
    ''')
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*responses[[]0[]]: unknown key(s) txt; valid: text, json, tool_use*"])


def test_structured_output_answer(user: pytest.Pytester) -> None:
    result = run(user, '''
        FORMAT = {"type": "json_schema", "schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                                     "required": ["city"], "additionalProperties": False}}

        def test_json_fits(mockclaude):
            mockclaude.respond(json={"city": "Paris"})
            reply = ask("Which city?", output_config={"format": FORMAT})
            assert reply.content[0].text == '{"city":"Paris"}'

        def test_json_does_not_fit(mockclaude):
            mockclaude.respond(json={"town": "Paris"})
            with pytest.raises(anthropic.BadRequestError):
                ask("Which city?", output_config={"format": FORMAT})

        def test_forced_tool_opens_the_answer(mockclaude):
            mockclaude.respond(text="Let me check.", tool_use={"name": "get_weather", "input": {"city": "Rome"}})
            with pytest.raises(anthropic.BadRequestError):
                ask("Rome?", tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    ''')
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines_random([
        "*does not validate against the request's output_config.format schema at (the root): 'city' is a required property*",
        "*the API prefills the tool call: the answer opens with the tool_use block*",
    ])


# --- validated against the request ------------------------------------------------------------------


def test_answers_that_do_not_fit_fail_the_test_clearly(user: pytest.Pytester) -> None:
    result = run(user, '''
        def test_unknown_tool(mockclaude):
            mockclaude.respond(tool_use={"name": "get_wether", "input": {"city": "Paris"}})
            with pytest.raises(anthropic.BadRequestError):
                ask("Paris?", tools=[WEATHER])

        def test_input_against_schema(mockclaude):
            mockclaude.respond(tool_use={"name": "get_weather", "input": {"town": "Paris"}})
            with pytest.raises(anthropic.BadRequestError):
                ask("Paris?", tools=[WEATHER])

        def test_thinking_not_enabled(mockclaude):
            mockclaude.respond(thinking="hmm", text="x")
            with pytest.raises(anthropic.BadRequestError):
                ask("Paris?")

        def test_forced_tool_choice(mockclaude):
            mockclaude.respond(text="no tool")
            with pytest.raises(anthropic.BadRequestError):
                ask("Paris?", tools=[WEATHER], tool_choice={"type": "any"})
    ''')
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines_random([
        "*scripted answer #0 (tool_use get_wether) does not fit this request: tool_use names 'get_wether', "
        "which the request does not offer (tools offered: get_weather)*",
        "*tool_use get_weather: input does not validate against the tool's input_schema: 'city' is a required property*",
        "*the answer has a thinking block but the request does not enable thinking*",
        '*tool_choice {"type": "any"}: the answer must call a tool*',
    ])


def test_malformed_answers_are_refused_where_they_are_written() -> None:
    with pytest.raises(ConfigError, match=r"response: unknown key\(s\) txt; valid: text"):
        MockClaude().respond(txt="x")
    with pytest.raises(ConfigError, match="message and error stand alone"):
        MockClaude().respond(text="x", error=429)
    with pytest.raises(ConfigError, match=r"times: expected a whole number >= 1"):
        MockClaude().respond(text="x", times=0)
    with pytest.raises(ConfigError, match=r"when: unknown condition\(s\) user; valid: model, user_text"):
        MockClaude().respond(text="x", when={"user": "x"})
    with pytest.raises(ConfigError, match="status 418 is not one the API answers with"):
        MockClaude().respond(error=418)


# --- assertions about them ---------------------------------------------------------------------------


def test_assert_all_used_lists_what_was_not(user: pytest.Pytester) -> None:
    cassette = Path(__file__).parents[1] / "cassettes" / "plain_answer.yaml"
    (user.path / "plain.yaml").write_text(cassette.read_text())
    result = run(user, '''
        def test_scripted_left_over(mockclaude):
            mockclaude.respond(text="used")
            mockclaude.respond(tool_use={"name": "get_weather", "input": {"city": "Paris"}}, when={"user_text": "Paris"})
            mockclaude.respond(text="twice", times=2)
            ask("Hello")
            ask("Hi")
            print([r.used for r in mockclaude.responses])
            mockclaude.assert_all_used()

        @pytest.mark.mockclaude(cassette="plain.yaml")
        def test_cassette_not_played(mockclaude):
            mockclaude.assert_all_used()
    ''')
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*mockclaude: 2 answer(s) were not used:*",
        "*- scripted answer #1: tool_use get_weather when user_text='Paris': used 0 of 1*",
        "*- scripted answer #2: text 'twice': used 1 of 2*",
        "*- cassette *plain.yaml: interaction #0 POST /v1/messages (model *) was not played*",
    ])


# --- from outside Python: the admin API and a file for `mockclaude serve` ---------------------------


def _post(url: str, body: dict[str, object], **headers: str) -> httpx.Response:
    h = {"x-api-key": "k", "anthropic-version": "2023-06-01", **headers}
    return httpx.post(url + "/v1/messages", json=body, headers=h)


def test_admin_api() -> None:
    body = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}
    with MockClaude() as mock:
        r = httpx.post(mock.url + "/_mockclaude/responses", json={"responses": [{"text": "one"}, {"text": "two", "times": None}]})
        assert r.status_code == 200 and r.json()["added"] == 2
        assert _post(mock.url, body).json()["content"] == [{"type": "text", "text": "one"}]
        streamed = _post(mock.url, {**body, "stream": True})
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = decode_all(streamed.content)
        assert events[0].name == "message_start" and events[-1].name == "message_stop"
        assert '"two"' in streamed.text
        state = httpx.get(mock.url + "/_mockclaude/responses").json()
        assert [(s["what"], s["used"], s["remaining"]) for s in state["responses"]] == [("text 'one'", 1, 0), ("text 'two'", 1, None)]
        bad = httpx.post(mock.url + "/_mockclaude/responses", json={"text": "x", "times": -1})
        assert bad.status_code == 400 and "times: expected a whole number" in bad.json()["error"]["message"]
        assert httpx.delete(mock.url + "/_mockclaude/responses").json()["responses"] == []


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockclaude", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in (env or os.environ).items() if not k.startswith("MOCKCLAUDE_")} | (env or {}),
    )


def test_a_file_for_mockclaude_serve(tmp_path: Path) -> None:
    script = tmp_path / "responses.yaml"
    script.write_text(textwrap.dedent("""\
        responses:
          - tool_use: {name: get_weather, input: {city: Paris}}
          - when: {tool_result: get_weather}
            text: It is sunny in Paris.
    """))
    tools = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    proc = _serve("--responses", str(script))
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        first = _post(url, {"model": MODEL, "max_tokens": 64, "tools": tools, "messages": [{"role": "user", "content": "Paris?"}]}).json()
        call = first["content"][0]
        assert (call["name"], call["input"]) == ("get_weather", {"city": "Paris"})
        turn = [{"role": "user", "content": "Paris?"}, {"role": "assistant", "content": first["content"]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}]}]
        second = _post(url, {"model": MODEL, "max_tokens": 64, "tools": tools, "messages": turn}).json()
        assert second["content"] == [{"type": "text", "text": "It is sunny in Paris."}]
        # a reset between tests rewinds the file's answers
        httpx.post(url + "/_mockclaude/reset", json={})  # admin writes are JSON (admin.py)
        assert _post(url, {"model": MODEL, "max_tokens": 64, "tools": tools, "messages": turn[:1]}).json()["content"][0]["type"] == "tool_use"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes


def test_a_broken_file_is_refused_before_listening(tmp_path: Path) -> None:
    script = tmp_path / "responses.json"
    script.write_text(json.dumps([{"text": "ok"}, {"tool_use": {"input": {}}}], indent=1))
    proc = _serve("--responses", str(script))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and out == ""
    assert f"{script}:" in err and "responses[1].tool_use: needs a tool name" in err
