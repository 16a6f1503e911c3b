"""Connection bounds over raw sockets: header size/count, slow heads and bodies, the connection cap."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from mockclaude import ConfigError, MockClaude
from mockclaude.journal import Journal
from tests.rawsocket import conn, read_all

BODY = b'{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
HEAD = (
    "POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
    "content-type: application/json\r\ncontent-length: {n}\r\n"
)


@pytest.fixture(scope="module", params=["mockclaude", "uvicorn"])  # the same bounds on both servers
def mock(request: pytest.FixtureRequest) -> Iterator[MockClaude]:
    with MockClaude(server=request.param, max_header_bytes=8192, max_headers=40, header_timeout=0.3, body_timeout=0.3,
                    max_connections=16) as m:
        yield m


def _good(mock: MockClaude) -> None:
    r = httpx.post(mock.url + "/v1/messages", content=BODY, headers={"x-api-key": "k", "anthropic-version": "2023-06-01",
                                                                    "content-type": "application/json"})
    assert r.status_code == 200


@pytest.mark.parametrize("extra", [
    "x-big: " + "a" * 20_000 + "\r\n",  # one long header line
    "".join(f"x-h{i}: v\r\n" for i in range(100)),  # too many headers
    "x-h: " + "b" * 4000 + "\r\n" + "x-i: " + "c" * 4000 + "\r\n" + "x-j: " + "d" * 4000 + "\r\n",  # too much in total
])
def test_oversized_heads_get_431_and_the_next_request_is_answered(mock: MockClaude, extra: str) -> None:
    with conn(mock.port) as s:
        s.sendall((HEAD.format(n=len(BODY)) + extra + "\r\n").encode() + BODY)
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 431 ")
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["type"] == "invalid_request_error"
    _good(mock)


def test_a_header_line_sent_forever_is_cut_at_the_limit(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(HEAD.format(n=2).encode() + b"x-endless: ")
        sent = 0
        try:
            while sent < 4 * 1024 * 1024:  # bounded: the server must close long before this
                s.sendall(b"z" * 16384)
                sent += 16384
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < 4 * 1024 * 1024
    _good(mock)


@pytest.mark.parametrize("partial", [b"", b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n", None])
def test_slow_heads_and_bodies_get_408_and_others_are_served_meanwhile(mock: MockClaude, partial: bytes | None) -> None:
    with conn(mock.port) as s:
        if partial is None:  # the head complete, the body stops half-way
            s.sendall(HEAD.format(n=len(BODY)).encode() + b"\r\n" + BODY[:10])
        else:
            s.sendall(partial)
        _good(mock)  # one slow client does not block another
        answer = read_all(s)  # returns once the server closes (bounded by the socket timeout)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    if partial:
        assert answer.startswith(b"HTTP/1.1 408 ")
    _good(mock)


@pytest.mark.parametrize("server", ["mockclaude", "uvicorn"])
def test_connections_beyond_the_cap_get_503(server: str) -> None:
    with MockClaude(server=server, max_connections=3) as m:
        held = [conn(m.port) for _ in range(3)]
        try:
            with conn(m.port) as extra:
                extra.sendall(b"GET /_mockclaude/health HTTP/1.1\r\nhost: localhost\r\n\r\n")
                assert read_all(extra).startswith(b"HTTP/1.1 503 ")
        finally:
            for s in held:
                s.close()
        for _ in range(20):  # the held connections' close reaches the server a moment later
            try:
                assert httpx.get(m.url + "/_mockclaude/health").status_code == 200
                break
            except (httpx.HTTPError, AssertionError):
                continue
        else:
            pytest.fail("the server did not accept connections again after the held ones closed")


def test_pipelined_requests_are_all_answered(mock: MockClaude) -> None:
    one = HEAD.format(n=len(BODY)).encode() + b"\r\n" + BODY
    with conn(mock.port) as s:
        s.sendall(one * 3 + b"GET /_mockclaude/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        answer = read_all(s)
    assert answer.count(b"HTTP/1.1 200 ") == 4


def test_the_journal_cap_counts_headers() -> None:
    j = Journal(max_bytes=10_000)
    for i in range(50):
        j.start(f"req_{i}", "POST", "/v1/messages", {"x-big": "h" * 1000}, b"{}")
    assert 5 <= len(j) <= 10


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ConfigError, match="header_timeout must be > 0"):
        MockClaude(header_timeout=0)


def test_a_big_body_ending_in_one_read_is_not_counted_as_the_next_head(mock: MockClaude) -> None:
    # one write: the end of a 200 KB body and the next request; the body's bytes are not head bytes
    big = b"[" * 100_000 + b"]" * 100_000
    first = HEAD.format(n=len(big)).encode() + b"\r\n" + big
    second = HEAD.format(n=len(BODY)).encode() + b"connection: close\r\n\r\n" + BODY
    with conn(mock.port) as s:
        s.sendall(first + second)
        answer = read_all(s)
    assert answer.count(b"HTTP/1.1 400 ") == 1 and answer.count(b"HTTP/1.1 200 ") == 1, answer[:200]
