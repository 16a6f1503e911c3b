from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"  # current (not deprecated: the SDK warns on deprecated ids)


@pytest.fixture(scope="module")
def server() -> Iterator[MockClaude]:
    """A real mockclaude server on 127.0.0.1 and a free port, embedded default answers."""
    with MockClaude() as mock:
        yield mock


@pytest.fixture
def mock(server: MockClaude) -> MockClaude:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockClaude):  # type: ignore[no-untyped-def]
    import anthropic

    with anthropic.Anthropic(base_url=mock.url, api_key="sk-ant-test-key", max_retries=0) as c:
        yield c
