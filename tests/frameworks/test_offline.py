"""The network guard of this suite works (so a framework that phones home would fail, not hang)."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connections_and_lookups_are_refused(no_network: list[str]) -> None:
    with socket.socket() as s, pytest.raises(OSError, match="network is off"):
        s.connect(("192.0.2.1", 443))
    with pytest.raises(OSError, match="network is off"):
        socket.create_connection(("api.anthropic.com", 443), timeout=5)
    assert no_network == ["connect ('192.0.2.1', 443)", "getaddrinfo 'api.anthropic.com'"]
    no_network.clear()  # expected here: the module's teardown check must not count them


def test_litellm_imports_and_prices_offline(no_network: list[str]) -> None:
    import litellm

    assert litellm.model_cost  # the bundled map, read without the network
    assert not no_network
