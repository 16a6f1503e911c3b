"""The journal: bounded by count and by bytes, bodies parsed on demand."""

from __future__ import annotations

from mockclaude.journal import Journal


def test_bounded_by_count() -> None:
    j = Journal(maxlen=3)
    for i in range(5):
        j.start(f"r{i}", "POST", "/v1/messages", {}, b"{}")
    assert [e.request_id for e in j.entries()] == ["r2", "r3", "r4"]


def test_bounded_by_bytes_keeping_the_newest() -> None:
    j = Journal(maxlen=100, max_bytes=1000)
    for i in range(10):
        j.start(f"r{i}", "POST", "/v1/messages", {}, b"x" * 400)
    assert [e.request_id for e in j.entries()] == ["r8", "r9"]
    j.start("big", "POST", "/v1/messages", {}, b"x" * 5000)  # bigger than the bound: kept alone
    assert [e.request_id for e in j.entries()] == ["big"]
    j.clear()
    j.start("after", "POST", "/v1/messages", {}, b"x" * 900)
    assert len(j) == 1


def test_body_is_parsed_lazily_and_redacted_headers() -> None:
    j = Journal()
    e = j.start("r", "POST", "/v1/messages", {"X-Api-Key": "sk-secret", "anthropic-version": "2023-06-01"}, b'{"a": [1]}')
    assert e.headers == {"x-api-key": "[REDACTED]", "anthropic-version": "2023-06-01"}
    assert e.body == {"a": [1]}
    assert j.start("r2", "POST", "/", {}, b"{not json").body == "{not json"
    assert j.start("r3", "POST", "/", {}, None).body is None
