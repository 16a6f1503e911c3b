"""mockclaude's own HTTP/1.1 server over raw sockets: keep-alive, pipelining, chunked bodies,
100-continue, HTTP/1.0, streams and flow control, disconnects, bounds, idle timeout, shutdown —
the same checks on ``server="uvicorn"`` wherever the two are meant to behave alike."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.config import Settings
from mockclaude.server import bind_socket, server_kind, uvicorn_config
from tests.rawsocket import conn, read_all

SERVERS = ["mockclaude", "uvicorn"]
BODY = b'{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
STREAM = b'{"model":"claude-sonnet-4-6","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
HEAD = (
    b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
    b"content-type: application/json\r\n"
)


def post(body: bytes = BODY, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    head = HEAD.replace(b"HTTP/1.1", b"HTTP/" + version, 1)
    return head + b"content-length: %d\r\n" % len(body) + extra + b"\r\n" + body


@pytest.fixture(scope="module", params=SERVERS)
def mock(request: pytest.FixtureRequest) -> Iterator[MockClaude]:
    with MockClaude(server=request.param, keepalive_timeout=0.3, header_timeout=5) as m:
        yield m


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "mock" in request.fixturenames:
        request.getfixturevalue("mock").reset()


def read_answer(s: socket.socket, buf: bytes = b"") -> tuple[bytes, bytes, bytes]:
    """One answer from ``s`` (content-length or chunked): (head, body, what was read beyond it)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += s.recv(65536)
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(rest) < size + 2:
                more = s.recv(65536)
                assert more
                rest += more
            body, rest = body + rest[:size], rest[size + 2:]
            if size == 0:
                return head, body, rest
    length = int(lower.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    while len(rest) < length:
        more = s.recv(65536)
        assert more
        rest += more
    return head, rest[:length], rest[length:]


# --- HTTP/1.1 on the double -----------------------------------------------------------------------------


def test_keep_alive_serves_requests_one_after_another(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        for _ in range(3):
            s.sendall(post())
            head, body, rest = read_answer(s)
            assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["type"] == "message" and rest == b""
            assert b"connection: close" not in head.lower()


def test_pipelined_requests_are_answered_in_order(mock: MockClaude) -> None:
    gets = [b"GET /_mockclaude/health HTTP/1.1\r\nhost: localhost\r\n\r\n",
            b"GET /v1/models HTTP/1.1\r\nhost: localhost\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n\r\n"]
    with conn(mock.port) as s:
        s.sendall(post() + gets[0] + post(b'{"model":"x"}') + gets[1] + post(extra=b"connection: close\r\n"))
        answers, rest = [], b""
        for _ in range(5):
            head, body, rest = read_answer(s, rest)
            answers.append((head.split(b" ", 2)[1], json.loads(body)))
        assert read_all(s) == b""  # connection: close on the last one
    assert [a[0] for a in answers] == [b"200", b"200", b"400", b"200", b"200"]
    assert answers[0][1]["type"] == "message" and answers[1][1] == {"status": "ok"}
    assert answers[3][1]["data"] and answers[4][1]["type"] == "message"


def test_a_body_arriving_in_many_pieces(mock: MockClaude) -> None:
    raw = post()
    with conn(mock.port) as s:
        split = raw.index(b"\r\n\r\n") + 4
        s.sendall(raw[:split])
        for i in range(split, len(raw), 7):
            s.sendall(raw[i:i + 7])
            time.sleep(0.002)
        head, body, _ = read_answer(s)
    assert json.loads(body)["type"] == "message"
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert mock.requests[-1].body == json.loads(BODY)


def test_a_chunked_request_body(mock: MockClaude) -> None:
    pieces = [BODY[:10], BODY[10:50], BODY[50:]]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    with conn(mock.port) as s:
        s.sendall(HEAD + b"transfer-encoding: chunked\r\n\r\n" + chunked)
        head, body, _ = read_answer(s)
    assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["type"] == "message"


def test_expect_100_continue(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(HEAD + b"expect: 100-continue\r\ncontent-length: %d\r\n\r\n" % len(BODY))
        first = b""
        while b"\r\n\r\n" not in first:
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")  # before any body byte was sent
        s.sendall(BODY)
        head, body, _ = read_answer(s, first.split(b"\r\n\r\n", 1)[1])
    assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["type"] == "message"


def test_http_1_0_is_answered_and_closed(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(post(version=b"1.0"))
        answer = read_all(s)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ") and b"connection: close" in head.lower()
    assert json.loads(body)["type"] == "message"


def test_connection_close_is_honoured(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(post(extra=b"connection: close\r\n"))
        answer = read_all(s)
    assert answer.count(b"HTTP/1.1 200 ") == 1 and b"connection: close" in answer.lower()


def test_the_response_headers_and_their_order(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(post())
        head, _, _ = read_answer(s)
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n")[1:]]
    assert names[:3] == [b"date", b"server", b"request-id"]
    assert names[-2:] == [b"content-length", b"content-type"]
    assert b"anthropic-ratelimit-requests-limit" in names and len(names) == len(set(names))


def test_a_stream_without_length_is_chunked(mock: MockClaude) -> None:
    mock.add_fault("chunk:size=40")  # the body written 40 bytes at a time: no content-length
    with conn(mock.port) as s:
        s.sendall(post(STREAM))
        head, body, _ = read_answer(s)
    assert b"transfer-encoding: chunked" in head.lower() and b"content-length" not in head.lower()
    assert body.startswith(b"event: message_start") and body.rstrip().endswith(b'{"type":"message_stop"}')


def test_a_client_gone_mid_stream_leaves_the_server_serving(mock: MockClaude) -> None:
    mock.add_fault("drip:interval=0.05:times=1")
    with conn(mock.port) as s:
        s.sendall(post(STREAM))
        got = b""
        while b"event: message_start" not in got:
            got += s.recv(65536)
    with conn(mock.port) as s:  # the next one is answered whole
        s.sendall(post(extra=b"connection: close\r\n"))
        assert read_all(s).startswith(b"HTTP/1.1 200 ")


def test_idle_keep_alive_connections_are_closed(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(post())
        read_answer(s)
        assert read_all(s) == b""  # closed by the server (keepalive_timeout 0.3 s), without an answer


def test_malformed_http_gets_the_api_error_body(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = read_all(s)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in head
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_oversized_head_431_then_served_again(mock: MockClaude) -> None:
    with conn(mock.port) as s:
        s.sendall(post(extra=b"x-big: " + b"a" * 200_000 + b"\r\n"))
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["type"] == "invalid_request_error"
    with conn(mock.port) as s:
        s.sendall(post(extra=b"connection: close\r\n"))
        assert read_all(s).startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("kind", ["reset", "empty", "garbage:bytes=64"])
def test_connection_faults_cut_the_connection(mock: MockClaude, kind: str) -> None:
    mock.add_fault(f"{kind}:times=1")
    with conn(mock.port) as s:
        s.sendall(post())
        answer = read_all(s)
    assert not answer.startswith(b"HTTP/1.1 200 ")
    with conn(mock.port) as s:
        s.sendall(post(extra=b"connection: close\r\n"))
        assert read_all(s).startswith(b"HTTP/1.1 200 ")


# --- the ASGI contract, with small apps of our own -------------------------------------------------


@contextmanager
def serving(app: Any, kind: str, **options: Any) -> Iterator[int]:
    """``app`` (any ASGI callable) on ``kind``'s server; yields the port."""
    settings = Settings(**options)
    app.settings = settings
    sock = bind_socket()
    if kind == "mockclaude":
        from mockclaude.httpserver import HttpServer

        server: Any = HttpServer(app)
        started = server.started.is_set
    else:
        import uvicorn

        server = uvicorn.Server(uvicorn_config(app))
        started = lambda: server.started  # noqa: E731
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not started():
        assert thread.is_alive()
        time.sleep(0.005)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Recorder:
    """An ASGI app that answers with what ``answer`` does and keeps what it saw."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.seen: list[Any] = []
        self.done = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.answer(self, scope, receive, send)
        finally:
            self.done.set()


@pytest.mark.parametrize("kind", SERVERS)
def test_receive_reports_the_disconnect_and_send_after_it_is_harmless(kind: str) -> None:
    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        rec.seen.append(await receive())  # the (empty) body
        rec.seen.append(await receive())  # blocks until the client hangs up
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"late"})
        rec.seen.append("sent")

    rec = Recorder(answer)
    with serving(rec, kind) as port:
        with conn(port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            time.sleep(0.05)
        assert rec.done.wait(10)
    assert rec.seen[0]["type"] == "http.request" and rec.seen[1] == {"type": "http.disconnect"}
    assert rec.seen[2] == "sent"


@pytest.mark.parametrize("kind", SERVERS)
def test_header_injection_from_the_app_is_refused(kind: str) -> None:
    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-recorded", b"v\r\nset-cookie: evil=1"), (b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    with serving(Recorder(answer), kind) as port, conn(port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        answer_bytes = read_all(s)
    assert b"evil" not in answer_bytes and b" 200 " not in answer_bytes
    if kind == "mockclaude":  # (uvicorn closes the connection without an answer)
        assert answer_bytes.startswith(b"HTTP/1.1 500 ")
        assert json.loads(answer_bytes.split(b"\r\n\r\n", 1)[1])["error"]["type"] == "api_error"


@pytest.mark.parametrize("kind", SERVERS)
def test_a_big_stream_to_a_slow_reader_arrives_whole(kind: str) -> None:
    piece = bytes(range(256)) * 256  # 64 KiB

    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/x-test")]})
        for _ in range(96):  # 6 MiB: beyond any socket buffer, so writing pauses
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    with serving(Recorder(answer), kind) as port, conn(port) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        time.sleep(0.2)  # let the server fill the buffers before reading
        head, body, _ = read_answer(s)
    assert b"transfer-encoding: chunked" in head and body == piece * 96


@pytest.mark.parametrize("kind", SERVERS)
def test_a_big_request_body_is_read_whole(kind: str) -> None:
    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message["body"])
            more = message["more_body"]
            await asyncio.sleep(0)  # a slow consumer: reading pauses meanwhile
        body = str(size).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    data = b"z" * (3 * 1024 * 1024)
    with serving(Recorder(answer), kind) as port, conn(port) as s:
        s.sendall(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n" % len(data) + data)
        _, body, _ = read_answer(s)
    assert body == str(len(data)).encode()


def test_http_1_0_streams_end_with_the_connection() -> None:
    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one ", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    with serving(Recorder(answer), "mockclaude") as port, conn(port) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        head, body = read_all(s).split(b"\r\n\r\n", 1)
    assert b"transfer-encoding" not in head and b"connection: close" in head and body == b"one two"


@pytest.mark.parametrize("kind", SERVERS)
def test_shutdown_lets_a_stream_in_flight_finish(kind: str) -> None:
    m = MockClaude(server=kind, faults=["drip:interval=0.02"]).start()
    with conn(m.port) as s:
        s.sendall(post(STREAM))
        got = b""
        while b"message_start" not in got:
            got += s.recv(65536)
        stopper = threading.Thread(target=m.stop)
        stopper.start()
        got += read_all(s)  # the rest of the stream, then the close
        stopper.join(10)
    assert not stopper.is_alive()
    assert got.endswith(b"0\r\n\r\n") and b'"type":"message_stop"' in got


@pytest.mark.parametrize("kind", SERVERS)
def test_sigterm_while_streaming_finishes_the_stream_then_exits_0(kind: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mockclaude", "serve", "--port", "0", "--server", kind,
                             "--fault", "drip:interval=0.02"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(PYTHONUNBUFFERED="1"))
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        with conn(port) as s:
            s.sendall(post(STREAM))
            got = b""
            while b"message_start" not in got:
                got += s.recv(65536)
            proc.terminate()
            got += read_all(s)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:  # (only when the test failed before the one SIGTERM it sends)
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert got.endswith(b"0\r\n\r\n") and b'"type":"message_stop"' in got


# --- choosing the server -----------------------------------------------------------------------------


def test_server_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKCLAUDE_SERVER", raising=False)
    assert server_kind(Settings()) == "mockclaude"
    assert server_kind(Settings(server="uvicorn")) == "uvicorn"
    monkeypatch.setenv("MOCKCLAUDE_SERVER", "uvicorn")
    assert server_kind(Settings()) == "uvicorn" and server_kind(Settings(server="mockclaude")) == "mockclaude"


def _env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MOCKCLAUDE_")} | extra


@pytest.mark.parametrize(("args", "env"), [(["--server", "nginx"], {}), ([], {"MOCKCLAUDE_SERVER": "nginx"})])
def test_a_bad_server_is_refused_before_listening(args: list[str], env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "mockclaude", "serve", "--port", "0", *args],
                         capture_output=True, text=True, env=_env(**env), timeout=60)
    assert out.returncode == 2 and "listening" not in out.stdout
    assert "'nginx' is not one of: auto, mockclaude, uvicorn" in out.stderr and "Traceback" not in out.stderr


def test_the_serve_path_imports_neither_uvicorn_nor_click() -> None:
    code = (
        "import sys, mockclaude.httpserver as h\n"
        "h.HttpServer.run = lambda self, socks, signals=False: print(sorted(m for m in ('uvicorn', 'click') if m in sys.modules))\n"
        "from mockclaude.cli import main\n"
        "sys.exit(main(['serve', '--port', '0']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("kind", SERVERS)
def test_cli_access_log_line(kind: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mockclaude", "serve", "--port", "0", "--server", kind, "--access-log"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(PYTHONUNBUFFERED="1"))
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        proc.stdout.readline()
        assert httpx.get(url + "/_mockclaude/health?api_key=sk-ant-secret").status_code == 200
        time.sleep(0.2)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    line = next(x for x in out.splitlines() if "GET" in x)
    assert line.startswith("INFO:     127.0.0.1:")
    assert line.endswith('- "GET /_mockclaude/health?api_key=[REDACTED] HTTP/1.1" 200 OK') and "secret" not in out


def test_an_answer_before_100_continue_closes_the_connection() -> None:
    with MockClaude(api_key="right") as m, conn(m.port) as s:
        s.sendall(HEAD.replace(b"x-api-key: k", b"x-api-key: wrong")
                  + b"expect: 100-continue\r\ncontent-length: %d\r\n\r\n" % len(BODY))
        answer = read_all(s)  # the 401 without the body ever sent, then the close
    assert answer.startswith(b"HTTP/1.1 401 ") and b"100 Continue" not in answer


def test_without_httptools_auto_falls_back_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockclaude import ConfigError

    monkeypatch.delenv("MOCKCLAUDE_SERVER", raising=False)
    monkeypatch.setitem(sys.modules, "httptools", None)  # import httptools now raises ImportError
    assert server_kind(Settings()) == "uvicorn"
    with pytest.raises(ConfigError, match="server 'mockclaude' needs httptools"):
        server_kind(Settings(server="mockclaude"))


def test_an_answer_longer_than_the_graceful_bound_is_cut_at_shutdown() -> None:
    from mockclaude.httpserver import HttpServer

    async def answer(rec: Recorder, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:  # never ends on its own
            await send({"type": "http.response.body", "body": b"tick\n", "more_body": True})
            await asyncio.sleep(0.01)

    rec = Recorder(answer)
    rec.settings = Settings()  # type: ignore[attr-defined]
    server = HttpServer(rec, graceful_timeout=0.2)
    sock = bind_socket()
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    assert server.started.wait(10)
    with conn(sock.getsockname()[1]) as s:
        s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        got = s.recv(65536)
        server.stop()
        got += read_all(s)  # ends: the server closed the connection after the bound
        thread.join(10)
    sock.close()
    assert not thread.is_alive() and rec.done.is_set()
    assert b"tick" in got and not got.endswith(b"0\r\n\r\n")  # cut, not completed
