"""The hostile-input campaign: malformed bodies and headers (Hypothesis, driven by the OpenAPI document
the server publishes) and raw-socket abuse. Zero 500s, zero hangs, and the next good request is answered.

Example counts are small in CI; ``MOCKCLAUDE_CAMPAIGN_EXAMPLES=2000`` runs a bigger campaign and
``MOCKCLAUDE_CAMPAIGN_REPORT=FILE`` writes how many inputs each part ran (benchmarks/bench_hostile.py).
"""

from __future__ import annotations

import copy
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockclaude import MockClaude

EXAMPLES = int(os.environ.get("MOCKCLAUDE_CAMPAIGN_EXAMPLES", "40"))
RUN = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
COUNTS: Counter[str] = Counter()
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}
GOOD = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
BASE: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 2048,
    "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "tool_choice": {"type": "auto"},
    "metadata": {"user_id": "u1"},
    "stop_sequences": ["END"],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "weather in Paris?"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
    ],
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockClaude]:
    with MockClaude(header_timeout=1.0, body_timeout=1.0) as m:
        yield m
    report = os.environ.get("MOCKCLAUDE_CAMPAIGN_REPORT")
    if report:
        old = json.loads(Path(report).read_text()) if Path(report).exists() else {}
        for k, v in COUNTS.items():
            old[k] = old.get(k, 0) + v
        Path(report).write_text(json.dumps(old, indent=1, sort_keys=True))


@pytest.fixture(scope="module")
def http(server: MockClaude) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:  # 30 s: a hang fails the test
        yield c


@pytest.fixture(scope="module")
def doc(http: httpx.Client) -> dict[str, Any]:
    d: dict[str, Any] = http.get("/_mockclaude/openapi.json").json()
    return d


def _good_is_answered(http: httpx.Client) -> None:
    assert http.post("/v1/messages", json=GOOD, headers=HEADERS).status_code == 200


def _check(resp: httpx.Response, what: str) -> None:
    COUNTS[what] += 1
    assert resp.status_code < 500 or resp.status_code == 529, (resp.status_code, resp.text[:300])
    if resp.status_code >= 400 and resp.request.url.path.startswith("/v1/"):
        body = resp.json()
        assert body.get("error", {}).get("type"), body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = list(_paths(BASE))[1:]


def _mutate(body: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> Any:
    out = copy.deepcopy(body)
    parent: Any = out
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"x_{last}_extra"] = value
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    return out


@RUN
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete", "add", "duplicate"]), json_values),
                min_size=1, max_size=3),
       st.booleans())
def test_bodies_mutated_at_every_level(http: httpx.Client, mutations: list[tuple[Any, ...]], stream: bool) -> None:
    body: Any = {**BASE, "stream": stream}
    for path, action, value in mutations:
        try:
            body = _mutate(body, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue  # the path vanished in an earlier mutation
    for endpoint in ("/v1/messages", "/v1/messages/count_tokens"):
        _check(http.post(endpoint, content=json.dumps(body).encode(), headers=HEADERS), "bodies")


@RUN
@given(st.data())
def test_fields_from_the_published_openapi_document(http: httpx.Client, doc: dict[str, Any], data: st.DataObject) -> None:
    schema = doc["components"]["schemas"]["MessagesRequest"]
    props = sorted(schema["properties"])
    body = dict(GOOD)
    for name in data.draw(st.lists(st.sampled_from(props), min_size=1, max_size=4, unique=True)):
        body[name] = data.draw(json_values)
    path = data.draw(st.sampled_from(sorted(doc["paths"])))
    method = data.draw(st.sampled_from(sorted(doc["paths"][path])))
    url = path.replace("{model_id}", data.draw(st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"), min_size=1, max_size=30)))
    content = json.dumps(body).encode() if method == "post" and path.startswith("/v1/") else None
    if path == "/_mockclaude/faults" and method == "post":
        content = json.dumps(data.draw(json_values)).encode()
    if path == "/_mockclaude/reset" or (path == "/_mockclaude/requests" and method == "delete"):
        return  # would wipe the journal other checks read; covered by tests/test_admin.py
    _check(http.request(method.upper(), url, content=content, headers=HEADERS), "openapi")


# Surrounding blanks stripped: h11 (under httpx) refuses to send a value that starts or ends with one
# (LocalProtocolError before anything reaches the server); the raw-socket cases below send those.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60).map(
    lambda v: v.strip(" \t")
)


@RUN
@given(st.dictionaries(st.sampled_from(["x-api-key", "anthropic-version", "anthropic-beta", "content-type", "authorization",
                                        "accept", "x-mockclaude-fault", "x-stainless-retry-count", "content-encoding"]),
                       header_text, max_size=5),
       st.dictionaries(st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=':()<>@,;\\"/[]?={} '),
                               min_size=1, max_size=20), header_text, max_size=5))
def test_adversarial_headers(http: httpx.Client, known: dict[str, str], other: dict[str, str]) -> None:
    headers = {**HEADERS, **other, **known}
    try:
        resp = http.post("/v1/messages", content=json.dumps(GOOD).encode(), headers=headers)
    except UnicodeEncodeError:
        return
    _check(resp, "headers")


@RUN
@given(st.binary(max_size=2000) | st.text(max_size=300).map(str.encode))
def test_raw_bodies(http: httpx.Client, raw: bytes) -> None:
    for endpoint in ("/v1/messages", "/v1/messages/count_tokens", "/v1/messages/batches"):
        _check(http.post(endpoint, content=raw, headers=HEADERS), "raw bodies")


# --- raw-socket abuse --------------------------------------------------------------------------

def _req(body: bytes = json.dumps(GOOD).encode(), extra: bytes = b"", close: bool = True) -> bytes:
    head = (b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
            b"content-type: application/json\r\n")
    return head + (b"connection: close\r\n" if close else b"") + extra + b"content-length: %d\r\n\r\n" % len(body) + body


BODY = json.dumps(GOOD).encode()
CHUNKED = (b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
           b"content-type: application/json\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n")
SMUGGLED = b"GET /_mockclaude/requests HTTP/1.1\r\nhost: evil.example\r\n\r\n"
ABUSE: dict[str, list[bytes]] = {
    "CL+TE smuggling": [CHUNKED.replace(b"\r\n\r\n", b"\r\ncontent-length: 4\r\n\r\n") + b"0\r\n\r\n" + SMUGGLED],
    "TE+CL smuggling": [CHUNKED.replace(b"\r\n\r\n", b"\r\ncontent-length: 200\r\n\r\n") + b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n" + SMUGGLED],
    "chunk size not hex": [CHUNKED + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n"],
    "chunk size negative": [CHUNKED + b"-5\r\n" + BODY + b"\r\n0\r\n\r\n"],
    "chunk size huge": [CHUNKED + b"ffffffffffffffffffff\r\n" + BODY],
    "chunk size too big for the data": [CHUNKED + b"%x\r\n" % (len(BODY) + 50) + BODY + b"\r\n0\r\n\r\n"],
    "chunk extension flood": [CHUNKED + b"%x;" % len(BODY) + b"e" * 200_000 + b"\r\n" + BODY + b"\r\n0\r\n\r\n"],
    "chunked body split at odd places": [CHUNKED + b"".join(b"1\r\n" + BODY[i:i + 1] + b"\r\n" for i in range(len(BODY))) + b"0\r\nx-trailer: 1\r\n\r\n"],
    "two different content-lengths": [_req(extra=b"content-length: 3\r\n")],
    "content-length not a number": [_req().replace(b"content-length: %d" % len(BODY), b"content-length: abc")],
    "content-length negative": [_req().replace(b"content-length: %d" % len(BODY), b"content-length: -1")],
    "obfuscated transfer-encoding": [CHUNKED.replace(b"transfer-encoding: chunked", b"transfer-encoding : chunked") + b"0\r\n\r\n",
                                     CHUNKED.replace(b"transfer-encoding: chunked", b"transfer-encoding: xchunked") + b"0\r\n\r\n",
                                     CHUNKED.replace(b"transfer-encoding: chunked", b"transfer-encoding: chunked, identity") + b"0\r\n\r\n"],
    "pipelined, the last one partial": [_req(close=False) * 3 + _req()[:40]],
    "pipelined with a smuggled admin request": [_req(close=False) + SMUGGLED],
    "bare LF line ends": [_req().replace(b"\r\n", b"\n")],
    "obs-fold continuation": [_req(extra=b"x-folded: a\r\n  b\r\n")],
    "NUL in a header value": [_req(extra=b"x-nul: a\x00b\r\n")],
    "header values padded with blanks": [_req().replace(b"x-api-key: k", b"x-api-key: \t k \t", 1),
                                         _req(extra=b"content-type:   \r\nanthropic-beta: \t\r\n")],
    "header without a colon": [_req(extra=b"this is not a header\r\n")],
    "non-ASCII header name": [_req(extra="x-ünï: v\r\n".encode())],
    "invalid method": [_req().replace(b"POST", b"P\x00ST", 1)],
    "HTTP/0.9": [b"GET /v1/models\r\n"],
    "HTTP/2 preface": [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    "absolute-form target": [_req().replace(b"POST /v1/messages", b"POST http://evil.example/v1/messages", 1)],
    "very long URL": [b"GET /v1/models?" + b"a" * 300_000 + b" HTTP/1.1\r\nhost: x\r\n\r\n"],
    "expect 100-continue": [_req(extra=b"expect: 100-continue\r\n")],
    "body longer than content-length": [_req() + b"GARBAGE GARBAGE\r\n\r\n"],
    "websocket upgrade": [b"GET /v1/messages HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"],
    "empty-line flood": [b"\r\n" * 100_000 + _req()],
    "body shorter than content-length, then silence": [_req()[:-10]],
    "headers never finished": [b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k"],
    "slow headers, a byte at a time": [bytes([c]) for c in b"GET /v1/models HTTP/1.1\r\nhost: x\r\n"],  # sent slowly
}


def _exchange(port: int, pieces: list[bytes], slow: bool) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:  # 15 s: a hang fails the test
        try:
            for piece in pieces:
                s.sendall(piece)
                if slow:
                    time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            pytest.fail(f"no answer and no close within 15 s; got {data[:200]!r}")
    return data


@pytest.mark.parametrize("case", sorted(ABUSE))
def test_raw_socket_abuse(server: MockClaude, http: httpx.Client, case: str) -> None:
    answer = _exchange(server.port, ABUSE[case], slow=case.startswith("slow"))
    COUNTS["raw socket"] += 1
    statuses = [line.split(b" ")[1] for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert not [s for s in statuses if s.startswith(b"5")], (case, answer[:300])
    assert b"Traceback" not in answer
    if "smuggled" in case or "smuggling" in case:
        assert b'"requests"' not in answer  # the smuggled admin request never reached the journal route
    _good_is_answered(http)
