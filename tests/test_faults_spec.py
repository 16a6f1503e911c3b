"""The fault grammar and plans, without a server: parse, round trip, refusals, selection."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mockclaude import ConfigError, faults
from mockclaude.faults import Fault, FaultPlan, FaultSpecError
from mockclaude.faults.spec import KINDS

EVERY_KIND = [
    ("429", {}),
    ("529", {}),
    ("500", {}),
    ("504", {}),
    ("408", {}),
    ("409", {}),
    ("413", {}),
    ("stream-error:after=3", {"after": 3}),
    ("cut-stream:after=3", {"after": 3}),
    ("stall:after=2:seconds=0.5", {"after": 2, "seconds": 0.5}),
    ("drip:interval=0.01", {"interval": 0.01}),
    ("drip:bps=500", {"bps": 500.0}),
    ("chunk:size=1", {"size": "1"}),
    ("chunk:size=2-9:seed=4", {"size": "2-9", "seed": 4}),
    ("reset", {}),
    ("empty", {}),
    ("garbage:bytes=10", {"bytes": 10}),
    ("latency:ttfb=0.2:per-event=0.01:jitter=0.05:seed=3", {"ttfb": 0.2, "per-event": 0.01, "jitter": 0.05}),
]


@pytest.mark.parametrize(("spec", "expected"), EVERY_KIND)
def test_every_kind_parses_and_round_trips(spec: str, expected: dict[str, Any]) -> None:
    f = faults.parse(spec)
    assert f.kind == spec.split(":")[0]
    for k, v in expected.items():
        assert f.get(k) == v
    assert faults.parse(str(f)) == f
    assert Fault.from_dict(f.to_dict()) == f


def test_all_kinds_are_covered() -> None:
    assert {s.split(":")[0] for s, _ in EVERY_KIND} == set(KINDS)


@pytest.mark.parametrize(
    "spec",
    [
        "429:times=2:retry-after-ms=200",
        "529:rate=0.1:seed=7",
        "500:should-retry=false",
        "429:retry-after=2.5",
        "504:message=upstream%3A timed out",
        "stream-error:after=1:type=api_error:message=boom",
        "cut-stream:after=0:clean=true",
        "529:stream=true:endpoint=messages:model=claude-haiku-*",
    ],
)
def test_common_options(spec: str) -> None:
    f = faults.parse(spec)
    assert faults.parse(str(f)) == f


def test_message_is_percent_decoded() -> None:
    assert faults.parse("504:message=upstream%3A timed out").get("message") == "upstream: timed out"


def test_defaults_are_explicit_in_the_canonical_spec() -> None:
    assert str(faults.parse("stall")) == "stall:after=0:seconds=10"
    assert str(faults.parse("drip")) == "drip:interval=0.05"
    assert str(faults.parse("cut")) == "cut-stream:after=0"  # aliases canonicalise


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "empty fault spec"),
        ("431", "unknown fault kind '431'"),
        ("429:times=0", "times: must be >= 1"),
        ("429:times=two", "times: expected an integer"),
        ("429:bogus=1", "unknown option 'bogus'"),
        ("529:rate=1.5", "rate: must be <= 1"),
        ("529:rate=abc", "rate: expected a number"),
        ("429:times", "is not key=value"),
        ("429::times=1", "empty option"),
        ("429:times=1:times=2", "given twice"),
        ("drip:interval=1:bps=2", "not both"),
        ("chunk:size=0", "size"),
        ("chunk:size=5-2", "size"),
        ("stall:seconds=-1", "seconds: must be >= 0"),
        ("500:should-retry=maybe", "expected true or false"),
        ("529:endpoint=batches", "expected one of messages, count_tokens"),
        ("reset:after=1", "unknown option 'after' for reset"),
    ],
)
def test_malformed_specs_are_refused_with_the_reason(spec: str, reason: str) -> None:
    with pytest.raises(FaultSpecError, match=None) as info:
        faults.parse(spec)
    assert reason in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_an_integer_too_large_for_a_float_is_refused_not_raised() -> None:
    with pytest.raises(FaultSpecError, match="seconds: expected a finite number"):
        Fault.coerce({"kind": "stall", "seconds": 10**400})


def test_constructors_match_the_grammar() -> None:
    assert faults.rate_limited(retry_after=2) == faults.parse("429:retry-after=2")
    assert faults.rate_limited(retry_after_ms=200, times=2) == faults.parse("429:times=2:retry-after-ms=200")
    assert faults.overloaded(rate=0.1, seed=7) == faults.parse("529:rate=0.1:seed=7")
    assert faults.api_error() == faults.parse("500")
    assert faults.gateway_timeout() == faults.parse("504")
    assert faults.request_timeout() == faults.parse("408")
    assert faults.conflict() == faults.parse("409")
    assert faults.request_too_large() == faults.parse("413")
    assert faults.http_error(529, times=1) == faults.parse("529:times=1")
    assert faults.cut_stream(after_events=3) == faults.parse("cut-stream:after=3")
    assert faults.stream_error(2, type="api_error") == faults.parse("stream-error:after=2:type=api_error")
    assert faults.stall(0.5, after_events=2) == faults.parse("stall:after=2:seconds=0.5")
    assert faults.drip(bps=100) == faults.parse("drip:bps=100")
    assert faults.chunked(3) == faults.parse("chunk:size=3")
    assert faults.reset() == faults.parse("reset")
    assert faults.empty_response() == faults.parse("empty")
    assert faults.garbage(8) == faults.parse("garbage:bytes=8")
    assert faults.latency(ttfb=0.1, per_event=0.01) == faults.parse("latency:ttfb=0.1:per-event=0.01")
    with pytest.raises(FaultSpecError, match="unknown option 'retry_afterr'"):
        faults.rate_limited(retry_afterr=1)


def test_structured_form() -> None:
    f = Fault.coerce({"kind": "429", "times": 2, "retry_after_ms": 200})
    assert f == faults.parse("429:times=2:retry-after-ms=200")
    assert Fault.coerce({"spec": "529"}) == faults.overloaded()
    with pytest.raises(FaultSpecError, match="needs a kind"):
        Fault.coerce({"times": 2})
    with pytest.raises(FaultSpecError):
        Fault.coerce(42)


# --- plans -------------------------------------------------------------------------------------


def _ex(stream: bool = False, model: str = "claude-sonnet-4-6", endpoint: str = "messages", **headers: str) -> Any:
    request = SimpleNamespace(headers={k.replace("_", "-"): v for k, v in headers.items()})
    return SimpleNamespace(stream=stream, endpoint=endpoint, body={"model": model, "max_tokens": 10}, request=request)


def test_no_faults_selects_nothing() -> None:
    assert FaultPlan().select(_ex()) is None


def test_times_then_normal() -> None:
    plan = FaultPlan(["429:times=2"])
    picks = [plan.select(_ex()) for _ in range(4)]
    assert [p is not None and p.answer is not None for p in picks] == [True, True, False, False]
    assert plan.queued() == []  # used up faults leave the queue


def test_rate_is_reproducible_and_about_right() -> None:
    def run() -> list[int]:
        plan = FaultPlan(["529:rate=0.1:seed=7"])
        return [i for i in range(1000) if plan.select(_ex()) is not None]

    first, second = run(), run()
    assert first == second
    assert 70 <= len(first) <= 130
    other = FaultPlan(["529:rate=0.1:seed=8"])
    assert [i for i in range(1000) if other.select(_ex()) is not None] != first


def test_matchers() -> None:
    plan = FaultPlan(["529:stream=true", "500:model=claude-haiku-*", "504:endpoint=count_tokens"])
    a = plan.select(_ex(stream=True))
    assert a is not None and a.answer is not None and a.answer.kind == "529"
    b = plan.select(_ex(model="claude-haiku-4-5"))
    assert b is not None and b.answer is not None and b.answer.kind == "500"
    c = plan.select(_ex(endpoint="count_tokens"))
    assert c is not None and c.answer is not None and c.answer.kind == "504"
    assert plan.select(_ex()) is None


def test_composition_one_answer_one_end_many_shapes() -> None:
    plan = FaultPlan(["latency:ttfb=0.01", "529:times=1", "500:times=1", "cut-stream:after=2", "chunk:size=3"])
    inj = plan.select(_ex(stream=True))
    assert inj is not None
    assert inj.answer is not None and inj.answer.kind == "529"
    assert inj.end is not None and inj.end.kind == "cut-stream"
    assert {f.kind for f in inj.shapes} == {"latency", "chunk"}
    assert inj.describe() == "529:times=1 + cut-stream:after=2 + latency:ttfb=0.01 + chunk:size=3"
    # the 500 was not counted while the 529 held the answer slot
    nxt = plan.select(_ex(stream=True))
    assert nxt is not None and nxt.answer is not None and nxt.answer.kind == "500"


def test_header_faults_and_times_by_attempt() -> None:
    plan = FaultPlan()
    hdr = {"x_mockclaude_fault": "429:times=2"}
    assert plan.select(_ex(**hdr, x_stainless_retry_count="0")) is not None
    assert plan.select(_ex(**hdr, x_stainless_retry_count="1")) is not None
    assert plan.select(_ex(**hdr, x_stainless_retry_count="2")) is None
    from mockclaude.errors import ApiError

    with pytest.raises(ApiError) as info:
        plan.select(_ex(x_mockclaude_fault="429:times=zero"))
    assert info.value.status == 400
    assert "x-mockclaude-fault" in info.value.message and "times" in info.value.message


def test_a_canonical_spec_survives_the_header() -> None:
    f = faults.api_error(message="upstream: a, b")
    inj = FaultPlan().select(_ex(x_mockclaude_fault=f"{f}, 529"))
    assert inj is not None and inj.answer == f


def test_wraps_only_when_the_stream_is_touched() -> None:
    plan = FaultPlan()
    inj = plan.select(_ex(x_mockclaude_fault="latency:ttfb=0.1"))
    assert inj is not None and not inj.wraps  # keeps the one-body fast path
    inj = plan.select(_ex(x_mockclaude_fault="latency:per-event=0.1"))
    assert inj is not None and inj.wraps


def test_settings_accept_specs_and_values() -> None:
    from mockclaude import Settings

    s = Settings.build(faults=["429:times=1", faults.overloaded(times=1)])
    plan = FaultPlan.from_settings(s)
    assert [q["spec"] for q in plan.queued()] == ["429:times=1", "529:times=1"]
    with pytest.raises(ConfigError, match="times"):
        FaultPlan.from_settings(Settings.build(faults=["429:times=-1"]))


def test_garbage_size_is_bounded() -> None:
    from mockclaude.errors import ConfigError
    from mockclaude.faults import parse

    assert parse("garbage:bytes=1024")
    with pytest.raises(ConfigError, match="must be <= 16777216"):
        parse("garbage:bytes=100000000000")
