"""Faults that reproduce under concurrency; header times=N for clients that do not number retries; reset."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from mockclaude import MockClaude

HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _body(i: int) -> dict[str, object]:
    return {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [{"role": "user", "content": f"question {i}"}]}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockClaude]:
    with MockClaude(faults=["529:rate=0.2:seed=7"]) as m:
        yield m


async def _concurrent_run(url: str, clients: int = 20, per_client: int = 8) -> set[int]:
    """Every client sends its own questions, all at once; returns the questions answered 529."""
    hit: set[int] = set()

    async def one(c: int, http: httpx.AsyncClient) -> None:
        for k in range(per_client):
            i = c * per_client + k
            r = await http.post("/v1/messages", json=_body(i))
            if r.status_code == 529:
                hit.add(i)
            else:
                assert r.status_code == 200

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits, timeout=30) as http:
        await asyncio.gather(*(one(c, http) for c in reversed(range(clients))))
    return hit


def test_seeded_rate_hits_the_same_requests_under_20_concurrent_clients(mock: MockClaude) -> None:
    mock.reset()
    first = asyncio.run(_concurrent_run(mock.url))
    mock.reset()  # start-up faults stay, their draws start again
    second = asyncio.run(_concurrent_run(mock.url))
    assert first == second
    assert 10 <= len(first) <= 60  # ~20% of 160: the draw is real, not all or nothing


def test_seeded_draws_count_repeats_of_one_body(mock: MockClaude) -> None:
    def run() -> list[int]:
        mock.reset()
        return [httpx.post(mock.url + "/v1/messages", json=_body(0), headers=HEADERS).status_code for _ in range(25)]

    a, b = run(), run()
    assert a == b and 529 in a and 200 in a  # repeats of one body draw anew, reproducibly


def test_reset_keeps_the_start_up_faults_and_drops_added_ones(mock: MockClaude) -> None:
    mock.reset()
    mock.add_fault("500:times=1")
    assert [f["spec"] for f in mock.faults] == ["529:rate=0.2:seed=7", "500:times=1"]
    assert httpx.post(mock.url + "/_mockclaude/reset", json={}).status_code == 200
    assert [f["spec"] for f in mock.faults] == ["529:rate=0.2:seed=7"]
    mock.clear_faults()  # DELETE /_mockclaude/faults: everything, start-up faults included
    assert mock.faults == []
    mock.reset()
    assert [f["spec"] for f in mock.faults] == ["529:rate=0.2:seed=7"]


def test_header_times_counts_retries_of_clients_without_a_retry_count() -> None:
    with MockClaude() as m, httpx.Client(base_url=m.url, headers=HEADERS) as h:
        fault = {"x-mockclaude-fault": "429:times=1:retry-after-ms=1"}
        # a plain client: first attempt 429, the retry (same body, no x-stainless-retry-count) passes
        assert h.post("/v1/messages", json=_body(1), headers=fault).status_code == 429
        assert h.post("/v1/messages", json=_body(1), headers=fault).status_code == 200
        # the next call with the same body is a new call: hit again, then its retry passes
        assert h.post("/v1/messages", json=_body(1), headers=fault).status_code == 429
        assert h.post("/v1/messages", json=_body(1), headers=fault).status_code == 200
        # another body is its own call
        assert h.post("/v1/messages", json=_body(2), headers=fault).status_code == 429
        # a numbered retry is trusted as numbered
        numbered = {**fault, "x-stainless-retry-count": "1"}
        assert h.post("/v1/messages", json=_body(3), headers=numbered).status_code == 200
        two = {"x-mockclaude-fault": "529:times=2"}
        assert [h.post("/v1/messages", json=_body(4), headers=two).status_code for _ in range(3)] == [529, 529, 200]
