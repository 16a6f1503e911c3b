"""The rate-limit emulator: buckets (with a fake clock) and over HTTP with the SDK."""

from __future__ import annotations

from datetime import datetime, timezone

import anthropic
import httpx
import pytest

from mockclaude import ConfigError, MockClaude
from mockclaude.ratelimit import RateLimiter, RateLimits


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_parse_limits() -> None:
    assert RateLimits.parse("rpm=50,tpm=20000") == RateLimits(rpm=50, tpm=20000)
    assert RateLimits.coerce({"itpm": 10, "otpm": 5}) == RateLimits(itpm=10, otpm=5)
    assert str(RateLimits(rpm=5, otpm=7)) == "rpm=5,otpm=7"
    for bad, reason in [("rpm=0", "positive"), ("rpx=5", "unknown rate limit"), ("rpm", "key=value"), ("", "no rate")]:
        with pytest.raises(ConfigError, match=reason):
            RateLimits.parse(bad) if bad else RateLimits.of({})


def test_requests_bucket_refills_continuously() -> None:
    clock = Clock()
    rl = RateLimiter(RateLimits(rpm=3), clock=clock, wall=lambda: 0.0)
    got = [rl.admit("k") for _ in range(4)]
    assert [d.error is None for d in got] == [True, True, True, False]
    assert [d.headers["anthropic-ratelimit-requests-remaining"] for d in got] == ["2", "1", "0", "0"]
    refused = got[3]
    assert refused.error is not None and refused.error.status == 429
    assert refused.error.type == "rate_limit_error"
    assert "of 3 requests per minute" in refused.error.message
    assert refused.headers["retry-after"] == "20"  # one request every 20 s
    assert refused.headers["x-should-retry"] == "true"
    clock.t += 20
    assert rl.admit("k").error is None
    assert rl.admit("other-key").error is None  # buckets are per API key


def test_token_buckets_and_reset_header() -> None:
    clock = Clock()
    rl = RateLimiter(RateLimits(tpm=600, itpm=500), clock=clock, wall=lambda: 1_700_000_000.0)
    ok = rl.admit("k", input_tokens=100, output_tokens=200)
    assert ok.error is None
    assert ok.headers["anthropic-ratelimit-tokens-remaining"] == "300"
    assert ok.headers["anthropic-ratelimit-input-tokens-remaining"] == "400"
    reset = datetime.strptime(ok.headers["anthropic-ratelimit-tokens-reset"], "%Y-%m-%dT%H:%M:%SZ")
    # 300 tokens at 10 tokens/s: full again in 30 s
    assert reset.replace(tzinfo=timezone.utc).timestamp() == 1_700_000_030
    no = rl.admit("k", input_tokens=100, output_tokens=300)  # needs 400, has 300
    assert no.error is not None and "600 tokens per minute" in no.error.message
    assert no.headers["retry-after"] == "10"
    assert no.headers["anthropic-ratelimit-tokens-remaining"] == "300"  # a refusal costs nothing
    clock.t += 10
    assert rl.admit("k", input_tokens=100, output_tokens=300).error is None


MODEL = "claude-sonnet-4-6"


def test_over_http_with_the_sdk() -> None:
    with MockClaude(rate_limits="rpm=2") as mock:
        with anthropic.Anthropic(base_url=mock.url, api_key="key-a", max_retries=0) as client:
            r = client.messages.with_raw_response.create(
                model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}]
            )
            assert r.headers["anthropic-ratelimit-requests-limit"] == "2"
            assert r.headers["anthropic-ratelimit-requests-remaining"] == "1"
            client.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(anthropic.RateLimitError) as info:
                client.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
        h = info.value.response.headers
        assert h["retry-after"] == "30" and h["anthropic-ratelimit-requests-remaining"] == "0"
        assert "2 requests per minute" in info.value.message
        # another key has its own bucket; count_tokens is not limited
        with anthropic.Anthropic(base_url=mock.url, api_key="key-b", max_retries=0) as other:
            other.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
        entry = mock.requests[2]
        assert entry.status == 429 and entry.source == "ratelimit"
        assert entry.notes and entry.notes[-1].startswith("rate limited: retry after")
        state = httpx.get(mock.url + "/_mockclaude/faults").json()["rate_limits"]
        assert state["limits"] == {"rpm": 2}
        mock.reset()  # forgets the buckets
        with anthropic.Anthropic(base_url=mock.url, api_key="key-a", max_retries=0) as client:
            client.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])


def test_tokens_per_minute_over_http() -> None:
    with MockClaude(rate_limits={"otpm": 100}) as mock:
        with anthropic.Anthropic(base_url=mock.url, api_key="sk-ant-long-secret-key", max_retries=0) as client:
            client.messages.create(model=MODEL, max_tokens=60, messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(anthropic.RateLimitError) as info:
                client.messages.create(model=MODEL, max_tokens=60, messages=[{"role": "user", "content": "hi"}])
        assert "100 output tokens per minute" in info.value.message
        assert info.value.response.headers["retry-after"] == "12"  # 20 missing at 100/60 per second
        state = httpx.get(mock.url + "/_mockclaude/faults").json()["rate_limits"]
        assert list(state["remaining"]) == ["sk-a…-key"]  # the key itself stays secret


def test_cli_flag_maps_to_settings() -> None:
    import argparse

    from mockclaude.cli import _serve_parser, _settings_from_args

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    _serve_parser(sub)
    args = parser.parse_args(["serve", "--rate-limit", "rpm=50,tpm=20000"])
    settings = _settings_from_args(args)
    assert RateLimits.coerce(settings.rate_limits) == RateLimits(rpm=50, tpm=20000)


def test_fractional_limits_are_refused_not_truncated() -> None:
    from mockclaude.errors import ConfigError
    from mockclaude.ratelimit import RateLimits

    with pytest.raises(ConfigError, match="positive integer"):
        RateLimits.of({"rpm": 2.7})
    with pytest.raises(ConfigError, match="positive integer"):
        RateLimits.parse("rpm=2.7")
    assert RateLimits.of({"rpm": 3.0}).items()
