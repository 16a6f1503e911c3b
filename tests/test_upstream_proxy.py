"""Recording through a proxy: only the upstream is ever asked for; the choice of proxy."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mockclaude import ConfigError, MockClaude
from mockclaude.cassette import Cassette
from mockclaude.upstream_proxy import proxy_for

HEADERS = {"x-api-key": "sk-test-key", "anthropic-version": "2023-06-01", "content-type": "application/json"}
BODY = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "via proxy"}]}


class ForwardProxy:
    """A minimal HTTP forward proxy on loopback that notes every target it is asked for."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.targets: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            f = conn.makefile("rb")
            line = f.readline().decode()
            method, target, _ = line.split(" ", 2)
            self.targets.append(target)
            headers, length = [], 0
            while (h := f.readline()) not in (b"\r\n", b""):
                name = h.split(b":", 1)[0].strip().lower()
                if name == b"content-length":
                    length = int(h.split(b":", 1)[1])
                if name not in (b"connection", b"proxy-connection"):
                    headers.append(h)
            body = f.read(length)
            u = urlsplit(target)
            with socket.create_connection((u.hostname, u.port or 80)) as up:
                path = u.path + (f"?{u.query}" if u.query else "")
                up.sendall(f"{method} {path} HTTP/1.1\r\n".encode() + b"".join(headers) + b"connection: close\r\n\r\n" + body)
                while data := up.recv(65536):
                    conn.sendall(data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy()
    yield p
    p.close()


def test_recording_goes_through_the_proxy_and_asks_only_for_the_upstream(tmp_path: Path, proxy: ForwardProxy) -> None:
    path = tmp_path / "c.yaml"
    with MockClaude() as up, MockClaude(cassette=path, record_mode="all", upstream=up.url, upstream_proxy=proxy.url) as rec:
        with httpx.Client(base_url=rec.url, headers=HEADERS) as h:
            assert h.post("/v1/messages", json=BODY).status_code == 200
            streamed = h.post("/v1/messages", json={**BODY, "stream": True})
            assert streamed.status_code == 200 and b"message_stop" in streamed.content
        assert [e.source for e in up.requests] == ["synthetic", "synthetic"]
    assert proxy.targets == [up.url + "/v1/messages"] * 2
    assert len(Cassette.load(path)) == 2


def test_the_proxy_choice() -> None:
    env = {"HTTPS_PROXY": "http://corp:3128", "http_proxy": "http://plain:8080"}
    assert proxy_for("https://api.anthropic.com", None, env) == "http://corp:3128"
    assert proxy_for("http://upstream.test:80", None, env) == "http://plain:8080"
    assert proxy_for("https://api.anthropic.com", None, {**env, "NO_PROXY": ".anthropic.com"}) is None
    assert proxy_for("http://127.0.0.1:9000", None, env) is None  # loopback: never via the environment
    assert proxy_for("http://127.0.0.1:9000", "http://explicit:1", env) == "http://explicit:1"
    assert proxy_for("https://api.anthropic.com", "none", env) is None
    assert proxy_for("https://api.anthropic.com", None, {}) is None
    with pytest.raises(ConfigError, match="proxy URL"):
        MockClaude(upstream_proxy="corp:3128")
