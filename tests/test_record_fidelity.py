"""Record mode lets real traffic correct the double: a request the local validator refuses is still
forwarded, and each disagreement is reported (console, journal, cassette, ``cassette lint``); and
threaded sessions are recorded and replayed with the upstream stopped.

The "real API" here is a second mockclaude: lenient about model ids where the recording one is
strict (``strict_models``), so it accepts what the local validator refuses — and the other way round.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.cassette import Cassette
from mockclaude.cassette.cli import lint_report
from mockclaude.cassette.cli import main as cassette_main
from mockclaude.threads import THREADS_BETA

from .conftest import MODEL

FUTURE = "claude-future-9"  # plausible, unknown to the registry: strict_models refuses it
HEADERS = {"x-api-key": "sk-ant-rec", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def ask(url: str, model: str, text: str = "Hi", **extra: Any) -> httpx.Response:
    body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(url + "/v1/messages", json=body, headers=HEADERS, timeout=10)


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    return tmp_path / "fidelity.yaml"


def test_a_refused_request_is_forwarded_and_the_disagreement_reported(
    cassette: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with MockClaude() as upstream:
        with (
            MockClaude(cassette=cassette, record_mode="all", upstream=upstream.url, strict_models=True) as recorder,
            caplog.at_level(logging.WARNING, logger="mockclaude.cassette"),
        ):
            r = ask(recorder.url, FUTURE, "Forward me")
            assert r.status_code == 200, r.text  # the real API's answer, not the double's 404
            assert "Forward me" in r.json()["content"][0]["text"]
            entry = recorder.requests[-1]
            assert entry.source == "upstream"
            assert entry.disagreement == {
                "double": {"status": 404, "type": "not_found_error", "message": f"model: {FUTURE}"},
                "upstream": {"status": 200},
            }
            # Agreement is not a disagreement: both refuse an impossible max_tokens the same way.
            assert ask(recorder.url, MODEL, max_tokens=10**9).status_code == 400
            assert recorder.requests[-1].disagreement is None
        said = [rec.getMessage() for rec in caplog.records if "disagreement" in rec.getMessage()]
        assert len(said) == 1
        assert f"the double would have said 404 not_found_error: model: {FUTURE}, the real API said 200" in said[0]
        assert len(upstream.requests) == 2  # both went to the "real API"

    recorded = Cassette.load(cassette)
    assert recorded[0].disagreement is not None and recorded[1].disagreement is None
    problems, disagreements = lint_report(str(cassette))
    assert problems == []  # the refused request is a disagreement, not a cassette problem
    assert disagreements == [
        f"{cassette}: interactions.0: the double would have said 404 not_found_error: model: {FUTURE}, "
        "the real API said 200 (resolved: the double now agrees)"  # lint's double is not strict_models
    ]

    # Replayed (no upstream at all): the disagreement's request is answered as recorded; another
    # request the double refuses still gets the double's answer.
    with MockClaude(cassette=cassette, strict_models=True) as replay:
        again = ask(replay.url, FUTURE, "Forward me")
        assert again.status_code == 200 and again.json() == r.json()
        assert replay.requests[-1].source == "cassette" and replay.requests[-1].disagreement is not None
        other = ask(replay.url, FUTURE, "Never recorded")
        assert other.status_code == 404 and "x-mockclaude-unmatched" not in other.headers
        assert replay.app.unmatched == []


def test_a_request_the_double_accepts_and_the_real_api_refuses(cassette: Path) -> None:
    with (
        MockClaude(strict_models=True) as upstream,
        MockClaude(cassette=cassette, record_mode="all", upstream=upstream.url) as recorder,
    ):
        r = ask(recorder.url, FUTURE)
        assert r.status_code == 404
        assert recorder.requests[-1].disagreement == {
            "double": {"status": 200},
            "upstream": {"status": 404, "type": "not_found_error", "message": f"model: {FUTURE}"},
        }


def test_lint_prints_a_disagreement_section(cassette: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (
        MockClaude() as upstream,
        MockClaude(cassette=cassette, record_mode="all", upstream=upstream.url, strict_models=True) as recorder,
    ):
        assert ask(recorder.url, FUTURE, stream=True).status_code == 200  # a stream, recorded live
    assert Cassette.load(cassette)[0].response.events is not None
    assert cassette_main(["lint", "--strict-models", str(cassette)]) == 0
    out = capsys.readouterr().out
    assert f"{cassette}: ok" in out
    assert "disagreements with the real API (1), recorded in record mode:" in out
    assert out.rstrip().endswith(f"model: {FUTURE}, the real API said 200")  # still disagrees: not resolved


def _session(client: anthropic.Anthropic) -> list[Any]:
    """A threaded session: two plain turns, then a tool loop on a thread with thinking."""

    @anthropic.beta_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{city}: 19C, cloudy"

    thread = client.beta.messages.thread(model=MODEL, max_tokens=256, system="Be brief.")
    replies: list[Any] = [thread.send({"role": "user", "content": "First"})]
    with thread.stream({"role": "user", "content": "Second, streamed"}) as stream:  # recorded live
        replies.append(stream.get_final_message())
    replies.append(thread.send({"role": "user", "content": "Third"}))
    runner = client.beta.messages.tool_runner(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[get_weather],
        messages=[{"role": "user", "content": "Weather in Oslo? Use the tool."}],
    )
    replies.extend(runner)
    return [r.model_dump() for r in replies]


def test_a_threaded_session_recorded_then_replayed_with_the_upstream_stopped(cassette: Path) -> None:
    with MockClaude() as upstream:
        with MockClaude(cassette=cassette, record_mode="all", upstream=upstream.url) as recorder:
            with anthropic.Anthropic(base_url=recorder.url, api_key="sk-ant-rec", max_retries=0) as client:
                live = _session(client)
            assert all(e.disagreement is None and e.status == 200 for e in recorder.requests)
        threads_seen = [e.body.get("thread", {}).get("type") for e in upstream.requests]
        assert threads_seen == ["create", "continue", "continue", "create", "continue"]
    # The upstream is gone now: every answer comes from the cassette.
    recorded = Cassette.load(cassette)
    assert len(recorded) == 5 and recorded[1].response.events is not None
    assert lint_report(str(cassette)) == ([], [])  # continues validated against the threads they continue
    with MockClaude(cassette=cassette) as replay:
        with anthropic.Anthropic(base_url=replay.url, api_key="sk-ant-rec", max_retries=0) as client:
            assert _session(client) == live
        assert [e.source for e in replay.requests] == ["cassette"] * 5
        assert replay.app.unmatched == []


def test_lint_rebuilds_threads_and_reports_a_continue_of_nothing(tmp_path: Path) -> None:
    path = tmp_path / "orphan.yaml"
    path.write_text(
        "format: mockclaude-cassette\nversion: 1\ninteractions:\n"
        "- request:\n    method: POST\n    path: /v1/messages\n"
        f"    headers: {{anthropic-version: '2023-06-01', anthropic-beta: {THREADS_BETA}}}\n"
        f"    body: {{model: {MODEL}, max_tokens: 64, messages: [{{role: user, content: Hi}}],"
        " thread: {type: continue, previous_message_id: msg_01Gone}}\n"
        "  response:\n    status: 200\n    body: {type: message, id: msg_02, role: assistant, content: []}\n"
    )
    problems, _ = lint_report(str(path))
    assert len(problems) == 1 and "404 not_found_error: thread.continue.previous_message_id" in problems[0]


def test_new_episodes_does_not_forward_a_recorded_refusal_again(cassette: Path) -> None:
    with MockClaude() as upstream:
        for _ in range(2):
            with MockClaude(cassette=cassette, record_mode="new_episodes", upstream=upstream.url) as recorder:
                assert ask(recorder.url, MODEL, max_tokens=10**9).status_code == 400
        assert len(upstream.requests) == 1
    assert len(Cassette.load(cassette)) == 1


def test_a_refused_request_with_the_upstream_unreachable_gets_the_double_s_answer(cassette: Path) -> None:
    with MockClaude() as gone:
        url = gone.url
    with MockClaude(cassette=cassette, record_mode="all", upstream=url, strict_models=True) as recorder:
        r = ask(recorder.url, FUTURE)
        assert r.status_code == 404 and r.json()["error"]["message"] == f"model: {FUTURE}"
        assert any(n.startswith("upstream unreachable") for n in recorder.requests[-1].notes)
        assert ask(recorder.url, MODEL).status_code == 502  # an accepted request still says so


def test_verdicts() -> None:
    from mockclaude.cassette.fidelity import describe, verdict
    from mockclaude.errors import ApiError, invalid

    assert verdict(None, 200, {}) is None and verdict(None, 429, {}) is None and verdict(None, 529, {}) is None
    lost = {
        "type": "error",
        "error": {"type": "not_found_error", "message": "gone", "details": {"error_code": "thread_not_found"}},
    }
    assert verdict(None, 404, lost) is None  # the upstream's thread state, not a rule
    same = ApiError(404, "gone", type="not_found_error")
    assert verdict(same, 404, lost) is None
    worded = verdict(invalid("ours"), 400, {"error": {"type": "invalid_request_error", "message": "theirs"}})
    assert worded is not None and describe(worded) == (
        "the double would have said 400 invalid_request_error: ours, "
        "the real API said 400 invalid_request_error: theirs"
    )
