"""Raw-socket helpers for the tests that speak HTTP/1.1 byte by byte (test_httpserver, test_limits)."""

from __future__ import annotations

import socket


def conn(port: int) -> socket.socket:
    """A connection to the server on loopback ``port``."""
    return socket.create_connection(("127.0.0.1", port), timeout=10)  # 10 s: a hang guard, not a timing check


def read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset counts as the end)."""
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except ConnectionResetError:
        pass
    return out
