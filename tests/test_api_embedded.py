"""The embedded Python API: ``MockClaude(*, ...)`` and its socket-free paths for the official SDK."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import pytest

from mockclaude import ConfigError, MockClaude
from mockclaude.testing import MockClaudeFixture

MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module")
def offline() -> MockClaude:
    """Never started: everything below goes through the ASGI app, no socket."""
    return MockClaude()


@pytest.fixture
def mock(offline: MockClaude) -> MockClaude:
    offline.reset()
    return offline


def test_constructor_is_keyword_only_and_rejects_misspellings() -> None:
    with pytest.raises(TypeError):
        MockClaude("cassette.yaml")  # type: ignore[misc]
    with pytest.raises(ConfigError, match=r"unknown option\(s\) record_mod; valid options: .*record_mode"):
        MockClaude(record_mod="once")
    with pytest.raises(
        ConfigError, match="record_mode 'sometimes' is not one of: none, once, new_episodes, all"
    ):
        MockClaude(record_mode="sometimes", cassette="x.yaml")
    m = MockClaude(faults=["529:times=1"], api_key="sk-ant-only-this", strict_models=True)
    assert m.settings.faults == ("529:times=1",) and m.settings.api_key == "sk-ant-only-this"


def test_sync_sdk_without_a_socket(mock: MockClaude) -> None:
    assert mock.port == 0  # not started
    with anthropic.Anthropic(http_client=mock.sdk_http_client(), api_key="test", max_retries=0) as client:
        reply = client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
        assert reply.content[0].type == "text" and reply.stop_reason == "end_turn"
        with client.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
            text = stream.get_final_text()
        assert text == reply.content[0].text  # the synthetic answer is deterministic
        assert client.messages.count_tokens(model=MODEL, messages=HELLO).input_tokens > 0
    assert [e.path for e in mock.requests] == ["/v1/messages", "/v1/messages", "/v1/messages/count_tokens"]
    assert mock.requests[1].sent.startswith("sse:")
    assert mock.journal.entries()[0].body["messages"] == HELLO


def test_async_sdk_without_a_socket(mock: MockClaude) -> None:
    async def main() -> list[str]:
        async with anthropic.AsyncAnthropic(
            http_client=mock.async_sdk_http_client(), api_key="test", max_retries=0
        ) as client:
            reply = await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
            stream = await client.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
            kinds = [event.type async for event in stream]
            return [reply.stop_reason or "", *kinds]

    out = asyncio.run(main())
    assert out[0] == "end_turn" and out[1] == "message_start" and out[-1] == "message_stop"
    assert len(mock.requests) == 2


def test_faults_and_validation_through_the_socket_free_client(mock: MockClaude) -> None:
    mock.add_fault("429:times=2")
    assert [(f["spec"], f["remaining"]) for f in mock.faults] == [("429:times=2", 2)]
    with anthropic.Anthropic(http_client=mock.sdk_http_client(), api_key="test", max_retries=0) as client:
        for _ in range(2):
            with pytest.raises(anthropic.RateLimitError):
                client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
        with pytest.raises(anthropic.BadRequestError, match="bogus"):
            client.messages.create(model=MODEL, max_tokens=8, messages=HELLO, extra_body={"bogus": 1})
    assert [e.status for e in mock.requests] == [429, 429, 200, 400]
    rejected = mock.requests[-1]
    assert rejected.source == "error" and rejected.body["bogus"] == 1  # the journal keeps what was rejected
    mock.reset()
    assert mock.requests == [] and mock.faults == []


def test_retries_go_through_the_in_process_transport(mock: MockClaude) -> None:
    mock.add_fault("529:times=1:retry-after-ms=1")
    with anthropic.Anthropic(http_client=mock.sdk_http_client(), api_key="test", max_retries=2) as client:
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
    assert [e.status for e in mock.requests] == [529, 200]


def test_a_stalled_stream_times_out_in_process(mock: MockClaude) -> None:
    mock.add_fault("stall:after=1:seconds=3")
    with (
        anthropic.Anthropic(
            http_client=mock.sdk_http_client(), api_key="test", max_retries=0, timeout=0.3
        ) as client,
        pytest.raises(anthropic.APITimeoutError),
    ):
        client.messages.create(model=MODEL, max_tokens=8, messages=HELLO, stream=True)


def test_httpx_asgi_transport_and_asgi_app(mock: MockClaude) -> None:
    async def main() -> int:
        async with httpx.AsyncClient(transport=mock.transport(), base_url="http://mockclaude") as client:
            r = await client.get("/v1/models", headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
            return r.status_code

    assert asyncio.run(main()) == 200
    assert mock.asgi_app is mock.app


def test_the_sdk_rejects_plain_httpx_so_sdk_http_client_exists(mock: MockClaude) -> None:
    with pytest.raises(TypeError, match="httpx2"):
        anthropic.Anthropic(
            http_client=httpx.Client(transport=httpx.MockTransport(lambda r: None)), api_key="k"
        )  # type: ignore[arg-type]


def test_started_server_and_fixture_helpers() -> None:
    with MockClaude() as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port != 0
        view = MockClaudeFixture(server, server.settings)
        with pytest.raises(AssertionError, match="received no request"):
            _ = view.last_request
        with anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
            client.messages.create(model=MODEL, max_tokens=8, messages=HELLO)
        view.assert_called(1)
        view.assert_called_with(model=MODEL, messages=HELLO)
        with pytest.raises(
            AssertionError, match=r"model: expected \"claude-opus-4-1\", got \"claude-sonnet-4-6\""
        ):
            view.assert_called_with(model="claude-opus-4-1")
        with pytest.raises(AssertionError, match="no request has"):
            view.assert_any_call(max_tokens=9)
        assert view.problems() == []
        with pytest.raises(AssertionError, match="none was"), view.expect_errors():
            pass
