"""Recording through the proxy: real servers on 127.0.0.1 (the upstream is a second, synthetic MockClaude)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.cassette import Cassette

MODEL = "claude-sonnet-4-6"
HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def body(text: str, *, stream: bool = False, max_tokens: int = 64) -> dict[str, object]:
    b: dict[str, object] = {
        "model": MODEL,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
    }
    if stream:
        b["stream"] = True
    return b


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockClaude]:
    with MockClaude() as up:
        yield up


def sdk(mock: MockClaude, key: str = "sk-test-key") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock.url, api_key=key, max_retries=0)


def test_record_then_replay_round_trip_through_the_sdk(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "session.yaml"
    messages = [{"role": "user", "content": "What is a good name for a lighthouse cat?"}]
    with MockClaude(cassette=path, record_mode="once", upstream=upstream.url) as rec:
        with sdk(rec) as client:
            created = client.messages.create(model=MODEL, max_tokens=200, messages=messages)  # type: ignore[arg-type]
            with client.messages.stream(
                model=MODEL,
                max_tokens=100,
                messages=[*messages[:0], {"role": "user", "content": "Stream me a short poem."}],
            ) as stream:
                streamed_text = "".join(stream.text_stream)
                streamed = stream.get_final_message()
        with httpx.Client(base_url=rec.url, headers=HEADERS) as h:
            recorded_bytes = h.post("/v1/messages", json=body("Raw bytes please", stream=True)).content
        assert [e.source for e in rec.requests] == ["upstream"] * 3
    assert len(Cassette.load(path)) == 3

    # Replay: the upstream is not needed any more (record mode once + existing file = replay only).
    with MockClaude(cassette=path, record_mode="once", upstream="http://127.0.0.1:9") as rep:
        with sdk(rep) as client:
            again = client.messages.create(model=MODEL, max_tokens=200, messages=messages)  # type: ignore[arg-type]
            with client.messages.stream(
                model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "Stream me a short poem."}]
            ) as stream:
                assert "".join(stream.text_stream) == streamed_text
                streamed_again = stream.get_final_message()
        with httpx.Client(base_url=rep.url, headers=HEADERS) as h:
            replayed_bytes = h.post("/v1/messages", json=body("Raw bytes please", stream=True)).content
        assert [e.source for e in rep.requests] == ["cassette"] * 3
    assert again == created
    assert streamed_again == streamed
    assert replayed_bytes == recorded_bytes
    assert replayed_bytes.startswith(b"event: message_start\ndata: ")


def test_stream_replays_byte_for_byte_even_when_upstream_bytes_are_unusual(tmp_path: Path) -> None:
    """A stream recorded with CRLF line ends and comments is replayed with exactly those bytes."""
    evs = (
        b": keep-alive comment\r\n\r\n"
        b'event: message_start\r\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
        b'"role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,'
        b'"usage":{"input_tokens":1,"output_tokens":1}}}\r\n\r\n'
        b'event: content_block_start\r\ndata: {"type":"content_block_start","index":0,"content_block":'
        b'{"type":"text","text":""}}\r\n\r\n'
        b'event: content_block_delta\r\ndata: {"type":"content_block_delta","index":0,"delta":'
        b'{"type":"text_delta","text":"h\xc3\xa9llo"}}\r\n\r\n'
        b'event: content_block_stop\r\ndata: {"type":"content_block_stop","index":0}\r\n\r\n'
        b'event: message_delta\r\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
        b'"stop_sequence":null},"usage":{"output_tokens":2}}\r\n\r\n'
        b'event: message_stop\r\ndata: {"type":"message_stop"}\r\n\r\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=evs)

    from mockclaude.app import MockClaudeApp
    from mockclaude.config import Settings

    path = tmp_path / "odd.yaml"
    app = MockClaudeApp(Settings(cassette=path, record_mode="all", upstream="http://upstream.invalid"))
    app.responders[-1].transport = httpx.MockTransport(handler)

    async def go(a: MockClaudeApp) -> bytes:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t") as c:
            return (await c.post("/v1/messages", json=body("x", stream=True), headers=HEADERS)).content

    live = asyncio.run(go(app))
    assert b"h\xc3\xa9llo" in live
    assert Cassette.load(path)[0].response.raw == evs
    with MockClaude(cassette=path) as rep, httpx.Client(base_url=rep.url, headers=HEADERS) as h:
        assert h.post("/v1/messages", json=body("x", stream=True)).content == evs
        as_json = h.post("/v1/messages", json=body("x")).json()
    assert as_json["content"] == [{"type": "text", "text": "héllo"}]


def test_no_secret_from_request_headers_reaches_the_file(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "secret.yaml"
    api_key = "sk-ant-api03-DISTINCTIVEKEYxyz123456789"
    bearer = "sk-ant-oat01-DISTINCTIVEBEARERabc987654"
    cookie_secret = "sessionDISTINCTIVECOOKIE4242"
    with (
        MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as rec,
        httpx.Client(base_url=rec.url) as h,
    ):
        for stream in (False, True):
            r = h.post(
                "/v1/messages",
                json=body(f"secret test {stream}", stream=stream),
                headers={
                    "x-api-key": api_key,
                    "authorization": f"Bearer {bearer}",
                    "cookie": f"session={cookie_secret}; theme=dark",
                    "anthropic-version": "2023-06-01",
                    "anthropic-beta": "some-beta-2025-01-01",
                    "x-custom-trace": "trace-value",
                },
            )
            assert r.status_code == 200, r.text
        # The journal redacts too, and the upstream saw the auth headers forwarded.
        assert all(e.headers.get("x-api-key") == "[REDACTED]" for e in rec.requests)
    assert upstream.requests[-1].headers["x-api-key"] == "[REDACTED]"
    text = path.read_text()
    for secret in (api_key, bearer, cookie_secret, "DISTINCTIVE", "00000000-0000-4000-8000-00000000c1a0"):
        assert secret not in text
    c = Cassette.load(path)
    assert c[0].request.headers["x-api-key"] == "[REDACTED]"
    assert c[0].request.headers["authorization"] == "[REDACTED]"
    assert c[0].request.headers["anthropic-beta"] == "some-beta-2025-01-01"
    assert "cookie" not in c[0].request.headers and "x-custom-trace" not in c[0].request.headers
    assert c[0].response.headers["anthropic-organization-id"] == "[REDACTED]"


def test_configurable_redaction(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "r.yaml"
    with (
        MockClaude(
            cassette=path, record_mode="all", upstream=upstream.url, redact_headers=("anthropic-beta",)
        ) as rec,
        httpx.Client(base_url=rec.url, headers={**HEADERS, "anthropic-beta": "private-flag-123456"}) as h,
    ):
        assert h.post("/v1/messages", json=body("hello")).status_code == 200
    assert "private-flag-123456" not in path.read_text()
    assert Cassette.load(path)[0].request.headers["anthropic-beta"] == "[REDACTED]"


def test_fifty_concurrent_recordings(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "many.yaml"

    async def run(url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30) as c:
            rs = await asyncio.gather(
                *(c.post("/v1/messages", json=body(f"question {i}", stream=i % 2 == 0)) for i in range(50))
            )
        return [r.status_code for r in rs]

    with MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as rec:
        assert asyncio.run(run(rec.url)) == [200] * 50
    c = Cassette.load(path)
    assert len(c) == 50
    texts = sorted(it.request.body["messages"][0]["content"] for it in c)
    assert texts == sorted(f"question {i}" for i in range(50))
    assert sum(1 for it in c if it.response.events is not None) == 25
    for it in c:
        msg = it.response.message()
        assert msg is not None and it.request.body["messages"][0]["content"] in msg["content"][0]["text"]
    assert [p.name for p in tmp_path.iterdir()] == ["many.yaml"]


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port bound but never listening: connections to it are refused, and no other
    server (another test, another session on the machine) can take it while the test runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


def test_upstream_unreachable_is_a_clear_5xx(tmp_path: Path, dead_port: int) -> None:
    path = tmp_path / "down.yaml"
    dead = f"http://127.0.0.1:{dead_port}"
    with MockClaude(cassette=path, record_mode="all", upstream=dead) as rec, sdk(rec) as client:
        with pytest.raises(anthropic.InternalServerError) as info:
            client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert info.value.status_code == 502
        err = info.value.body["error"]  # type: ignore[index]
        assert (
            err["type"] == "api_error"
            and dead in err["message"]
            and "cannot reach upstream" in err["message"]
        )
        assert info.value.response.headers["x-should-retry"] == "false"
    assert not path.exists()  # nothing recorded


def test_upstream_errors_are_recorded_and_passed_through(tmp_path: Path) -> None:
    path = tmp_path / "err.yaml"
    with (
        MockClaude(api_key="sk-the-right-key") as strict_upstream,
        MockClaude(cassette=path, record_mode="all", upstream=strict_upstream.url) as rec,
        sdk(rec, key="sk-the-wrong-key") as client,
        pytest.raises(anthropic.AuthenticationError),
    ):
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    c = Cassette.load(path)
    assert c[0].response.status == 401
    assert c[0].response.body["error"]["type"] == "authentication_error"
    with MockClaude(cassette=path) as rep, sdk(rep, key="anything") as client:
        with pytest.raises(anthropic.AuthenticationError) as info:
            client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert info.value.body == c[0].response.body


def test_record_modes(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "modes.yaml"

    def post(mock: MockClaude, text: str) -> httpx.Response:
        with httpx.Client(base_url=mock.url, headers=HEADERS) as h:
            return h.post("/v1/messages", json=body(text))

    # once, no file: records
    with MockClaude(cassette=path, record_mode="once", upstream=upstream.url) as m:
        assert post(m, "a").status_code == 200
    assert len(Cassette.load(path)) == 1
    # once, file exists: replay only, the rest is an error, the file is unchanged
    before = path.read_bytes()
    with MockClaude(cassette=path, record_mode="once", upstream=upstream.url) as m:
        assert post(m, "a").status_code == 200
        assert post(m, "b").status_code == 400
        assert len(m.app.unmatched) == 1
    assert path.read_bytes() == before
    # new_episodes: replays a, records b (once: repeats replay the new recording)
    with MockClaude(cassette=path, record_mode="new_episodes", upstream=upstream.url) as m:
        assert post(m, "a").status_code == 200
        assert post(m, "b").status_code == 200
        assert post(m, "b").status_code == 200
        assert [e.source for e in m.requests] == ["cassette", "upstream", "cassette"]
    assert [it.request.body["messages"][0]["content"] for it in Cassette.load(path)] == ["a", "b"]
    # all: always records, the file is replaced by this session
    with MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as m:
        assert post(m, "c").status_code == 200
        assert post(m, "c").status_code == 200
        assert [e.source for e in m.requests] == ["upstream", "upstream"]
    assert [it.request.body["messages"][0]["content"] for it in Cassette.load(path)] == ["c", "c"]
    # none: replay only
    with MockClaude(cassette=path, upstream=upstream.url) as m:
        assert post(m, "c").status_code == 200
        assert post(m, "a").status_code == 400
    assert len(upstream.requests) >= 4


def test_recorded_thinking_signatures_are_accepted_in_the_next_turn(tmp_path: Path) -> None:
    """Record a thinking turn with tools, then send the thinking block back (as a real client does).

    The upstream signs with another key, as the real API does: only signatures remembered from the
    recording (live, and from the file on replay) make the next turn valid."""
    with MockClaude(signing_key="the-upstream-has-its-own-key") as upstream:
        _thinking_round_trip(tmp_path, upstream)


def _thinking_round_trip(tmp_path: Path, upstream: MockClaude) -> None:
    path = tmp_path / "think.yaml"
    tools = [
        {
            "name": "lookup",
            "description": "Look something up.",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        }
    ]
    first = {
        "model": MODEL,
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": tools,
        "messages": [{"role": "user", "content": "Use the lookup tool for 'tides'."}],
    }
    with (
        MockClaude(cassette=path, record_mode="all", upstream=upstream.url) as m,
        httpx.Client(base_url=m.url, headers=HEADERS) as h,
    ):
        r = h.post("/v1/messages", json=first)
        assert r.status_code == 200, r.text
        msg = r.json()
        assert msg["content"][0]["type"] == "thinking"
        tool_use = next(b for b in msg["content"] if b["type"] == "tool_use")
        second = dict(
            first,
            messages=[
                *first["messages"],  # type: ignore[list-item]
                {"role": "assistant", "content": msg["content"]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "ok"}],
                },
            ],
        )
        r2 = h.post("/v1/messages", json=second)  # recorded live: the signature was just remembered
        assert r2.status_code == 200, r2.text
        forged = json.loads(json.dumps(second))
        forged["messages"][1]["content"][0]["signature"] = "Zm9yZ2Vk" * 8
        r3 = h.post("/v1/messages", json=forged)
        assert r3.status_code == 400 and "signature" in r3.json()["error"]["message"]
    with MockClaude(cassette=path) as rep, httpx.Client(base_url=rep.url, headers=HEADERS) as h:
        assert h.post("/v1/messages", json=first).json() == msg
        # The replaying server knows the signatures in the file: the second turn validates and replays.
        assert h.post("/v1/messages", json=second).status_code == 200
        r4 = h.post("/v1/messages", json=forged)
        assert r4.status_code == 400 and r4.headers.get("x-mockclaude-unmatched") is None


def _recording_app(path: Path, handler: Any) -> Any:
    from mockclaude.app import MockClaudeApp
    from mockclaude.config import Settings

    app = MockClaudeApp(Settings(cassette=path, record_mode="all", upstream="https://upstream.example/base"))
    app.responders[-1].transport = httpx.MockTransport(handler)
    return app


async def _post(app: Any, url: str, payload: dict[str, object], headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.post(url, json=payload, headers=headers)


def test_only_the_configured_upstream_is_called_with_only_the_forwarded_headers(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            302, headers={"location": "https://elsewhere.example/", "content-type": "text/html"}
        )

    app = _recording_app(tmp_path / "c.yaml", handler)
    extra = {**HEADERS, "cookie": "a=b", "x-forwarded-for": "10.0.0.1", "anthropic-beta": "flag-1"}
    r = asyncio.run(_post(app, "/v1/messages?beta=true", body("hi"), extra))
    assert r.status_code == 302  # passed through, not followed
    assert len(seen) == 1
    assert str(seen[0].url) == "https://upstream.example/base/v1/messages?beta=true"
    assert {
        k
        for k in seen[0].headers
        if k not in ("host", "content-length", "accept-encoding", "connection", "user-agent")
    } == {
        "x-api-key",
        "anthropic-version",
        "anthropic-beta",
        "content-type",
        "accept",
    }
    assert Cassette.load(tmp_path / "c.yaml")[0].request.query == "beta=true"


def test_a_stream_broken_by_the_network_is_ended_with_an_error_event_and_not_recorded(tmp_path: Path) -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
            yield b'"role":"assistant","model":"x","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
            raise httpx.ReadError("connection reset by peer")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Broken())

    app = _recording_app(tmp_path / "c.yaml", handler)
    r = asyncio.run(_post(app, "/v1/messages", body("hi", stream=True), HEADERS))
    from mockclaude.sse import decode_all

    events = decode_all(r.content)
    assert [e.name for e in events] == ["message_start", "error"]
    assert "upstream stream broke" in events[-1].data
    assert not (tmp_path / "c.yaml").exists()


def test_the_upstream_client_is_closed_when_sending_fails_unexpectedly(tmp_path: Path) -> None:
    class Failing(httpx.AsyncBaseTransport):
        closed = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("not an httpx error")

        async def aclose(self) -> None:
            Failing.closed += 1

    app = _recording_app(tmp_path / "c.yaml", lambda request: None)
    app.responders[-1].transport = Failing()
    r = asyncio.run(_post(app, "/v1/messages", body("hi"), HEADERS))
    assert r.status_code == 500
    assert Failing.closed == 1
    assert not (tmp_path / "c.yaml").exists()
