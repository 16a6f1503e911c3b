"""CI can never record by accident, and the session says what it did: pytester suites with a stand-in
upstream (a second mockclaude server: the internet is never contacted)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import anthropic  # noqa: F401 - imported once for every in-process pytester run (see test_pytest_plugin)
import pytest

import mockclaude.app
import mockclaude.cassette  # noqa: F401
from mockclaude import MockClaude

pytest_plugins = ["pytester"]

MODEL = "claude-sonnet-4-6"
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
"""
PLAIN = Path(__file__).parents[1] / "cassettes" / "plain_answer.yaml"

RECORDING_TEST = f'''
import anthropic, pytest

@pytest.mark.mockclaude(record_mode="once")
def test_wants_to_record(mockclaude):
    with anthropic.Anthropic(max_retries=0) as client:
        client.messages.create(model="{MODEL}", max_tokens=16, messages=[{{"role": "user", "content": "Hi"}}])
'''


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "MOCKCLAUDE_")) or name == "CI":
            monkeypatch.delenv(name)
    pytester.makeini(INI)
    return pytester


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockClaude]:
    with MockClaude() as server:
        yield server


def _cassette(user: pytest.Pytester) -> Path:
    return user.path / "cassettes" / "test_rec" / "test_wants_to_record.yaml"


def test_explicit_none_on_the_command_line_beats_the_marker(user: pytest.Pytester, upstream: MockClaude) -> None:
    upstream.reset()
    user.makepyfile(test_rec=RECORDING_TEST)
    result = user.runpytest_inprocess("--mockclaude-record-mode=none", f"--mockclaude-upstream={upstream.url}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*test_wants_to_record.yaml: cassette file not found; recording is blocked by --mockclaude-record-mode=none "
        "(the test asked for record mode 'once'): record it where recording is allowed*",
    ])
    assert upstream.requests == [] and not _cassette(user).exists()


@pytest.mark.parametrize("variable", ["CI=true", "CI=1", "MOCKCLAUDE_RECORD_MODE=none"])
def test_the_environment_blocks_recording(
    user: pytest.Pytester, upstream: MockClaude, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    upstream.reset()
    name, value = variable.split("=")
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("MOCKCLAUDE_UPSTREAM", upstream.url)
    user.makepyfile(test_rec=RECORDING_TEST)
    result = user.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*recording is blocked by {variable} (the test asked for record mode 'once')*"])
    result.stdout.fnmatch_lines([f"mockclaude: *; recording blocked by {variable} (1 test(s) needed a recording)"])
    assert upstream.requests == [] and not _cassette(user).exists()


def test_ci_false_does_not_block(user: pytest.Pytester, upstream: MockClaude, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream.reset()
    monkeypatch.setenv("CI", "false")
    user.makepyfile(test_rec=RECORDING_TEST)
    user.runpytest_inprocess(f"--mockclaude-upstream={upstream.url}").assert_outcomes(passed=1)
    assert len(upstream.requests) == 1 and _cassette(user).exists()


def test_an_explicit_recording_mode_on_the_command_line_records_even_on_ci(
    user: pytest.Pytester, upstream: MockClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream.reset()
    monkeypatch.setenv("CI", "true")
    user.makepyfile(test_rec=RECORDING_TEST)
    result = user.runpytest_inprocess("--mockclaude-record-mode=once", f"--mockclaude-upstream={upstream.url}")
    result.assert_outcomes(passed=1)
    assert len(upstream.requests) == 1 and _cassette(user).exists()


def test_blocked_with_a_cassette_an_unmatched_request_fails_with_the_hint(
    user: pytest.Pytester, upstream: MockClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream.reset()
    monkeypatch.setenv("CI", "true")
    (user.path / "plain.yaml").write_text(PLAIN.read_text())
    user.makepyfile(test_more=f'''
        import anthropic, pytest

        @pytest.mark.mockclaude(cassette="plain.yaml", record_mode="new_episodes", upstream="{upstream.url}")
        def test_new_episode(mockclaude):
            with anthropic.Anthropic(max_retries=0) as client, pytest.raises(anthropic.BadRequestError):
                client.messages.create(model="{MODEL}", max_tokens=9, messages=[{{"role": "user", "content": "new"}}])
    ''')
    result = user.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*no interaction in cassette *plain.yaml matches POST /v1/messages (record mode none*",
        "*recording is blocked by CI=true (the test asked for record mode 'new_episodes')*",
    ])
    assert upstream.requests == []


SUMMARY_SUITE = f'''
import anthropic, pytest

def ask(text, max_tokens=16):
    with anthropic.Anthropic(max_retries=0) as client:
        return client.messages.create(model="{MODEL}", max_tokens=max_tokens, messages=[{{"role": "user", "content": text}}])

@pytest.mark.mockclaude(record_mode="once")
def test_records(mockclaude):
    ask("Hi")

@pytest.mark.mockclaude(cassette="recorded.yaml")
def test_replays(mockclaude):
    ask("Hello")  # recorded below; its "Bye" interaction is left unplayed

@pytest.mark.mockclaude(cassette="recorded.yaml", allow_errors=True)
def test_unmatched(mockclaude):
    with pytest.raises(anthropic.BadRequestError):
        ask("not recorded", max_tokens=3)

def test_scripted(mockclaude):
    mockclaude.respond(text="scripted")
    assert ask("x").content[0].text == "scripted"
'''


def test_end_of_session_summary(user: pytest.Pytester, upstream: MockClaude, tmp_path: Path) -> None:
    upstream.reset()
    # A two-interaction cassette recorded from the stand-in upstream: "Hello" and "Bye".
    recorded = user.path / "recorded.yaml"
    with MockClaude(cassette=recorded, record_mode="all", upstream=upstream.url) as recorder:
        import httpx

        for text in ("Hello", "Bye"):
            body = {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": text}]}
            r = httpx.post(recorder.url + "/v1/messages", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
            assert r.status_code == 200
    user.makepyfile(test_summary=textwrap.dedent(SUMMARY_SUITE))
    result = user.runpytest_inprocess(f"--mockclaude-upstream={upstream.url}")
    result.assert_outcomes(passed=4)
    written = user.path / "cassettes" / "test_summary" / "test_records.yaml"
    result.stdout.fnmatch_lines([
        f"mockclaude: 1 replayed, 1 recorded, 1 unmatched, 1 scripted in 4 test(s); "
        f"unused interactions: {recorded} 1 of 2; cassettes written: {written}",
    ])


def test_end_of_session_summary_under_xdist(user: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    tests = "\n".join(
        f'''
def test_{i}(mockclaude):
    mockclaude.respond(text="s")
    import os, httpx
    body = {{"model": "{MODEL}", "max_tokens": 8, "messages": [{{"role": "user", "content": "n{i}"}}]}}
    headers = {{"x-api-key": "k", "anthropic-version": "2023-06-01"}}
    assert httpx.post(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages", json=body, headers=headers).status_code == 200
'''
        for i in range(4)
    )
    user.makepyfile(test_par=tests)
    result = user.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["mockclaude: 0 replayed, 0 recorded, 0 unmatched, 4 scripted in 4 test(s);*"])


def test_the_session_header_warns_of_unknown_variables_and_a_lock(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKCLAUDE_RECORDMODE", "once")  # a typo: would do nothing, silently
    monkeypatch.setenv("CI", "true")
    user.makepyfile(test_nothing="def test_x(): pass")
    result = user.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "mockclaude: warning: MOCKCLAUDE_RECORDMODE is not a mockclaude variable (ignored)",
        "mockclaude: recording blocked by CI=true",
    ])
