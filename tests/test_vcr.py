"""Importing VCR.py / pytest-recording cassettes of Anthropic traffic."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

import httpx
import pytest

from mockclaude import CassetteError, MockClaude
from mockclaude.cassette import Cassette
from mockclaude.cassette.cli import main
from mockclaude.sse import encode_all, event, events_from_message

KEY = "sk-ant-api03-VCRIMPORTSECRET0000000000"
ORG = "4f1c2d3e-aaaa-bbbb-cccc-0123456789ab"
HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def _message(text: str) -> dict[str, object]:
    return {
        "id": "msg_vcr",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 3},
    }


def _req(text: str, stream: bool = False) -> str:
    b: dict[str, object] = {
        "max_tokens": 50,
        "messages": [{"role": "user", "content": text}],
        "model": "claude-haiku-4-5",
    }
    if stream:
        b["stream"] = True
    return json.dumps(b)


def _vcr_yaml() -> str:
    """A cassette in the shape vcrpy writes: headers as lists, bodies as str, !!binary and gzip."""
    gz = base64.b64encode(gzip.compress(json.dumps(_message("from gzip")).encode())).decode()
    evs = events_from_message(_message("streamed reply"), pings=False)
    sse = encode_all([evs[0], event({"type": "ping"}), *evs[1:]]).decode()
    sse_indented = "\n".join("        " + line if line else "" for line in sse.split("\n"))
    plain_b64 = base64.b64encode(_req("binary request").encode()).decode()
    return f"""\
interactions:
- request:
    body: '{_req("plain request")}'
    headers:
      accept: [application/json]
      anthropic-version: ['2023-06-01']
      x-api-key: [{KEY}]
      cookie: [session=abcdefghijkl]
      User-Agent: [Anthropic/Python 0.40.0]
    method: POST
    uri: https://api.anthropic.com/v1/messages
  response:
    body:
      string: '{json.dumps(_message("plain reply"))}'
    headers:
      Content-Type: [application/json]
      request-id: [req_vcr_1]
      anthropic-organization-id: ['{ORG}']
    status: {{code: 200, message: OK}}
- request:
    body: !!binary |
      {plain_b64}
    headers:
      anthropic-version: ['2023-06-01']
      authorization: [Bearer {KEY}]
    method: POST
    uri: https://api.anthropic.com/v1/messages?beta=true
  response:
    body:
      string: !!binary |
        {gz}
    headers:
      Content-Encoding: [gzip]
      Content-Type: [application/json]
    status: {{code: 200, message: OK}}
- request:
    body: '{_req("stream request", stream=True)}'
    headers:
      anthropic-version: ['2023-06-01']
      x-api-key: [{KEY}]
    method: POST
    uri: https://api.anthropic.com/v1/messages
  response:
    body:
      string: |-
{sse_indented}
    headers:
      Content-Type: [text/event-stream; charset=utf-8]
    status: {{code: 200, message: OK}}
- request:
    body: '{_req("limited")}'
    headers:
      x-api-key: [{KEY}]
    method: POST
    uri: https://api.anthropic.com/v1/messages
  response:
    body:
      string: '{{"type":"error","error":{{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization ({ORG}) of 20,000 input tokens per minute."}},"request_id":"req_x"}}'
    headers:
      Content-Type: [application/json]
      retry-after: ['16']
    status: {{code: 429, message: Too Many Requests}}
version: 1
"""


@pytest.fixture
def vcr_file(tmp_path: Path) -> Path:
    p = tmp_path / "vcr.yaml"
    p.write_text(_vcr_yaml())
    return p


def test_import_converts_every_kind_of_body(vcr_file: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["import-vcr", str(vcr_file), str(tmp_path / "mc.yaml")], out=out) == 0
    assert "4 interaction(s) imported" in out.getvalue()
    c = Cassette.load(tmp_path / "mc.yaml")
    assert c[0].request.body["messages"][0]["content"] == "plain request"
    assert c[0].response.body["content"][0]["text"] == "plain reply"
    assert c[1].request.body["messages"][0]["content"] == "binary request"
    assert c[1].request.query == "beta=true"
    assert c[1].response.body["content"][0]["text"] == "from gzip"
    assert "content-encoding" not in c[1].response.headers
    assert c[2].response.events is not None and c[2].response.events[1].name == "ping"
    assert c[2].response.offsets is None  # VCR.py keeps no timing
    assert c[3].response.status == 429 and c[3].response.headers["retry-after"] == "16"


def test_import_redacts_secrets(vcr_file: Path, tmp_path: Path) -> None:
    main(["import-vcr", str(vcr_file), str(tmp_path / "mc.yaml")], out=io.StringIO())
    text = (tmp_path / "mc.yaml").read_text()
    assert KEY not in text and "VCRIMPORTSECRET" not in text
    assert ORG not in text  # also where the 429 message named the organization
    assert "abcdefghijkl" not in text and "cookie" not in text
    c = Cassette.load(tmp_path / "mc.yaml")
    assert c[0].request.headers == {
        "anthropic-version": "2023-06-01",
        "x-api-key": "[REDACTED]",
    }
    assert main(["lint", str(tmp_path / "mc.yaml")], out=io.StringIO()) == 0


def test_imported_cassette_replays(vcr_file: Path, tmp_path: Path) -> None:
    main(["import-vcr", str(vcr_file), str(tmp_path / "mc.yaml")], out=io.StringIO())
    with (
        MockClaude(cassette=tmp_path / "mc.yaml") as mock,
        httpx.Client(base_url=mock.url, headers=HEADERS) as h,
    ):
        assert (
            h.post("/v1/messages", content=_req("plain request")).json()["content"][0]["text"]
            == "plain reply"
        )
        gz = h.post("/v1/messages?beta=true", content=_req("binary request"))
        assert gz.json()["content"][0]["text"] == "from gzip"
        streamed = h.post("/v1/messages", content=_req("stream request", stream=True))
        # byte-faithful: the VCR.py body (a `|-` block: no final newlines) exactly as it was stored
        assert streamed.content.endswith(b'event: message_stop\ndata: {"type":"message_stop"}')
        assert b'event: ping\ndata: {"type":"ping"}\n\n' in streamed.content
        limited = h.post("/v1/messages", content=_req("limited"))
        assert limited.status_code == 429 and limited.headers["retry-after"] == "16"


def test_import_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "interactions:\n- request: {method: POST}\n  response: {status: {code: 200}}\nversion: 1\n"
    )
    with pytest.raises(CassetteError, match=r"bad\.yaml: interactions\.0\.request: missing 'uri'"):
        from mockclaude.cassette.vcr import load_vcr

        load_vcr(bad)
    bad.write_text("interactions: [\n")
    assert main(["import-vcr", str(bad), str(tmp_path / "out.yaml")], out=io.StringIO()) == 1
    assert not (tmp_path / "out.yaml").exists()
    with pytest.raises(CassetteError, match=r": is a directory, not a VCR\.py cassette"):
        load_vcr(tmp_path)
    with pytest.raises(CassetteError, match=r"missing\.yaml: VCR\.py cassette not found"):
        load_vcr(tmp_path / "missing.yaml")
