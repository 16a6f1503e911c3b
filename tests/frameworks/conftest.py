"""The framework suite: each framework through its own public API against a real server on loopback.

Nothing here may reach the network: every non-loopback connection or name lookup made while these
tests run is refused and recorded, and the test that made it fails (so a framework that would
phone home — LiteLLM's model-cost map and beta-header list — shows up instead of hanging offline).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from mockclaude import MockClaude

# LiteLLM reads these at import: its bundled model-cost map and beta-header list, not the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")

_LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(scope="module", autouse=True)
def no_network() -> Iterator[list[str]]:
    """Refuse (and record) any connection or lookup that is not loopback."""
    attempts: list[str] = []
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address and address[0] not in _LOCAL:
            attempts.append(f"connect {address!r}")
            raise OSError(101, f"network is off in tests/frameworks (tried {address!r})")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOCAL and host is not None:
            attempts.append(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"network is off in tests/frameworks (looked up {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts
    assert not attempts, f"a framework tried the network: {attempts}"


@pytest.fixture(scope="module")
def server(no_network: list[str]) -> Iterator[MockClaude]:
    """One real server per module (the parent conftest's, started after the network guard)."""
    with MockClaude() as mock:
        yield mock


@pytest.fixture
def mock(server: MockClaude) -> MockClaude:
    server.reset()
    server.clear_faults()
    return server
