"""The Message Batches API through the official SDK."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from mockclaude import MockClaude

MODEL = "claude-sonnet-4-6"


def params(text: str, **extra: object) -> dict:
    return {"model": MODEL, "max_tokens": 128, "messages": [{"role": "user", "content": text}], **extra}


def test_batch_lifecycle_with_the_sdk(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(
        requests=[
            {"custom_id": "first", "params": params("Hello batch")},
            {"custom_id": "broken", "params": {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}},
            {"custom_id": "third", "params": params("Another one", system="Be brief.")},
        ]
    )
    assert batch.id.startswith("msgbatch_") and batch.processing_status == "ended"
    assert batch.request_counts.succeeded == 2 and batch.request_counts.errored == 1
    assert client.messages.batches.retrieve(batch.id).id == batch.id

    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert results["first"].type == "succeeded"
    assert "Hello batch" in results["first"].message.content[0].text
    assert results["broken"].type == "errored"
    assert results["broken"].error.error.message == "max_tokens: Field required"

    # Deterministic: the same params in another batch get the same message.
    second = client.messages.batches.create(requests=[{"custom_id": "a", "params": params("Hello batch")}])
    again = next(iter(client.messages.batches.results(second.id)))
    assert again.result.message == results["first"].message
    listed = [b.id for b in client.messages.batches.list(limit=1).data]
    assert listed == [second.id]
    assert {b.id for b in client.messages.batches.list()} == {batch.id, second.id}
    assert client.messages.batches.cancel(second.id).processing_status == "ended"
    assert client.messages.batches.delete(second.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(second.id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "requests: Field required"),
        ({"requests": []}, "requests: List should have at least 1 item after validation, not 0"),
        ({"requests": [{"custom_id": "a b", "params": {}}]}, "requests.0.custom_id: String should match pattern"),
        ({"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "a", "params": {}}]}, "requests.1.custom_id"),
        ({"requests": [{"custom_id": "a"}]}, "requests.0.params: Field required"),
        ({"requests": [{"custom_id": "a", "params": {}}], "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_batch_create_errors(mock: MockClaude, body: dict, message: str) -> None:
    resp = httpx.post(
        mock.url + "/v1/messages/batches", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["message"].startswith(message)


def test_batches_need_auth(mock: MockClaude) -> None:
    resp = httpx.get(mock.url + "/v1/messages/batches", headers={"anthropic-version": "2023-06-01"})
    assert resp.status_code == 401


def test_batch_body_limit_is_the_edge_413(mock: MockClaude, monkeypatch: pytest.MonkeyPatch) -> None:
    import mockclaude.batches

    monkeypatch.setattr(mockclaude.batches, "MAX_BODY_BYTES", 2_000)
    body = {"requests": [{"custom_id": "a", "params": params("x" * 3_000)}]}
    resp = httpx.post(
        mock.url + "/v1/messages/batches", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    assert resp.status_code == 413
    assert resp.json() == {"error": {"type": "request_too_large", "message": "Request exceeds the maximum size"}}
    assert mock.requests[-1].status == 413
