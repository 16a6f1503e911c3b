"""`mockclaude serve` keeps its start-up promises: every option checked before the listening line,
every option read from its MOCKCLAUDE_* variable, and a console that says what it serves and why a
request was refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CASSETTE = Path(__file__).parents[1] / "cassettes" / "plain_answer.yaml"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKCLAUDE_", "ANTHROPIC_"))}
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def _refused(*args: str, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mockclaude", "serve", *args], capture_output=True, text=True, env=_env(**env), timeout=60
    )
    assert out.returncode == 2 and "listening" not in out.stdout, out
    assert "Traceback" not in out.stderr
    return out.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--log-level", "verbose"], {}, "log level 'verbose' is not one of: critical, error, warning, info, debug, trace"),
        (["--port", "70000"], {}, "port 70000 is out of range (0-65535; 0: a free port)"),
        (["--port", "-1"], {}, "port -1 is out of range"),
        (["--port", "http"], {}, "port 'http' is not a number"),
        (["--match-on", "method,paht"], {}, "unknown matcher 'paht'; valid matchers: method, path, query, body"),
        (["--ignore-field", "messages.content"], {}, "messages is a list, so 'messages.content' never matches; use messages.*.content"),
        (["--ignore-field", "nonsense"], {}, "'nonsense' starts with 'nonsense', which is not a request field"),
        (["--replay-speed", "-1"], {}, "replay_speed must be a number >= 0"),
        ([], {"MOCKCLAUDE_PORT": "70000"}, "port 70000 is out of range"),
        ([], {"MOCKCLAUDE_LOG_LEVEL": "loud"}, "log level 'loud' is not one of"),
        ([], {"MOCKCLAUDE_FAULT": "429:tims=2"}, "tims"),
        ([], {"MOCKCLAUDE_RATE_LIMIT": "rpm=lots"}, "rpm"),
        ([], {"MOCKCLAUDE_CACHE_MIN_TOKENS": "many"}, "MOCKCLAUDE_CACHE_MIN_TOKENS='many'"),
    ],
)
def test_bad_options_are_refused_before_listening(args: list[str], env: dict[str, str], message: str) -> None:
    assert message in _refused(*args, **env)


class Served:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert proc.stdout is not None
        self.first = proc.stdout.readline().strip()
        self.second = proc.stdout.readline().strip()
        self.url = self.first.split()[-1]

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=20)
        return out, err


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[Served] = []

    def start(*args: str, **env: str) -> Served:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockclaude", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(**env),
        )
        started.append(Served(proc))
        return started[-1]

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.stop()


def test_environment_variables_are_read(serve) -> None:  # type: ignore[no-untyped-def]
    s = serve(MOCKCLAUDE_PORT="0", MOCKCLAUDE_HOST="127.0.0.1", MOCKCLAUDE_FAULT="529:times=1",
              MOCKCLAUDE_RATE_LIMIT="rpm=50", MOCKCLAUDE_TYPO="1")
    assert s.first.startswith("mockclaude listening on http://127.0.0.1:") and not s.url.endswith(":8088")
    assert "faults 529:times=1" in s.second and "rate limits rpm=50" in s.second
    body = {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
    first = httpx.post(s.url + "/v1/messages", json=body, headers=HEADERS)
    assert first.status_code == 529
    second = httpx.post(s.url + "/v1/messages", json=body, headers=HEADERS)
    assert second.status_code == 200 and second.headers["anthropic-ratelimit-requests-limit"] == "50"
    _, err = s.stop()
    assert "MOCKCLAUDE_TYPO is not a mockclaude variable (ignored)" in err


def test_the_console_says_what_is_served_and_why_requests_fail(serve) -> None:  # type: ignore[no-untyped-def]
    s = serve("--port", "0", "--cassette", str(CASSETTE), "--access-log")
    assert s.second == f"mockclaude: serving cassette {CASSETTE}, 1 interaction(s), record mode none"
    body = {"model": "claude-sonet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
    assert httpx.post(s.url + "/v1/messages", json=body, headers=HEADERS).status_code == 400  # unmatched
    assert httpx.post(s.url + "/v1/messages", json={"model": "x"}, headers=HEADERS).status_code == 400
    time.sleep(0.2)
    out, err = s.stop()
    assert "model 'claude-sonet-4-6' is not a known model: the real API would answer 404" in err
    assert f"no interaction in cassette {CASSETTE} matches POST /v1/messages" in err
    assert "rejected POST /v1/messages" in err and "400 invalid_request_error" in err
    assert '"POST /v1/messages HTTP/1.1" 400' in out  # --access-log on its own (log level warning)


def test_an_unknown_model_is_flagged_in_the_journal() -> None:
    from mockclaude import MockClaude

    mock = MockClaude()  # in process: no server needed
    with mock.sdk_http_client() as client:
        for model in ("claude-sonet-4-6", "claude-sonnet-4-6"):
            body = {"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
            assert client.post("http://mock/v1/messages", json=body, headers=HEADERS).status_code == 200
    typo, known = mock.requests
    assert any("model 'claude-sonet-4-6' is not a known model: the real API would answer 404" in n for n in typo.notes)
    assert not any("not a known model" in n for n in known.notes)
