"""The journal: bounded by count and by bytes, bodies parsed on demand."""

from __future__ import annotations

from mockclaude.journal import Journal


def test_bounded_by_count() -> None:
    j = Journal(maxlen=3)
    for i in range(5):
        j.start(f"r{i}", "POST", "/v1/messages", {}, b"{}")
    assert [e.request_id for e in j.entries()] == ["r2", "r3", "r4"]


def test_bounded_by_bytes_keeping_the_newest() -> None:
    j = Journal(maxlen=100, max_bytes=1000)
    for i in range(10):
        j.start(f"r{i}", "POST", "/v1/messages", {}, b"x" * 400)
    assert [e.request_id for e in j.entries()] == ["r8", "r9"]
    j.start("big", "POST", "/v1/messages", {}, b"x" * 5000)  # bigger than the bound: kept alone
    assert [e.request_id for e in j.entries()] == ["big"]
    j.clear()
    j.start("after", "POST", "/v1/messages", {}, b"x" * 900)
    assert len(j) == 1


def test_body_is_parsed_lazily_and_redacted_headers() -> None:
    j = Journal()
    e = j.start("r", "POST", "/v1/messages", {"X-Api-Key": "sk-secret", "anthropic-version": "2023-06-01"}, b'{"a": [1]}')
    assert e.headers == {"x-api-key": "[REDACTED]", "anthropic-version": "2023-06-01"}
    assert e.body == {"a": [1]}
    assert j.start("r2", "POST", "/", {}, b"{not json").body == "{not json"
    assert j.start("r3", "POST", "/", {}, None).body is None


def _post(app: object, headers: list[tuple[bytes, bytes]], body: bytes = b'{"model":"claude-sonnet-4-6","max_tokens":5,'
          b'"messages":[{"role":"user","content":"hi"}]}') -> int:
    """One POST /v1/messages through the ASGI app (the hot path); the status answered."""
    import asyncio

    status = 0

    async def go() -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/messages", "raw_path": b"/v1/messages",
                 "query_string": b"", "headers": headers, "http_version": "1.1", "scheme": "http",
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]  # type: ignore[assignment]

        await app(scope, receive, send)  # type: ignore[operator]

    asyncio.run(go())
    return status


BASE = [(b"content-type", b"application/json"), (b"anthropic-version", b"2023-06-01")]


def test_secrets_never_reach_the_journal_from_the_hot_path() -> None:
    from mockclaude.app import create_app

    app = create_app(redact_headers=["X-Trace-*", "x-tenant"])
    assert _post(app, [*BASE, (b"x-api-key", b"sk-secret"), (b"cookie", b"c=1"), (b"x-trace-id", b"t1"),
                       (b"x-tenant", b"acme"), (b"x-other", b"kept")]) == 200
    assert _post(app, [*BASE, (b"authorization", b"Bearer sk-bearer")]) == 200
    assert _post(app, [BASE[0], (b"x-api-key", b"sk-refused"), (b"anthropic-version", b"1999-01-01")]) == 400
    first, second, refused = app.journal.entries()
    assert first.headers == {"content-type": "application/json", "anthropic-version": "2023-06-01",
                             "x-api-key": "[REDACTED]", "cookie": "[REDACTED]", "x-trace-id": "[REDACTED]",
                             "x-tenant": "[REDACTED]", "x-other": "kept"}
    assert second.headers["authorization"] == "[REDACTED]"
    assert refused.headers["x-api-key"] == "[REDACTED]" and refused.status == 400
    assert "sk-" not in repr([e.to_json() for e in app.journal.entries()])


def test_a_repeated_header_is_read_as_before() -> None:
    # Starlette's Headers answers the first value of a repeated name; the journal keeps the last
    from mockclaude.app import create_app

    app = create_app(api_key="sk-right")
    assert _post(app, [*BASE, (b"x-api-key", b"sk-right"), (b"x-api-key", b"sk-wrong")]) == 200
    assert _post(app, [*BASE, (b"x-api-key", b"sk-wrong"), (b"x-api-key", b"sk-right")]) == 401
    assert _post(app, [*BASE, (b"x-api-key", b"sk-right"), (b"anthropic-beta", b"a-1"), (b"anthropic-beta", b"b-2")]) == 200
    ok, refused, betas = app.journal.entries()
    assert ok.headers["x-api-key"] == refused.headers["x-api-key"] == "[REDACTED]"
    assert betas.headers["anthropic-beta"] == "b-2"
