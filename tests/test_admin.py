"""The /_mockclaude/* routes: key, Host, JSON-only writes, --no-admin; duplicate auth headers; log redaction."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockclaude import MockClaude
from mockclaude.access_log import QueryRedaction, redact_target
from mockclaude.admin import exposure_warning
from mockclaude.config import Settings

KEY = "sk-admin-test-key"
JSON = {"content-type": "application/json"}
ROUTES = [("GET", "/_mockclaude/requests"), ("DELETE", "/_mockclaude/requests"), ("POST", "/_mockclaude/reset"),
          ("GET", "/_mockclaude/faults"), ("POST", "/_mockclaude/faults"), ("DELETE", "/_mockclaude/faults")]


@pytest.fixture(scope="module")
def keyed() -> Iterator[MockClaude]:
    with MockClaude(api_key=KEY) as m:
        yield m


def _call(url: str, method: str, path: str, **headers: str) -> httpx.Response:
    body = b'{"spec": "529:times=1"}' if path.endswith("faults") else b"{}"
    return httpx.request(method, url + path, content=body if method == "POST" else None, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_admin_routes_need_the_api_key_when_one_is_configured(keyed: MockClaude, method: str, path: str) -> None:
    refused = _call(keyed.url, method, path, **JSON)
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
    assert _call(keyed.url, method, path, **JSON, **{"x-api-key": "wrong"}).status_code == 401
    assert _call(keyed.url, method, path, **JSON, **{"x-api-key": KEY}).status_code == 200
    assert _call(keyed.url, method, path, **JSON, authorization=f"Bearer {KEY}").status_code == 200
    assert httpx.get(keyed.url + "/_mockclaude/health").status_code == 200  # readiness stays open


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8088", "127.0.0.1.evil.example", ""])
def test_a_foreign_host_is_refused_dns_rebinding(keyed: MockClaude, host: str) -> None:
    r = _call(keyed.url, "GET", "/_mockclaude/requests", host=host, **{"x-api-key": KEY})
    assert r.status_code == 403 and "not allowed" in r.json()["error"]["message"]
    for ok in ("localhost", f"127.0.0.1:{keyed.port}", f"localhost:{keyed.port}"):
        assert _call(keyed.url, "GET", "/_mockclaude/requests", host=ok, **{"x-api-key": KEY}).status_code == 200


def test_allowed_hosts_and_the_admin_key() -> None:
    with MockClaude(admin_key="adm", api_key=KEY, allowed_hosts=("mock.internal",)) as m:
        assert _call(m.url, "GET", "/_mockclaude/faults", host="mock.internal", **{"x-api-key": "adm"}).status_code == 200
        assert _call(m.url, "GET", "/_mockclaude/faults", **{"x-api-key": KEY}).status_code == 401  # admin key, not the API key
        assert _call(m.url, "GET", "/_mockclaude/faults", host="other.internal", **{"x-api-key": "adm"}).status_code == 403


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_admin_writes_take_json_only(keyed: MockClaude, content_type: str | None) -> None:
    headers = {"x-api-key": KEY, **({"content-type": content_type} if content_type else {})}
    for path in ("/_mockclaude/reset", "/_mockclaude/faults"):
        r = httpx.post(keyed.url + path, content=b'{"spec": "529"}', headers=headers)
        assert r.status_code == 415, (path, r.text)
    assert keyed.faults == []  # nothing was queued


def test_no_admin_turns_the_routes_off() -> None:
    with MockClaude(admin=False) as m:
        for method, path in ROUTES:
            assert _call(m.url, method, path, **JSON).status_code == 404
        assert httpx.get(m.url + "/_mockclaude/health").status_code == 200


def test_without_a_key_loopback_clients_keep_working() -> None:
    with MockClaude() as m:
        assert httpx.post(m.url + "/_mockclaude/reset", json={}).status_code == 200
        assert httpx.post(m.url + "/_mockclaude/reset", headers=JSON).status_code == 200  # empty JSON body


def test_the_exposure_warning() -> None:
    open_ = Settings()
    assert exposure_warning("127.0.0.1", open_) is None and exposure_warning("::1", open_) is None
    assert "anyone on the network" in (exposure_warning("0.0.0.0", open_) or "")
    assert "journal" in (exposure_warning("192.168.1.5", open_) or "")
    assert exposure_warning("0.0.0.0", Settings(api_key="k")) is None


def test_duplicate_auth_and_version_headers_forward_the_checked_value(tmp_path: Path) -> None:
    with MockClaude(api_key="first-key") as up, MockClaude(
        cassette=tmp_path / "c.yaml", record_mode="all", upstream=up.url
    ) as rec:
        headers = [("x-api-key", "first-key"), ("x-api-key", "second-key"), ("anthropic-version", "2023-06-01"),
                   ("anthropic-version", "1999-01-01"), ("content-type", "application/json")]
        body = b'{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
        r = httpx.post(rec.url + "/v1/messages", content=body, headers=headers)
        assert r.status_code == 200, r.text  # upstream accepts only the first key: the first was forwarded
        assert up.requests[-1].headers["anthropic-version"] == "2023-06-01"


def test_query_string_keys_are_redacted_in_the_access_log() -> None:
    assert redact_target("/v1/messages?beta=true&api_key=sk-secret") == "/v1/messages?beta=true&api_key=[REDACTED]"
    assert "sk-ant-" not in redact_target("/v1/models?x=sk-ant-api03-abcdef")
    assert redact_target("/v1/messages") == "/v1/messages"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "POST", "/v1/messages?key=topsecret", "1.1", 200), None)
    QueryRedaction().filter(record)
    assert "topsecret" not in record.getMessage() and "[REDACTED]" in record.getMessage()
