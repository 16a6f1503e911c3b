"""The Message Batches API: ``/v1/messages/batches`` (create, retrieve, list, cancel, delete, results).

A batch is processed the moment it is created, so a client's poll loop ends at its first poll:
``processing_status`` is ``ended`` and the results are ready. Each request's ``params`` are validated
like a ``/v1/messages`` body (same rules, same messages); one that fails becomes an ``errored`` result,
as on the real API, and the others ``succeeded`` with the synthetic answer. Batches live in memory
until deleted or until the server is reset.

Judgement calls (the real API's wording is not known for these): a duplicate ``custom_id`` is a 400
naming it; ``stream: true`` in ``params`` is an errored result; cancelling an ended batch returns it
unchanged; deleting a batch that is still processing cannot happen here (none ever is).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from . import protocol
from .answers import dumps
from .errors import ApiError, b58, invalid, new_request_id

if TYPE_CHECKING:  # pragma: no cover
    from starlette.routing import Route

    from .config import Settings
    from .responders.synthetic import SyntheticResponder
    from .signatures import Signer

__all__ = ["BatchStore"]

MAX_REQUESTS = 100_000
MAX_BODY_BYTES = 256 * 1024 * 1024  # the batches endpoint's limit (32 MB for /v1/messages)
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class BatchHost(Protocol):
    """What the batches API needs of the app that serves it (:class:`~mockclaude.app.MockClaudeApp`
    is one): the dependency points down, the app hands itself to :class:`BatchStore`."""

    settings: Settings
    signer: Signer
    synthetic: SyntheticResponder

    async def answer_plain(
        self,
        request: Request,
        produce: Callable[[Any, bytes], tuple[int, dict[str, str], bytes]],
        *,
        source: str,
        body_limit: int | None = None,
    ) -> Response: ...


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Batch:
    id: str
    created: datetime
    results: list[dict[str, Any]]
    counts: dict[str, int]
    cancel_initiated: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": "ended",
            "request_counts": dict(self.counts),
            "ended_at": _iso(self.created),
            "created_at": _iso(self.created),
            "expires_at": _iso(self.created + timedelta(hours=24)),
            "archived_at": None,
            "cancel_initiated_at": _iso(self.cancel_initiated) if self.cancel_initiated else None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results",
        }


class BatchStore:
    """The batches of one app, and the routes that serve them."""

    def __init__(self, app: BatchHost) -> None:
        self.app = app
        self._batches: dict[str, Batch] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def clear(self) -> None:
        with self._lock:
            self._batches.clear()

    def routes(self) -> list[Route]:
        from starlette.routing import Route  # only when the router is built (cold start)

        return [
            Route("/v1/messages/batches", self.create_or_list, methods=["GET", "POST"]),
            Route("/v1/messages/batches/{batch_id}", self.retrieve_or_delete, methods=["GET", "DELETE"]),
            Route("/v1/messages/batches/{batch_id}/cancel", self.cancel, methods=["POST"]),
            Route("/v1/messages/batches/{batch_id}/results", self.results, methods=["GET"]),
        ]

    # --- helpers ---------------------------------------------------------------------------------

    async def _answer(self, request: Request, produce: Any, *, body: bool = False) -> Response:
        return await self.app.answer_plain(
            request, produce, source="batches", body_limit=MAX_BODY_BYTES if body else None
        )

    def _get(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, f"message_batch_id: no batch with id {batch_id}", type="not_found_error")
        return batch

    @staticmethod
    def _base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    # --- endpoints ----------------------------------------------------------------------------------

    async def create_or_list(self, request: Request) -> Response:
        if request.method == "GET":
            return await self._answer(request, lambda meta, raw: self._list(request))
        return await self._answer(request, lambda meta, raw: self._create(request, meta, raw), body=True)

    def _create(self, request: Request, meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        body = protocol.parse_body(raw)
        extra = sorted(set(body) - {"requests"})
        if extra:
            raise invalid(f"{extra[0]}: Extra inputs are not permitted")
        requests = body.get("requests")
        if requests is None:
            raise invalid("requests: Field required")
        if not isinstance(requests, list):
            raise invalid("requests: Input should be a valid list")
        if not requests:
            raise invalid("requests: List should have at least 1 item after validation, not 0")
        if len(requests) > MAX_REQUESTS:
            raise invalid(f"requests: List should have at most {MAX_REQUESTS} items after validation, not {len(requests)}")
        seen: set[str] = set()
        for i, item in enumerate(requests):
            if not isinstance(item, dict):
                raise invalid(f"requests.{i}: Input should be a valid dictionary")
            for key in ("custom_id", "params"):
                if key not in item:
                    raise invalid(f"requests.{i}.{key}: Field required")
            unknown = sorted(set(item) - {"custom_id", "params"})
            if unknown:
                raise invalid(f"requests.{i}.{unknown[0]}: Extra inputs are not permitted")
            cid = item["custom_id"]
            if not isinstance(cid, str):
                raise invalid(f"requests.{i}.custom_id: Input should be a valid string")
            if not _CUSTOM_ID.match(cid):
                raise invalid(f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            if cid in seen:
                raise invalid(f"requests.{i}.custom_id: custom_id values must be unique within a batch: {cid}")
            seen.add(cid)
            if not isinstance(item["params"], dict):
                raise invalid(f"requests.{i}.params: Input should be a valid dictionary")

        results, counts = [], {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for item in requests:
            results.append(self._process(item, meta))
            counts[results[-1]["result"]["type"]] += 1
        with self._lock:
            self._seq += 1
            digest = hashlib.sha256(raw + self._seq.to_bytes(8, "big")).digest()
            batch_id = "msgbatch_01" + b58(digest[:22])
            batch = Batch(batch_id, datetime.now(timezone.utc), results, counts)
            self._batches[batch_id] = batch
        return 200, {}, dumps(batch.to_json(self._base_url(request)))

    def _process(self, item: dict[str, Any], meta: Any) -> dict[str, Any]:
        app = self.app
        params = item["params"]
        try:
            valid = protocol.validate_messages(
                params, version=meta.version, signer=app.signer, strict_models=app.settings.strict_models,
                betas=meta.betas,
            )
            if valid.stream:
                raise invalid("stream: streaming is not supported for requests in a Message Batch")
        except ApiError as err:
            error = err.body(new_request_id())
            return {"custom_id": item["custom_id"], "result": {"type": "errored", "error": error}}
        message = app.synthetic.message(valid)
        return {"custom_id": item["custom_id"], "result": {"type": "succeeded", "message": message}}

    def _list(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        q = request.query_params
        try:
            limit = int(q.get("limit", "20"))
        except ValueError:
            raise invalid("limit: Input should be a valid integer, unable to parse string as an integer") from None
        if not 1 <= limit <= 1000:
            raise invalid("limit: Input should be greater than or equal to 1 and less than or equal to 1000")
        with self._lock:
            ordered = sorted(self._batches.values(), key=lambda b: (b.created, b.id), reverse=True)
        ids = [b.id for b in ordered]
        after, before = q.get("after_id"), q.get("before_id")
        if after is not None:
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
            page = ordered[:limit]
            has_more = len(ordered) > limit
        elif before is not None:
            ordered = ordered[: ids.index(before)] if before in ids else []
            page = ordered[-limit:]
            has_more = len(ordered) > limit
        else:
            page = ordered[:limit]
            has_more = len(ordered) > limit
        base = self._base_url(request)
        data = [b.to_json(base) for b in page]
        out = {
            "data": data,
            "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
        return 200, {}, dumps(out)

    async def retrieve_or_delete(self, request: Request) -> Response:
        batch_id = request.path_params["batch_id"]

        def produce(meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
            batch = self._get(batch_id)
            if request.method == "DELETE":
                with self._lock:
                    self._batches.pop(batch_id, None)
                return 200, {}, dumps({"id": batch.id, "type": "message_batch_deleted"})
            return 200, {}, dumps(batch.to_json(self._base_url(request)))

        return await self._answer(request, produce)

    async def cancel(self, request: Request) -> Response:
        batch_id = request.path_params["batch_id"]

        def produce(meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
            # Already ended: nothing left to cancel, the batch comes back as it is.
            return 200, {}, dumps(self._get(batch_id).to_json(self._base_url(request)))

        return await self._answer(request, produce)

    async def results(self, request: Request) -> Response:
        batch_id = request.path_params["batch_id"]

        def produce(meta: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
            batch = self._get(batch_id)
            lines = b"".join(dumps(r) + b"\n" for r in batch.results)
            return 200, {"content-type": "application/binary"}, lines

        return await self._answer(request, produce)
