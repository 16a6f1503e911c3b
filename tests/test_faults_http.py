"""Faults against a real server on 127.0.0.1 and the real Python SDK (and raw httpx where the SDK
would hide what is on the wire)."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import time
from typing import Any

import anthropic
import httpx
import pytest

from mockclaude import MockClaude, faults

MODEL = "claude-sonnet-4-6"
MSG = [{"role": "user", "content": "hello there"}]
HEADERS = {"x-api-key": "test", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def sdk(mock: MockClaude, retries: int = 0, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock.url, api_key="test", max_retries=retries, **kw)


def create(client: anthropic.Anthropic, **kw: Any) -> Any:
    return client.messages.create(model=MODEL, max_tokens=64, messages=MSG, **kw)  # type: ignore[arg-type]


def open_stream(client: anthropic.Anthropic) -> Any:
    return client.messages.stream(model=MODEL, max_tokens=64, messages=MSG)  # type: ignore[arg-type]


def body(stream: bool = False) -> bytes:
    return json.dumps({"model": MODEL, "max_tokens": 64, "messages": MSG, "stream": stream}).encode()


def post(mock: MockClaude, spec: str | None = None, stream: bool = False) -> httpx.Response:
    h = dict(HEADERS)
    if spec:
        h["x-mockclaude-fault"] = spec
    return httpx.post(mock.url + "/v1/messages", content=body(stream), headers=h, timeout=5)


# --- retries and HTTP errors -------------------------------------------------------------------


def test_sdk_retries_429_twice_then_succeeds_honouring_retry_after_ms(mock: MockClaude) -> None:
    mock.add_fault("429:times=2:retry-after-ms=200")
    with sdk(mock, retries=2) as client:
        msg = create(client)
    assert msg.type == "message"
    reqs = mock.requests
    assert [r.status for r in reqs] == [429, 429, 200]
    assert [r.fault for r in reqs] == ["429:times=2:retry-after-ms=200"] * 2 + [None]
    assert [r.headers["x-stainless-retry-count"] for r in reqs] == ["0", "1", "2"]
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(reqs)]
    assert all(0.19 <= g < 0.6 for g in gaps), gaps


def test_sdk_honours_retry_after_seconds(mock: MockClaude) -> None:
    mock.add_fault(faults.rate_limited(retry_after=0.3, times=1))
    with sdk(mock, retries=1) as client:
        create(client)
    a, b = mock.requests
    assert a.response_headers["retry-after"] == "0.3"
    assert 0.29 <= b.monotonic - a.monotonic < 0.8


def test_sdk_raises_rate_limit_error_without_retries(mock: MockClaude) -> None:
    mock.add_fault("429")
    with sdk(mock) as client, pytest.raises(anthropic.RateLimitError) as info:
        create(client)
    err = info.value
    assert err.status_code == 429
    assert err.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    assert "rate limit" in err.body["error"]["message"]  # type: ignore[index]
    assert err.response.headers["retry-after"] == "1"
    assert err.response.headers["x-should-retry"] == "true"
    assert err.response.headers["request-id"].startswith("req_")
    assert len(mock.requests) == 1


def test_529_raises_the_sdk_overloaded_error(mock: MockClaude) -> None:
    mock.add_fault(faults.overloaded())
    with sdk(mock) as client, pytest.raises(anthropic.OverloadedError) as info:
        create(client)
    assert info.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": info.value.response.headers["request-id"],
    }


@pytest.mark.parametrize(
    ("spec", "status", "etype", "message", "exc"),
    [
        ("500", 500, "api_error", "Internal server error", anthropic.InternalServerError),
        ("504", 504, "timeout_error", "Request timed out", anthropic.InternalServerError),
        ("408", 408, "timeout_error", "Request timed out", anthropic.APIStatusError),
        ("409", 409, "conflict_error", "Conflict", anthropic.ConflictError),
        ("500:message=db down:type=api_error", 500, "api_error", "db down", anthropic.InternalServerError),
    ],
)
def test_http_error_kinds(mock: MockClaude, spec: str, status: int, etype: str, message: str, exc: type) -> None:
    mock.add_fault(spec)
    with sdk(mock) as client, pytest.raises(exc) as info:
        create(client)
    assert info.value.status_code == status
    assert info.value.body["error"] == {"type": etype, "message": message}
    assert info.value.body["type"] == "error"


def test_413_has_the_edge_body(mock: MockClaude) -> None:
    r = post(mock, "413")
    assert r.status_code == 413
    assert r.json() == {"error": {"type": "request_too_large", "message": "Request exceeds the maximum size"}}


def test_should_retry_false_stops_the_sdk(mock: MockClaude) -> None:
    mock.add_fault("529:should-retry=false")
    with sdk(mock, retries=3) as client, pytest.raises(anthropic.OverloadedError):
        create(client)
    assert len(mock.requests) == 1
    assert mock.requests[0].response_headers["x-should-retry"] == "false"


def test_should_retry_true_makes_the_sdk_retry_a_400_class(mock: MockClaude) -> None:
    mock.add_fault("413:should-retry=true:retry-after-ms=10:times=1")
    with sdk(mock, retries=1) as client:
        create(client)
    assert [r.status for r in mock.requests] == [413, 200]


def test_rate_over_http_is_reproducible(mock: MockClaude) -> None:
    def run() -> list[int]:
        mock.reset()
        mock.add_fault("529:rate=0.3:seed=11")
        return [post(mock).status_code for _ in range(30)]

    a, b = run(), run()
    assert a == b
    assert 529 in a and 200 in a


# --- stream faults -----------------------------------------------------------------------------


def test_mid_stream_error_raises_overloaded_in_the_sdk(mock: MockClaude) -> None:
    mock.add_fault("stream-error:after=3")
    seen = []
    with sdk(mock) as client, pytest.raises(anthropic.APIStatusError) as info, open_stream(client) as stream:
        for ev in stream:
            seen.append(ev.type)
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert info.value.response.status_code == 200  # the status was already sent
    assert "message_stop" not in seen
    (entry,) = mock.requests
    assert entry.status == 200 and entry.sent == "error event after 3 events"


def test_stream_error_on_a_non_streaming_request_is_the_http_error(mock: MockClaude) -> None:
    mock.add_fault("stream-error:after=3:type=api_error")
    with sdk(mock) as client, pytest.raises(anthropic.InternalServerError) as info:
        create(client)
    assert info.value.status_code == 500


def test_cut_stream_is_an_error_for_the_sdk_not_a_complete_answer(mock: MockClaude) -> None:
    mock.add_fault(faults.cut_stream(after_events=3))
    seen: list[str] = []
    with sdk(mock) as client, pytest.raises(Exception) as info, open_stream(client) as stream:
        for ev in stream:
            seen.append(ev.type)
    assert "incomplete chunked read" in str(info.value)  # httpx: RemoteProtocolError, not wrapped
    assert seen[0] == "message_start" and "message_stop" not in seen
    (entry,) = mock.requests
    assert entry.sent == "cut after 3 events" and entry.status == 200


def test_clean_end_without_message_stop_is_not_noticed_by_the_sdk(mock: MockClaude) -> None:
    # What we found: the SDK does not check for message_stop; a stream that ends cleanly at the HTTP
    # level without it yields a partial message. That is why cut-stream drops the connection.
    mock.add_fault("cut-stream:after=4:clean=true")
    with sdk(mock) as client, open_stream(client) as stream:
        msg = stream.get_final_message()
    assert msg.stop_reason is None
    assert mock.requests[0].sent == "ended cleanly after 4 events, no message_stop"


def test_cut_on_a_non_streaming_request_drops_mid_body_and_the_sdk_retries(mock: MockClaude) -> None:
    mock.add_fault("cut-stream:times=1")
    with sdk(mock, retries=1) as client:
        create(client)  # a connection error is retried
    first, second = mock.requests
    assert first.sent is not None and first.sent.startswith("cut after ")
    assert second.status == 200 and second.fault is None


def test_stall_pauses_then_completes(mock: MockClaude) -> None:
    mock.add_fault("stall:after=2:seconds=0.3")
    t0 = time.monotonic()
    with sdk(mock) as client, open_stream(client) as stream:
        msg = stream.get_final_message()
    assert time.monotonic() - t0 >= 0.3
    assert msg.stop_reason == "end_turn"
    assert "stalled 0.3s after 2 events" in (mock.requests[0].sent or "")


def test_stall_beyond_the_client_read_timeout_times_out(mock: MockClaude) -> None:
    mock.add_fault("stall:after=1:seconds=1")
    with sdk(mock, timeout=anthropic.Timeout(5, read=0.2)) as client, pytest.raises(Exception) as info, open_stream(client) as stream:
        stream.get_final_message()
    assert "timeout" in type(info.value).__name__.lower() or "timed out" in str(info.value).lower()


def test_drip_interval_paces_events(mock: MockClaude) -> None:
    t0 = time.monotonic()
    with httpx.stream(
        "POST", mock.url + "/v1/messages", content=body(True), headers={**HEADERS, "x-mockclaude-fault": "drip:interval=0.02"}
    ) as r:
        arrivals = []
        for line in r.iter_lines():
            if line.startswith("event:"):
                arrivals.append(time.monotonic() - t0)
    assert len(arrivals) > 5
    assert arrivals[-1] - arrivals[0] >= 0.02 * (len(arrivals) - 1) * 0.9


def test_drip_bps(mock: MockClaude) -> None:
    t0 = time.monotonic()
    r = post(mock, "drip:bps=20000", stream=True)
    elapsed = time.monotonic() - t0
    assert r.status_code == 200 and r.text.rstrip().endswith('{"type":"message_stop"}')
    assert elapsed >= 0.8 * len(r.content) / 20000


@pytest.mark.parametrize("spec", ["chunk:size=1", "chunk:size=1-7:seed=3"])
def test_chunked_stream_is_byte_identical_and_sdk_decodes_it(mock: MockClaude, spec: str) -> None:
    plain = post(mock, stream=True).content
    chunked = post(mock, spec, stream=True).content
    assert chunked == plain
    with sdk(mock, default_headers={"x-mockclaude-fault": spec}) as client, open_stream(client) as stream:
        assert stream.get_final_message().stop_reason == "end_turn"


def test_chunk_sizes_on_the_wire(mock: MockClaude) -> None:
    # raw socket: read the chunked framing itself, every chunk 5 bytes but the last
    host, port = mock.url.removeprefix("http://").split(":")
    req = (
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: t\r\nanthropic-version: 2023-06-01\r\n"
        "content-type: application/json\r\nx-mockclaude-fault: chunk:size=5\r\nconnection: close\r\n"
        f"content-length: {len(body(True))}\r\n\r\n"
    ).encode() + body(True)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(req)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    _, _, rest = data.partition(b"\r\n\r\n")
    sizes = []
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        n = int(size_line, 16)
        sizes.append(n)
        rest = rest[n + 2 :]
        if n == 0:
            break
    assert sizes[-1] == 0 and set(sizes[:-2]) == {5} and 1 <= sizes[-2] <= 5


def test_chunked_json_answer(mock: MockClaude) -> None:
    r = post(mock, "chunk:size=3")
    assert r.status_code == 200 and r.json()["type"] == "message"
    assert mock.requests[-1].sent is not None and mock.requests[-1].sent.startswith("json in ")


def test_latency_ttfb_and_per_event(mock: MockClaude) -> None:
    t0 = time.monotonic()
    assert post(mock, "latency:ttfb=0.2").status_code == 200
    assert time.monotonic() - t0 >= 0.2
    t0 = time.monotonic()
    r = post(mock, "latency:per-event=0.01:jitter=0.01:seed=5", stream=True)
    n = r.text.count("event: ")
    assert time.monotonic() - t0 >= 0.01 * (n - 1)


# --- connection faults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        ("reset", "connection reset (RST), no response"),
        ("empty", "connection closed, no bytes"),
        ("garbage:bytes=16", "16 garbage bytes, then closed"),
    ],
)
def test_connection_faults_are_connection_errors_for_the_sdk(mock: MockClaude, spec: str, label: str) -> None:
    mock.add_fault(spec + ":times=1")
    with sdk(mock, retries=1) as client:
        create(client)  # retried after the connection error
    first, second = mock.requests
    assert first.fault == spec + ":times=1" and first.sent == label and first.status is None
    assert second.status == 200
    mock.add_fault(spec)
    with sdk(mock) as client, pytest.raises(anthropic.APIConnectionError):
        create(client)


def test_reset_is_a_tcp_rst(mock: MockClaude) -> None:
    with pytest.raises(httpx.ReadError) as info:
        post(mock, "reset")
    assert "reset" in repr(info.value.__context__ or info.value).lower() or "104" in str(info.value.__context__)


def test_garbage_bytes_reach_the_client(mock: MockClaude) -> None:
    host, port = mock.url.removeprefix("http://").split(":")
    req = (
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: t\r\nanthropic-version: 2023-06-01\r\n"
        f"content-type: application/json\r\nx-mockclaude-fault: garbage:bytes=24:seed=1\r\n"
        f"content-length: {len(body())}\r\n\r\n"
    ).encode() + body()
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(req)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert len(data) == 24 and not data.startswith(b"HTTP/")


def test_connection_fault_in_process_raises() -> None:
    import asyncio

    mock = MockClaude(faults=["reset"])  # never started: the app is called in-process

    async def go() -> None:
        async with httpx.AsyncClient(transport=mock.transport(), base_url="http://t") as c:
            await c.post("/v1/messages", content=body(), headers=HEADERS)

    with pytest.raises(faults.ConnectionFault):
        asyncio.run(go())


# --- the per-request header, the admin API, the constructor ------------------------------------


def test_header_fault_for_one_request(mock: MockClaude) -> None:
    r = post(mock, "529")
    assert r.status_code == 529 and r.json()["error"]["message"] == "Overloaded"
    assert post(mock).status_code == 200
    assert mock.requests[0].notes[0] == "fault from header: 529"


def test_header_times_counts_sdk_attempts(mock: MockClaude) -> None:
    with sdk(mock, retries=2, default_headers={"x-mockclaude-fault": "429:times=2:retry-after-ms=20"}) as client:
        create(client)
    assert [r.status for r in mock.requests] == [429, 429, 200]


def test_malformed_header_is_a_clear_400(mock: MockClaude) -> None:
    r = post(mock, "429:times=abc")
    assert r.status_code == 400
    err = r.json()
    assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
    assert err["error"]["message"].startswith("x-mockclaude-fault: ")
    assert "times" in err["error"]["message"]
    assert post(mock).status_code == 200  # the server is fine


def test_admin_api(mock: MockClaude) -> None:
    url = mock.url + "/_mockclaude/faults"
    r = httpx.post(url, json={"spec": "529:times=1"})
    assert r.status_code == 200 and r.json()["queued"] == ["529:times=1"]
    r = httpx.post(url, json={"kind": "429", "times": 2, "retry_after_ms": 50})
    assert r.json()["queued"] == ["429:times=2:retry-after-ms=50"]
    r = httpx.post(url, json={"faults": ["500:times=1", {"kind": "504", "times": 1}]})
    assert r.json()["queued"] == ["500:times=1", "504:times=1"]
    state = httpx.get(url).json()
    assert [f["spec"] for f in state["faults"]] == ["529:times=1", "429:times=2:retry-after-ms=50", "500:times=1",
                                                   "504:times=1"]
    assert state["faults"][1]["remaining"] == 2 and state["rate_limits"] is None
    assert post(mock).status_code == 529
    assert httpx.get(url).json()["faults"][0]["spec"] == "429:times=2:retry-after-ms=50"
    bad = httpx.post(url, json={"spec": "429:times=0"})
    assert bad.status_code == 400 and "times: must be >= 1" in bad.json()["error"]["message"]
    assert httpx.post(url, content=b"{nope", headers={"content-type": "application/json"}).status_code == 400
    assert httpx.post(url, content=b'{"spec": "529"}').status_code == 415  # JSON-only writes (admin.py)
    assert httpx.delete(url).json() == {"faults": []}
    assert httpx.get(url).json()["faults"] == []
    assert post(mock).status_code == 200


def test_python_handle_and_constructor() -> None:
    with MockClaude(faults=["529:times=1", faults.rate_limited(times=1, retry_after_ms=10)]) as mock:
        assert [f["spec"] for f in mock.faults] == ["529:times=1", "429:times=1:retry-after-ms=10"]
        assert post(mock).status_code == 529
        assert post(mock).status_code == 429
        assert post(mock).status_code == 200
        f = mock.add_fault({"kind": "500"})
        assert f == faults.api_error()
        assert post(mock).status_code == 500
        mock.clear_faults()
        assert post(mock).status_code == 200
        with pytest.raises(faults.FaultSpecError):
            mock.add_fault("nope")


def test_cli_refuses_a_malformed_spec_at_start_up() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", "--fault", "529:rate=2"],
        check=False, capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 2
    assert "529:rate=2" in r.stderr and "rate: must be <= 1" in r.stderr


def test_cli_serves_with_faults() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", "--fault", "529:times=1",
         "--fault", "429:times=1:retry-after-ms=10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(url + "/_mockclaude/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        with anthropic.Anthropic(base_url=url, api_key="test", max_retries=2) as client:
            create(client)
        log = httpx.get(url + "/_mockclaude/requests").json()["requests"]
        assert [e["status"] for e in log] == [529, 429, 200]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
