"""The server over raw HTTP: headers, error bodies, bad input, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}
GOOD = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
def http(mock: MockClaude):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=mock.url, headers=HEADERS, timeout=10) as c:
        yield c


def assert_api_error(resp: httpx.Response, status: int, etype: str, message: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["type"] == "error" and body["error"]["type"] == etype
    assert body["request_id"] == resp.headers["request-id"]
    assert resp.headers["request-id"].startswith("req_")
    if message is not None:
        assert body["error"]["message"] == message
    return body


def test_response_headers_the_sdks_read(http: httpx.Client) -> None:
    resp = http.post("/v1/messages", json=GOOD)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["request-id"].startswith("req_")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        for part in ("limit", "remaining", "reset"):
            assert f"anthropic-ratelimit-{kind}-{part}" in resp.headers
    assert resp.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_sse_rendering(http: httpx.Client) -> None:
    resp = http.post("/v1/messages", json={**GOOD, "stream": True})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    names = [line[7:] for line in resp.text.split("\n") if line.startswith("event: ")]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert "content_block_delta" in names and "message_delta" in names


def test_bearer_auth_and_2026_version(http: httpx.Client) -> None:
    headers = {"authorization": "Bearer sk-x", "anthropic-version": "2026-10-21"}
    resp = httpx.post(http.base_url.join("/v1/messages"), json=GOOD, headers=headers)
    assert resp.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "etype", "message"),
    [
        ({"anthropic-version": "2023-06-01"}, 401, "authentication_error", "x-api-key header is required"),
        ({"x-api-key": "k"}, 400, "invalid_request_error", "anthropic-version: header is required"),
        (
            {"x-api-key": "k", "anthropic-version": "2023-10-01"},
            400,
            "invalid_request_error",
            'anthropic-version: "2023-10-01" is not a valid version',
        ),
    ],
)
def test_header_errors(mock: MockClaude, headers: dict, status: int, etype: str, message: str) -> None:
    resp = httpx.post(mock.url + "/v1/messages", json=GOOD, headers=headers)
    assert_api_error(resp, status, etype, message)


def test_tutorial_mistakes_get_the_real_errors(http: httpx.Client) -> None:
    wrong_role = {**GOOD, "messages": [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "Hi!"}]}
    body = assert_api_error(http.post("/v1/messages", json=wrong_role), 400, "invalid_request_error")
    assert 'Unexpected role "system"' in body["error"]["message"]
    wrong_id = {
        **GOOD,
        "messages": [
            {"role": "user", "content": "calc"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_abc123", "name": "calculate", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_WRONG", "content": "1"}]},
        ],
    }
    body = assert_api_error(http.post("/v1/messages", json=wrong_id), 400, "invalid_request_error")
    # Both rules are broken (toolu_abc123 has no result, toolu_WRONG no use); the API names one.
    assert "toolu_WRONG" in body["error"]["message"] or "toolu_abc123" in body["error"]["message"]
    thinking = {**GOOD, "max_tokens": 1024, "thinking": {"type": "enabled", "budget_tokens": 5000}}
    assert_api_error(
        http.post("/v1/messages", json=thinking),
        400,
        "invalid_request_error",
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00garbage",
        b'{"model": "\xc3\x28"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"null",
        b"[]",
        b'"just a string"',
        json.dumps({**GOOD, "messages": "nope"}).encode(),
        json.dumps({**GOOD, "max_tokens": "64"}).encode(),
        json.dumps({**GOOD, "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}).encode(),
        json.dumps({**GOOD, "messages": [{"role": "user", "content": [None]}]}).encode(),
        json.dumps({**GOOD, "tools": [{"name": "x", "input_schema": []}]}).encode(),
        json.dumps({**GOOD, "system": [{"type": "text"}]}).encode(),
        json.dumps({**GOOD, "thinking": {"type": "enabled", "budget_tokens": 1e400}}).encode(),
        json.dumps({**GOOD, "max_tokens": 10**30}).encode(),
    ],
)
def test_bad_bodies_get_a_400_and_the_server_keeps_serving(http: httpx.Client, raw: bytes) -> None:
    resp = http.post("/v1/messages", content=raw)
    assert_api_error(resp, 400, "invalid_request_error")
    assert http.post("/v1/messages", json=GOOD).status_code == 200


def test_wrong_content_type(http: httpx.Client) -> None:
    resp = http.post("/v1/messages", content=json.dumps(GOOD), headers={"content-type": "text/plain"})
    assert_api_error(resp, 400, "invalid_request_error")


def test_body_over_32_mb_is_413_from_the_edge(http: httpx.Client) -> None:
    big = json.dumps({**GOOD, "messages": [{"role": "user", "content": "x" * (33 * 1024 * 1024)}]})
    resp = http.post("/v1/messages", content=big)
    assert resp.status_code == 413
    assert resp.json() == {"error": {"type": "request_too_large", "message": "Request exceeds the maximum size"}}
    assert http.post("/v1/messages", json=GOOD).status_code == 200


def test_unknown_route_and_method(http: httpx.Client) -> None:
    assert_api_error(http.get("/v1/nothing"), 404, "not_found_error")
    assert http.get("/v1/messages").status_code == 405


def test_health_and_journal(http: httpx.Client) -> None:
    assert http.get("/_mockclaude/health").json() == {"status": "ok"}
    http.post("/v1/messages", json=GOOD, headers={"x-api-key": "sk-very-secret-123"})
    entries = http.get("/_mockclaude/requests").json()["requests"]
    assert entries[-1]["body"] == GOOD and entries[-1]["status"] == 200
    assert "sk-very-secret-123" not in json.dumps(entries)
    http.delete("/_mockclaude/requests")
    assert http.get("/_mockclaude/requests").json() == {"requests": []}


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    return proc, line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_prints_url_and_stops_cleanly(sig: signal.Signals, http: httpx.Client) -> None:
    proc, line = _serve()
    try:
        assert line.startswith("mockclaude listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        deadline = time.monotonic() + 10
        while True:
            try:
                assert httpx.get(url + "/_mockclaude/health").status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        resp = httpx.post(url + "/v1/messages", json=GOOD, headers=HEADERS)
        assert resp.status_code == 200
        # Deterministic across processes: another server answers the same request identically.
        assert resp.json() == http.post("/v1/messages", json=GOOD).json()
    finally:
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_cli_refuses_a_bad_option_with_the_reason() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mockclaude.cli", "serve", "--port", "0", "--record-mode", "sometimes"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "sometimes" in proc.stderr


def test_client_hanging_up_mid_body_is_not_an_internal_error(mock: MockClaude, caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", mock.port)) as sock:
        sock.sendall(
            b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
            b"content-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"model\": \"claude"
        )
    deadline = time.monotonic() + 5
    while not mock.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    entry = mock.requests[-1]
    assert "client disconnected" in " ".join(entry.notes)
    assert entry.status is None
    assert not [r for r in caplog.records if "internal error" in r.getMessage() or r.levelname == "ERROR"]


def test_redact_header_setting_reaches_the_journal() -> None:
    with MockClaude(redact_headers=("x-team-token",)) as m:
        httpx.post(m.url + "/v1/messages", json=GOOD, headers={**HEADERS, "x-team-token": "tok-123"})
        assert m.requests[-1].headers["x-team-token"] == "[REDACTED]"
        assert m.requests[-1].headers["x-api-key"] == "[REDACTED]"


def test_version_and_module_entry_point() -> None:
    import mockclaude

    proc = subprocess.run([sys.executable, "-m", "mockclaude", "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"mockclaude {mockclaude.__version__}"
